import { generateEntityId } from "@medusajs/framework/utils"
import type { Knex, LedgerRow, LedgerStatus } from "../types"
import { OPEN_STATUSES } from "../types"

const TABLE = "mpesa_transaction"

/**
 * SQL for the ledger. State changes are conditional UPDATEs ("… WHERE status
 * IN (open states) RETURNING *"), so when a duplicate callback, the poller and
 * a storefront request race, exactly one of them wins the transition.
 */
export class LedgerStore {
  constructor(private readonly db: () => Knex) {}

  private table(trx?: Knex) {
    return (trx ?? this.db())<LedgerRow>(TABLE).whereNull("deleted_at")
  }

  async insertInitiating(
    row: Pick<
      LedgerRow,
      "payment_session_id" | "phone" | "amount" | "medusa_amount" | "currency_code" | "account_reference" | "expires_at"
    >
  ): Promise<{ row: LedgerRow; created: boolean }> {
    const inserted = await this.db()(TABLE)
      .insert({ id: generateEntityId(undefined, "mpesatx"), status: "initiating", ...row })
      .onConflict(this.db().raw("(payment_session_id) where deleted_at is null"))
      .ignore()
      .returning("*")
    if (inserted.length) {
      return { row: inserted[0] as LedgerRow, created: true }
    }
    const existing = await this.findBySession(row.payment_session_id)
    if (!existing) {
      throw new Error("ledger row vanished between insert and read")
    }
    return { row: existing, created: false }
  }

  async findBySession(sessionId: string): Promise<LedgerRow | null> {
    return ((await this.table().where({ payment_session_id: sessionId }).first()) as LedgerRow | undefined) ?? null
  }

  async findById(id: string): Promise<LedgerRow | null> {
    return ((await this.table().where({ id }).first()) as LedgerRow | undefined) ?? null
  }

  async findByCheckoutRequestId(checkoutRequestId: string): Promise<LedgerRow | null> {
    return (
      ((await this.table().where({ checkout_request_id: checkoutRequestId }).first()) as LedgerRow | undefined) ?? null
    )
  }

  /** A push whose response we never saw, matched by what a success callback tells us. */
  async findIndeterminateMatch(phone: string, amount: number, since: Date): Promise<LedgerRow | null> {
    return (
      ((await this.table()
        .where({ phone, amount, status: "indeterminate" })
        .whereNull("checkout_request_id")
        .where("created_at", ">=", since)
        .orderBy("created_at", "asc")
        .first()) as LedgerRow | undefined) ?? null
    )
  }

  async deleteHard(id: string): Promise<void> {
    await this.db()(TABLE).where({ id }).delete()
  }

  /** Moves a row from one of `from` to `to` with `patch`; returns the row only if this call won. */
  async transition(
    id: string,
    from: LedgerStatus[],
    patch: Partial<LedgerRow> & { status?: LedgerStatus },
    now: Date
  ): Promise<LedgerRow | null> {
    const rows = await this.db()(TABLE)
      .where({ id })
      .whereNull("deleted_at")
      .whereIn("status", from)
      .update({ ...patch, updated_at: now })
      .returning("*")
    return (rows[0] as LedgerRow | undefined) ?? null
  }

  async patch(id: string, patch: Partial<LedgerRow>, now: Date): Promise<LedgerRow | null> {
    const rows = await this.db()(TABLE).where({ id }).update({ ...patch, updated_at: now }).returning("*")
    return (rows[0] as LedgerRow | undefined) ?? null
  }

  /**
   * Claims up to `limit` open rows that are due for a status query (or past
   * expiry) and leases them for `leaseMs`, skipping rows another worker holds,
   * so a row is queried by one worker at a time.
   */
  async claimDue(now: Date, limit: number, leaseMs: number): Promise<LedgerRow[]> {
    const db = this.db()
    // One statement (UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)):
    // no client-side transaction is held open between round trips.
    const due = db(TABLE)
      .select("id")
      .whereNull("deleted_at")
      .where("status", "pending")
      .whereNotNull("checkout_request_id")
      .where((q) => q.where("next_query_at", "<=", now).orWhere("expires_at", "<=", now))
      .orderBy("next_query_at", "asc")
      .limit(limit)
      .forUpdate()
      .skipLocked()
    const rows = await db(TABLE)
      .whereIn("id", due)
      .update({ next_query_at: new Date(now.getTime() + leaseMs), updated_at: now })
      .returning("*")
    return rows as LedgerRow[]
  }

  /** Claims one row for an on-demand query (authorizePayment); null if another worker holds it. */
  async claimForQuery(id: string, now: Date, leaseMs: number): Promise<LedgerRow | null> {
    const rows = await this.db()(TABLE)
      .where({ id, status: "pending" })
      .whereNull("deleted_at")
      .whereNotNull("checkout_request_id")
      .where((q) => q.whereNull("next_query_at").orWhere("next_query_at", "<=", now))
      .update({ next_query_at: new Date(now.getTime() + leaseMs), updated_at: now })
      .returning("*")
    return (rows[0] as LedgerRow | undefined) ?? null
  }

  /** Rows that can no longer be queried (no CheckoutRequestID) and have outlived their expiry. */
  async expireUnqueryable(now: Date, customerMessage: string): Promise<LedgerRow[]> {
    const rows = await this.db()(TABLE)
      .whereNull("deleted_at")
      .whereIn("status", ["indeterminate", "initiating"])
      .where("expires_at", "<=", now)
      .update({ status: "expired", customer_message: customerMessage, settled_at: now, updated_at: now })
      .returning("*")
    return rows as LedgerRow[]
  }

  /** A push still "initiating" long after its HTTP call must have ended: the process died mid-call. */
  async markStaleInitiating(olderThan: Date, now: Date): Promise<number> {
    return this.db()(TABLE)
      .whereNull("deleted_at")
      .where("status", "initiating")
      .where("updated_at", "<", olderThan)
      .update({ status: "indeterminate", updated_at: now })
  }

  /** Leases a paid, not yet completed row for completion; null if done or leased elsewhere. */
  async claimCompletion(id: string, now: Date, leaseMs: number): Promise<LedgerRow | null> {
    const rows = await this.db()(TABLE)
      .where({ id, status: "paid", unmatched: false })
      .whereNull("deleted_at")
      .whereNull("completed_at")
      .where((q) => q.whereNull("completion_locked_until").orWhere("completion_locked_until", "<", now))
      .update({ completion_locked_until: new Date(now.getTime() + leaseMs) })
      .returning("*")
    return (rows[0] as LedgerRow | undefined) ?? null
  }

  /** Paid rows whose Medusa completion has not been recorded, oldest first. */
  async findAwaitingCompletion(settledBefore: Date, maxAttempts: number, limit: number): Promise<LedgerRow[]> {
    return (await this.table()
      .where({ status: "paid", unmatched: false })
      .whereNull("completed_at")
      .where("settled_at", "<", settledBefore)
      .where("completion_attempts", "<", maxAttempts)
      .orderBy("settled_at", "asc")
      .limit(limit)) as LedgerRow[]
  }

  isOpen(row: LedgerRow): boolean {
    return OPEN_STATUSES.includes(row.status)
  }
}
