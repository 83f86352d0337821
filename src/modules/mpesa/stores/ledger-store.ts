import { generateEntityId } from "@medusajs/framework/utils"
import type { Knex, LedgerRow, LedgerStatus } from "../types"
import { OPEN_STATUSES } from "../statuses"
import { canTransition, transitionsInto } from "./ledger-transitions"
import type { LedgerFilters } from "../types"
import { ledgerTable } from "./tables"


/** Bookkeeping that never changes what a payment is (schedules, leases, counters, notes). */
export type BookkeepingPatch = Partial<
  Pick<
    LedgerRow,
    | "query_attempts"
    | "next_query_at"
    | "last_queried_at"
    | "callback_received_at"
    | "completion_attempts"
    | "completion_error"
    | "next_completion_at"
    | "completion_locked_until"
    | "attention_reason"
    | "attention_at"
    | "payment_collection_id"
  >
>

/**
 * The ledger's data layer: the only code that writes mpesa_transaction.
 * Status changes go through LEDGER_TRANSITIONS; ownership changes
 * (re-attach, take-over) are compare-and-set; the final "paid" write decides
 * matched / moved / unmatched from the row as it is under a lock at that
 * moment, never from a copy read earlier.
 */
export class LedgerStore {
  constructor(private readonly db: () => Knex) {}

  private table(trx?: Knex) {
    return ledgerTable(trx ?? this.db()).whereNull("deleted_at")
  }

  // ------------------------------------------------------------ reads

  async findBySession(sessionId: string): Promise<LedgerRow | null> {
    return ((await this.table().where({ payment_session_id: sessionId }).first())) ?? null
  }

  async findById(id: string): Promise<LedgerRow | null> {
    return ((await this.table().where({ id }).first())) ?? null
  }

  async findByCheckoutRequestId(checkoutRequestId: string): Promise<LedgerRow | null> {
    return (
      ((await this.table().where({ checkout_request_id: checkoutRequestId }).first())) ?? null
    )
  }

  /**
   * In one round trip, what a new session needs to know: the push it already
   * owns (Medusa retried the call), and else a push of the same payment
   * collection, phone and amount that may still be paid on the phone — a
   * re-created session re-attaches to it instead of sending another prompt.
   */
  async findForInitiation(input: {
    sessionId: string
    paymentCollectionId: string | null
    phone: string
    amount: number
    now: Date
  }): Promise<{ own: LedgerRow | null; open: LedgerRow | null }> {
    const rows = (await this.table()
      .where((q) => {
        q.where("payment_session_id", input.sessionId)
        if (input.paymentCollectionId) {
          q.orWhere((w) =>
            w
              .where({ payment_collection_id: input.paymentCollectionId, phone: input.phone, amount: input.amount })
              .whereIn("status", ["pending", "indeterminate"])
              .whereNull("completed_at")
              .where("expires_at", ">", input.now)
          )
        }
      })
      .orderBy("created_at", "desc")
      .limit(5))
    const own = rows.find((r) => r.payment_session_id === input.sessionId) ?? null
    const open = rows.find((r) => r.payment_session_id !== input.sessionId) ?? null
    return { own, open }
  }

  async list(filters: LedgerFilters, page: { take: number; skip: number }): Promise<LedgerRow[]> {
    const q = this.filtered(filters)
    return (await q.orderBy("created_at", "desc").limit(page.take).offset(page.skip))
  }

  async count(filters: LedgerFilters): Promise<number> {
    const [{ count }] = (await this.filtered(filters).count({ count: "*" })) as { count: string | number }[]
    return Number(count)
  }

