import type { Knex, LedgerRow } from "../types"
import { ledgerTable } from "./tables"

/** Filters Query may send, already validated (query-reads.ts): each column to one of several values. */
export type LedgerQueryFilters = {
  id?: string[]
  payment_collection_id?: string[]
  payment_session_id?: string[]
  checkout_request_id?: string[]
  mpesa_receipt_number?: string[]
  status?: LedgerRow["status"][]
  unmatched?: boolean
}

export type LedgerQueryPage = { take?: number; skip?: number; order?: { column: keyof LedgerRow; direction: "asc" | "desc" }[] }

/**
 * The ledger as Query reads it (module links, `query.graph`): plain
 * filtered lists, newest first unless asked otherwise, and a count. Reads
 * only; every write stays on the guarded paths of the other stores.
 */
export class LedgerQueryStore {
  constructor(private readonly db: () => Knex) {}

  async list(filters: LedgerQueryFilters, page: LedgerQueryPage = {}): Promise<LedgerRow[]> {
    const q = this.filtered(filters)
    for (const o of page.order?.length ? page.order : [{ column: "created_at" as const, direction: "desc" as const }]) q.orderBy(o.column, o.direction)
    if (page.take !== undefined) q.limit(page.take)
    if (page.skip) q.offset(page.skip)
    return q
  }

  async count(filters: LedgerQueryFilters): Promise<number> {
    const [{ count }] = (await this.filtered(filters).count({ count: "*" })) as { count: string | number }[]
    return Number(count)
  }

  private filtered(filters: LedgerQueryFilters) {
    const q = ledgerTable(this.db()).whereNull("deleted_at")
    for (const column of ["id", "payment_collection_id", "payment_session_id", "checkout_request_id", "mpesa_receipt_number", "status"] as const) {
      const values = filters[column]
      if (values) q.whereIn(column, values)
    }
    if (filters.unmatched !== undefined) q.where("unmatched", filters.unmatched)
    return q
  }
}
