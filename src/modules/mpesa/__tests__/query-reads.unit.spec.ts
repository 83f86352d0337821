import { parseQueryFilters, queryPage, toQueryRecord } from "../query-reads"
import type { LedgerRow } from "../types"

/** A partial ledger row: these tests read only the columns named. */
const ledgerRow = (over: Partial<LedgerRow>): LedgerRow =>
  ({ id: "mpesatx_1", amount: 1700, status: "pending", completion_locked_until: null, next_query_at: null, answered_session_id: "payses_1", attach_requested_by: null, ...over }) as unknown as LedgerRow

describe("Query's reads of the M-Pesa payment record", () => {
  it("takes one value, a list, $in or $eq for each filterable column", () => {
    expect(parseQueryFilters({ payment_collection_id: "pay_col_1", status: ["paid", "pending"], id: { $in: ["a", "b"] }, unmatched: false })).toEqual({
      payment_collection_id: ["pay_col_1"],
      status: ["paid", "pending"],
      id: ["a", "b"],
      unmatched: false,
    })
    expect(parseQueryFilters({ checkout_request_id: { $eq: "ws_CO_1" } })).toEqual({ checkout_request_id: ["ws_CO_1"] })
    expect(parseQueryFilters(undefined)).toEqual({})
  })

  it("refuses an unknown filter or value by name, never ignores it", () => {
    expect(() => parseQueryFilters({ phone: "254708374149" })).toThrow(/filters: unknown filter phone; filterable: id, payment_collection_id/)
    expect(() => parseQueryFilters({ status: "lost" })).toThrow(/^status: /)
    expect(() => parseQueryFilters({ id: { $like: "%" } })).toThrow(/^id: /)
    expect(() => queryPage({ take: -1 })).toThrow(/take: must be a whole number of at least 0/)
    expect(() => queryPage({ order: { completion_locked_until: "ASC" } as never })).toThrow(/order: cannot sort by completion_locked_until/)
  })

  it("returns the selected columns, id always, and phones only masked", () => {
    const row = ledgerRow({ phone: "254708374149", paid_phone: "254708374149", status: "paid" })
    expect(toQueryRecord(row, ["status", "phone", "raw_amount", "not_a_column"])).toEqual({ id: row.id, status: "paid", phone: "2547****4149" })
    const full = toQueryRecord(row)
    expect(full).toMatchObject({ phone: "2547****4149", paid_phone: "2547****4149" })
    expect(JSON.stringify(full)).not.toContain("254708374149")
    // Internal bookkeeping stays inside the module.
    for (const internal of ["completion_locked_until", "next_query_at", "answered_session_id", "attach_requested_by"]) {
      expect(full).not.toHaveProperty(internal)
    }
  })
})