  private filtered(filters: LedgerFilters) {
    const q = this.table()
    if (filters.status?.length) q.whereIn("status", filters.status)
    if (filters.unmatched !== undefined) q.where("unmatched", filters.unmatched)
    // Unmatched money still to deal with: not yet refunded in full (a reversal in progress stays visible).
    if (filters.uncleared) q.whereRaw("refunded_amount < coalesce(paid_amount, amount)")
    if (filters.ids) q.whereIn("id", filters.ids)
    if (filters.needsAttention) q.whereNotNull("attention_at")
    if (filters.sessionIds?.length) q.whereIn("payment_session_id", filters.sessionIds)
    if (filters.paymentCollectionIds?.length) q.whereIn("payment_collection_id", filters.paymentCollectionIds)
    // Admin search: the phone as normalised 2547XXXXXXXX (exact), the receipt case-insensitively.
    if (filters.phone) q.where("phone", filters.phone)
    if (filters.receipt) q.whereRaw("upper(mpesa_receipt_number) = ?", [filters.receipt.toUpperCase()])
    if (filters.createdFrom) q.where("created_at", ">=", filters.createdFrom)
    if (filters.createdTo) q.where("created_at", "<", filters.createdTo)
    return q
  }

  // ------------------------------------------------------------ creation and ownership

  async insertInitiating(
    row: Pick<
      LedgerRow,
      | "phone"
      | "amount"
      | "medusa_amount"
      | "currency_code"
      | "account_reference"
      | "expires_at"
      | "payment_collection_id"
    > & { payment_session_id: string }
  ): Promise<{ row: LedgerRow; created: boolean }> {
    const inserted = await ledgerTable(this.db())
      .insert({
        id: generateEntityId(undefined, "mpesatx"),
        status: "initiating",
        initiated_session_id: row.payment_session_id,
        ...row,
      })
      .onConflict(this.db().raw("(payment_session_id) where deleted_at is null"))
      .ignore()
      .returning("*")
    if (inserted.length) {
      return { row: inserted[0], created: true }
    }
    const existing = await this.findBySession(row.payment_session_id)
    if (!existing) {
      throw new Error("ledger row vanished between insert and read")
    }
    return { row: existing, created: false }
  }

  /** Removes a row whose push Daraja refused outright (no prompt exists, no money can follow). */
  async deleteRefused(id: string): Promise<void> {
    await ledgerTable(this.db()).where({ id, status: "initiating" }).whereNull("checkout_request_id").delete()
  }

  /**
   * Moves an open push to a new session (compare-and-set on the current
   * owner): Medusa re-created the session, or the shopper pressed Pay again
   * while the prompt is still on the phone.
   */
  async reattach(id: string, currentOwner: string | null, newSessionId: string, now: Date): Promise<LedgerRow | null> {
    const q = ledgerTable(this.db()).where({ id }).whereNull("deleted_at").whereIn("status", ["pending", "indeterminate"])
    if (currentOwner === null) q.whereNull("payment_session_id")
    else q.where("payment_session_id", currentOwner)
    const rows = await q
      .update({ payment_session_id: newSessionId, session_closed_at: null, updated_at: now })
      .returning("*")
    return (rows[0]) ?? null
  }

  /** Medusa deleted or canceled a session; the prompt cannot be recalled. */
  async closeSession(sessionId: string, now: Date): Promise<LedgerRow | null> {
    const rows = await ledgerTable(this.db())
      .where({ payment_session_id: sessionId })
      .whereNull("deleted_at")
      .whereNull("session_closed_at")
      .update({ session_closed_at: now, updated_at: now })
      .returning("*")
    return (rows[0]) ?? (await this.findBySession(sessionId))
  }

  // ------------------------------------------------------------ status changes





  // ------------------------------------------------------------ bookkeeping

  /** Records that the payment's order exists; only the first call writes (returns false after). */
  async markCompleted(id: string, now: Date): Promise<boolean> {
    const n = await ledgerTable(this.db())
      .where({ id, status: "paid" })
      .whereNull("completed_at")
      .update({ completed_at: now, completion_error: null, completion_locked_until: null, next_completion_at: null, updated_at: now })
    return n > 0
  }

