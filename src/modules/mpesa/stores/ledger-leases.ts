import type { Knex, LedgerRow } from "../types"
import { OPEN_STATUSES } from "../statuses"
import { ledgerTable } from "./tables"

/**
 * The ledger's leases: claims that let one worker at a time query, expire or
 * complete a payment (a lease runs out by itself if its worker dies), and
 * the query budget a push spends. Each claim is one conditional statement,
 * so two workers never both win.
 */
export class LedgerLeases {
  constructor(private readonly db: () => Knex) {}

  private table(trx?: Knex) {
    return ledgerTable(trx ?? this.db()).whereNull("deleted_at")
  }

  /**
   * Claims up to `limit` pending rows due for a status query and leases them
   * (skipping rows another worker holds), in one statement.
   */
  async claimDue(now: Date, limit: number, leaseMs: number): Promise<LedgerRow[]> {
    const db = this.db()
    const due = ledgerTable(db)
      .select("id")
      .whereNull("deleted_at")
      .where("status", "pending")
      .whereNotNull("next_query_at")
      .where("next_query_at", "<=", now)
      .orderBy("next_query_at", "asc")
      .limit(limit)
      .forUpdate()
      .skipLocked()
    const rows = await ledgerTable(db)
      .whereIn("id", due)
      .update({ next_query_at: new Date(now.getTime() + leaseMs), updated_at: now })
      .returning("*")
    return rows
  }

  /** Claims one row for an on-demand query (authorizePayment); null if another worker holds it. */
  async claimForQuery(id: string, now: Date, leaseMs: number): Promise<LedgerRow | null> {
    const rows = await ledgerTable(this.db())
      .where({ id, status: "pending" })
      .whereNull("deleted_at")
      .whereNotNull("next_query_at")
      .where("next_query_at", "<=", now)
      .update({ next_query_at: new Date(now.getTime() + leaseMs), updated_at: now })
      .returning("*")
    return (rows[0]) ?? null
  }

  /**
   * Open rows past their expiry that no planned query will settle (no
   * CheckoutRequestID, query budget spent, or Daraja does not know the id).
   * Pending rows with a query still planned get that last query first.
   */
  async expireDue(now: Date, customerMessage: string, limit: number): Promise<LedgerRow[]> {
    const db = this.db()
    const due = ledgerTable(db)
      .select("id")
      .whereNull("deleted_at")
      .whereIn("status", OPEN_STATUSES)
      .where("expires_at", "<=", now)
      .where((q) => q.whereNot("status", "pending").orWhereNull("next_query_at"))
      .limit(limit)
    const rows = await ledgerTable(db)
      .whereIn("id", due)
      .whereIn("status", OPEN_STATUSES)
      .update({ status: "expired", customer_message: customerMessage, settled_at: now, next_query_at: null, updated_at: now })
      .returning("*")
    return rows
  }

  /** A push still "initiating" long after its HTTP call must have ended: the process died mid-call. */
  async markStaleInitiating(olderThan: Date, now: Date): Promise<number> {
    return ledgerTable(this.db())
      .whereNull("deleted_at")
      .where("status", "initiating")
      .where("updated_at", "<", olderThan)
      .update({ status: "indeterminate", updated_at: now })
  }

  /** Leases a paid, matched, not yet completed row for completion; null if done or leased elsewhere. */
  async claimCompletion(id: string, now: Date, leaseMs: number): Promise<LedgerRow | null> {
    const rows = await ledgerTable(this.db())
      .where({ id, status: "paid", unmatched: false })
      .whereNull("deleted_at")
      .whereNull("completed_at")
      // Money a refund was opened for makes no order (no order without money).
      .whereNull("refund_hold_at")
      .whereNotNull("payment_session_id")
      .where((q) => q.whereNull("completion_locked_until").orWhere("completion_locked_until", "<", now))
      // The sweep looks again only after the lease, even if this worker dies mid-completion.
      .update({ completion_locked_until: new Date(now.getTime() + leaseMs), next_completion_at: new Date(now.getTime() + leaseMs) })
      .returning("*")
    return (rows[0]) ?? null
  }

  /** Counts one status query against the push's budget; null when the budget is spent. */
  async spendQuery(id: string, maxQueries: number, now: Date): Promise<LedgerRow | null> {
    const rows = await ledgerTable(this.db())
      .where({ id })
      .where("query_attempts", "<", maxQueries)
      .update({ query_attempts: this.db().raw("query_attempts + 1"), last_queried_at: now, updated_at: now })
      .returning("*")
    return (rows[0]) ?? null
  }

  /** Paid rows whose completion is due (first try or a retry after back-off), oldest first. */
  async findDueForCompletion(now: Date, limit: number): Promise<LedgerRow[]> {
    return (await this.table()
      .where({ status: "paid", unmatched: false })
      .whereNull("completed_at")
      .whereNull("refund_hold_at")
      .whereNotNull("next_completion_at")
      .where("next_completion_at", "<=", now)
      .orderBy("next_completion_at", "asc")
      .limit(limit))
  }
}
