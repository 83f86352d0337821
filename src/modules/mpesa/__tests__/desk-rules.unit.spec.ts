import { medusaRefundRule, outsideRule, reverseRule } from "../refunds/desk-rules"
import type { LedgerRow, RefundRow } from "../types"

const now = new Date()
const paid = {
  id: "mpesatx_1",
  status: "paid",
  amount: 1700,
  paid_amount: 1700,
  refunded_amount: 0,
  unmatched: false,
  completed_at: now,
  completion_attempts: 0,
  mpesa_receipt_number: "UKOEA65ZHW",
} as unknown as LedgerRow
const reversal = (r: Partial<RefundRow>) =>
  ({ id: "mpesarf_1", transaction_id: "mpesatx_1", kind: "reversal", status: "completed", amount: 1700, created_at: now, ...r }) as RefundRow

describe("the money desk's rules", () => {
  it("a partial Medusa refund never joins (claims) a whole reversal, done or on its way", () => {
    for (const status of ["requested", "unknown", "completed"] as const) {
      const r = medusaRefundRule({ payment: paid, refunds: [reversal({ status })], now }, 1)
      expect(r?.refused).toMatch(/^amount: this payment is already being reversed in full through M-Pesa \(KES 1,700\)/)
      expect(r?.conflict).toBe(true)
      expect(medusaRefundRule({ payment: paid, refunds: [reversal({ status })], now }, 1700)).toBeNull()
    }
  })

  it("a receipt-less payment (confirmed by a status query) cannot be reversed, and says what to do; outside refunds still can", () => {
    const noReceipt = { ...paid, mpesa_receipt_number: null } as LedgerRow
    expect(medusaRefundRule({ payment: noReceipt, refunds: [], now }, 1700)?.refused).toMatch(
      /no M-Pesa receipt number .*Add the receipt .*Record refund made outside M-Pesa/
    )
    expect(outsideRule({ payment: noReceipt, refunds: [], now }, 1700, "Org portal RTN1")).toBeNull()
  })

  it("unmatched money being attached to a cart can be neither reversed nor refunded outside", () => {
    const attaching = { ...paid, unmatched: true, completed_at: null, attach_collection_id: "pay_col_1", attach_requested_at: now } as LedgerRow
    expect(reverseRule({ payment: attaching, refunds: [], now })).toMatchObject({ conflict: true, refused: expect.stringMatching(/being attached to a cart right now/) })
    expect(outsideRule({ payment: attaching, refunds: [], now }, 1, "x")).toMatchObject({ conflict: true })
  })

  it("an order's payment is refunded from the order page, not reversed from the desk", () => {
    expect(reverseRule({ payment: paid, refunds: [], now })?.refused).toMatch(/refund an order's payment from the order page/)
  })
})