  async patch(id: string, patch: BookkeepingPatch, now: Date): Promise<LedgerRow | null> {
    const rows = await ledgerTable(this.db()).where({ id }).update({ ...patch, updated_at: now }).returning("*")
    return (rows[0]) ?? null
  }

  /** Records the first receipt for a push paid on a status query; a different one is never swapped in. */
  async recordReceipt(
    id: string,
    receipt: Pick<LedgerRow, "mpesa_receipt_number" | "paid_phone" | "transaction_date" | "customer_message">,
    now: Date
  ): Promise<LedgerRow | null> {
    const rows = await ledgerTable(this.db())
      .where({ id, status: "paid" })
      .whereNull("mpesa_receipt_number")
      .update({ ...receipt, updated_at: now })
      .returning("*")
    return (rows[0]) ?? null
  }

  /**
   * The receipt an admin added to a payment confirmed by a status query (checked with Transaction Status
   * first, see refunds/receipt-check-application.ts). Never replaces one; throws a unique violation when
   * the receipt is already another payment's.
   */
  async addVerifiedReceipt(id: string, receipt: string, now: Date): Promise<LedgerRow | null> {
    const rows = await ledgerTable(this.db())
      .where({ id, status: "paid" })
      .whereNull("mpesa_receipt_number")
      .update({ mpesa_receipt_number: receipt, updated_at: now })
      .returning("*")
    return (rows[0]) ?? null
  }

  /** Counts one callback dropped beyond maxCallbacksPerUrl; returns the push's new count (null: no such push). */
  async countDroppedReplay(id: string, now: Date): Promise<number | null> {
    const rows = (await ledgerTable(this.db())
      .where({ id })
      .update({ replays_dropped: this.db().raw("replays_dropped + 1"), updated_at: now })
      .returning("replays_dropped")) as { replays_dropped: number }[]
    return rows[0]?.replays_dropped ?? null
  }

  async flag(id: string, reason: string, now: Date): Promise<void> {
    await ledgerTable(this.db())
      .where({ id })
      .update({ attention_reason: reason.slice(0, 500), attention_at: this.db().raw("coalesce(attention_at, ?)", [now]), updated_at: now })
  }

  // ------------------------------------------------------------ completion races (issue 14, 1.4)

  /** Our provider answered Medusa's create of `sessionId` now (Medusa writes the answer onto its session next). */
  async markSessionAnswered(id: string, sessionId: string, now: Date): Promise<void> {
    await ledgerTable(this.db()).where({ id }).update({ answered_session_id: sessionId, session_answered_at: now, updated_at: now })
  }

  /**
   * A new session of a payment collection whose money is already paid and
   * still waiting for its order (a second Pay press, Medusa re-creating the
   * session in a rollback) takes that money instead of a new prompt: the
   * cart is paid once. Compare-and-set, so the money goes to one session.
   * The completion lease is left alone: an attempt in flight for the old
   * session finishes, sees the new owner and hands over.
   */
  async takePaidForCollection(collectionId: string, sessionId: string, amount: number, now: Date): Promise<LedgerRow | null> {
    const candidate = this.table()
      .select("id")
      .where({ payment_collection_id: collectionId, status: "paid", unmatched: false, amount, refunded_amount: 0 })
      .whereNull("completed_at")
      // Money the desk is returning makes no order (and pays no new session).
      .whereNull("refund_hold_at")
      .whereNotNull("payment_session_id")
      .whereNot("payment_session_id", sessionId)
      .orderBy("settled_at", "asc")
      .limit(1)
    const rows = (await ledgerTable(this.db())
      .whereIn("id", candidate)
      .where({ status: "paid", unmatched: false })
      .whereNull("completed_at")
      .whereNull("refund_hold_at")
      // Medusa retrying the call for a session that already owns a push: that push stays its own.
      .whereNotExists(this.table().select("id").where({ payment_session_id: sessionId }))
      .update({ payment_session_id: sessionId, session_closed_at: null, next_completion_at: now, updated_at: now })
      .returning("*"))
    return rows[0] ?? null
  }

}
