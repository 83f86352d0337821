import { generateEntityId } from "@medusajs/framework/utils"
import type { Knex, LedgerRow, LedgerStatus } from "../types"
import { OPEN_STATUSES } from "../types"
import { canTransition, transitionsInto } from "./ledger-transitions"

const TABLE = "mpesa_transaction"

/** Fields a status change may set alongside the status. */
export type SettlementPatch = Partial<
  Pick<
    LedgerRow,
    | "checkout_request_id"
    | "merchant_request_id"
    | "result_code"
    | "result_desc"
    | "customer_message"
    | "mpesa_receipt_number"
    | "paid_amount"
    | "paid_phone"
    | "transaction_date"
    | "confirmed_by"
  >
>

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

export type PaidSettlement = {
  row: LedgerRow
  /** this call moved the row into `paid` for an open session (exactly one caller sees it) */
  captured: boolean
  /** the push whose session this money took over (its prompt may still be paid: then it is unmatched) */
  superseded: LedgerRow | null
}

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
    return (trx ?? this.db())<LedgerRow>(TABLE).whereNull("deleted_at")
  }

  // ------------------------------------------------------------ reads

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
      .limit(5)) as LedgerRow[]
    const own = rows.find((r) => r.payment_session_id === input.sessionId) ?? null
    const open = rows.find((r) => r.payment_session_id !== input.sessionId) ?? null
    return { own, open }
  }

  async list(filters: LedgerFilters, page: { take: number; skip: number }): Promise<LedgerRow[]> {
    const q = this.filtered(filters)
    return (await q.orderBy("created_at", "desc").limit(page.take).offset(page.skip)) as LedgerRow[]
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
    const inserted = await this.db()(TABLE)
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
      return { row: inserted[0] as LedgerRow, created: true }
    }
    const existing = await this.findBySession(row.payment_session_id)
    if (!existing) {
      throw new Error("ledger row vanished between insert and read")
    }
    return { row: existing, created: false }
  }

  /** Removes a row whose push Daraja refused outright (no prompt exists, no money can follow). */
  async deleteRefused(id: string): Promise<void> {
    await this.db()(TABLE).where({ id, status: "initiating" }).whereNull("checkout_request_id").delete()
  }

  /**
   * Moves an open push to a new session (compare-and-set on the current
   * owner): Medusa re-created the session, or the shopper pressed Pay again
   * while the prompt is still on the phone.
   */
  async reattach(id: string, currentOwner: string | null, newSessionId: string, now: Date): Promise<LedgerRow | null> {
    const q = this.db()(TABLE).where({ id }).whereNull("deleted_at").whereIn("status", ["pending", "indeterminate"])
    if (currentOwner === null) q.whereNull("payment_session_id")
    else q.where("payment_session_id", currentOwner)
    const rows = await q
      .update({ payment_session_id: newSessionId, session_closed_at: null, updated_at: now })
      .returning("*")
    return (rows[0] as LedgerRow | undefined) ?? null
  }

  /** Medusa deleted or canceled a session; the prompt cannot be recalled. */
  async closeSession(sessionId: string, now: Date): Promise<LedgerRow | null> {
    const rows = await this.db()(TABLE)
      .where({ payment_session_id: sessionId })
      .whereNull("deleted_at")
      .whereNull("session_closed_at")
      .update({ session_closed_at: now, updated_at: now })
      .returning("*")
    return (rows[0] as LedgerRow | undefined) ?? (await this.findBySession(sessionId))
  }

  // ------------------------------------------------------------ status changes

  /**
   * Moves a row into `to` if LEDGER_TRANSITIONS allows it from its current
   * status; returns the row only if this call won. Not for `paid`: see settlePaid.
   */
  async transition(
    id: string,
    to: Exclude<LedgerStatus, "paid" | "initiating">,
    patch: SettlementPatch & Pick<Partial<LedgerRow>, "settled_at" | "next_query_at">,
    now: Date
  ): Promise<LedgerRow | null> {
    const allowed = transitionsInto(to)
    const rows = await this.db()(TABLE)
      .where({ id })
      .whereNull("deleted_at")
      .where((q) => {
        for (const t of allowed) {
          q.orWhere((w) => {
            w.where("status", t.from)
            if (t.guard) w.whereRaw(t.guard)
          })
        }
      })
      .update({ ...patch, status: to, updated_at: now })
      .returning("*")
    return (rows[0] as LedgerRow | undefined) ?? null
  }

  /**
   * The final write for money that moved. Under a row lock, from the row as it
   * is now: an open session gets the payment; a push whose session is gone
   * moves onto the payment collection's current session if the cart still
   * costs exactly this amount and that session's own push is not paid (that
   * push is detached: if it is paid too, it becomes unmatched); otherwise the
   * money is kept as unmatched. Throws a unique violation if the receipt
   * already belongs to another push (nothing is written then).
   */
  async settlePaid(id: string, patch: SettlementPatch, now: Date): Promise<PaidSettlement | null> {
    return this.db().transaction(async (trx) => {
      const row = (await trx(TABLE).where({ id }).whereNull("deleted_at").forUpdate().first()) as LedgerRow | undefined
      if (!row || !canTransition(row, "paid")) {
        return null
      }
      const owner = await this.ownerForMoney(trx, row, now)
      const [won] = (await trx(TABLE)
        .where({ id })
        .update({
          ...patch,
          ...ownership(row, owner.sessionId, now),
          status: "paid",
          settled_at: now,
          next_query_at: null,
        })
        .returning("*")) as LedgerRow[]
      return { row: won, captured: !!owner.sessionId, superseded: owner.superseded }
    })
  }

  /**
   * A paid push whose session vanished before its order was created (the cart
   * changed, Medusa deleted the session): decide again, like settlePaid, where
   * the money belongs — another open session of a cart that still costs it, or
   * unmatched.
   */
  async rematchPaid(id: string, now: Date): Promise<PaidSettlement | null> {
    return this.db().transaction(async (trx) => {
      const row = (await trx(TABLE).where({ id, status: "paid" }).whereNull("deleted_at").whereNull("completed_at").forUpdate().first()) as
        | LedgerRow
        | undefined
      if (!row || row.unmatched) {
        return null
      }
      const owner = await this.ownerForMoney(trx, { ...row, session_closed_at: row.session_closed_at ?? now }, now)
      const [won] = (await trx(TABLE)
        .where({ id })
        .update({ ...ownership(row, owner.sessionId, now), completion_locked_until: null })
        .returning("*")) as LedgerRow[]
      return { row: won, captured: !!owner.sessionId, superseded: owner.superseded }
    })
  }

  private async ownerForMoney(
    trx: Knex,
    row: LedgerRow,
    now: Date
  ): Promise<{ sessionId: string | null; superseded: LedgerRow | null }> {
    if (row.payment_session_id && !row.session_closed_at) {
      return { sessionId: row.payment_session_id, superseded: null }
    }
    if (!row.payment_collection_id) {
      return { sessionId: null, superseded: null }
    }
    const successor = (await trx(TABLE)
      .where({ payment_collection_id: row.payment_collection_id, amount: row.amount })
      .whereNot({ id: row.id })
      .whereNot("status", "paid")
      .whereNotNull("payment_session_id")
      .whereNull("session_closed_at")
      .whereNull("completed_at")
      .whereNull("deleted_at")
      .orderBy("created_at", "desc")
      .forUpdate()
      .first()) as LedgerRow | undefined
    if (!successor) {
      return { sessionId: null, superseded: null }
    }
    await trx(TABLE)
      .where({ id: successor.id })
      .update({ payment_session_id: null, session_closed_at: now, updated_at: now })
    return { sessionId: successor.payment_session_id, superseded: successor }
  }

  // ------------------------------------------------------------ bookkeeping

  /** Records that the payment's order exists; only the first call writes (returns false after). */
  async markCompleted(id: string, now: Date): Promise<boolean> {
    const n = await this.db()(TABLE)
      .where({ id, status: "paid" })
      .whereNull("completed_at")
      .update({ completed_at: now, completion_error: null, completion_locked_until: null, next_completion_at: null, updated_at: now })
    return n > 0
  }

  async patch(id: string, patch: BookkeepingPatch, now: Date): Promise<LedgerRow | null> {
    const rows = await this.db()(TABLE).where({ id }).update({ ...patch, updated_at: now }).returning("*")
    return (rows[0] as LedgerRow | undefined) ?? null
  }

  /** Counts one status query against the push's budget; null when the budget is spent. */
  async spendQuery(id: string, maxQueries: number, now: Date): Promise<LedgerRow | null> {
    const rows = await this.db()(TABLE)
      .where({ id })
      .where("query_attempts", "<", maxQueries)
      .update({ query_attempts: this.db().raw("query_attempts + 1"), last_queried_at: now, updated_at: now })
      .returning("*")
    return (rows[0] as LedgerRow | undefined) ?? null
  }

  /** Records the first receipt for a push paid on a status query; a different one is never swapped in. */
  async recordReceipt(
    id: string,
    receipt: Pick<LedgerRow, "mpesa_receipt_number" | "paid_phone" | "transaction_date" | "customer_message">,
    now: Date
  ): Promise<LedgerRow | null> {
    const rows = await this.db()(TABLE)
      .where({ id, status: "paid" })
      .whereNull("mpesa_receipt_number")
      .update({ ...receipt, updated_at: now })
      .returning("*")
    return (rows[0] as LedgerRow | undefined) ?? null
  }

  /**
   * The receipt an admin added to a payment confirmed by a status query (checked with Transaction Status
   * first, see refunds/receipt-check-application.ts). Never replaces one; throws a unique violation when
   * the receipt is already another payment's.
   */
  async addVerifiedReceipt(id: string, receipt: string, now: Date): Promise<LedgerRow | null> {
    const rows = await this.db()(TABLE)
      .where({ id, status: "paid" })
      .whereNull("mpesa_receipt_number")
      .update({ mpesa_receipt_number: receipt, updated_at: now })
      .returning("*")
    return (rows[0] as LedgerRow | undefined) ?? null
  }

  /** Counts one callback dropped beyond maxCallbacksPerUrl; returns the push's new count (null: no such push). */
  async countDroppedReplay(id: string, now: Date): Promise<number | null> {
    const rows = (await this.db()(TABLE)
      .where({ id })
      .update({ replays_dropped: this.db().raw("replays_dropped + 1"), updated_at: now })
      .returning("replays_dropped")) as { replays_dropped: number }[]
    return rows[0]?.replays_dropped ?? null
  }

  async flag(id: string, reason: string, now: Date): Promise<void> {
    await this.db()(TABLE)
      .where({ id })
      .update({ attention_reason: reason.slice(0, 500), attention_at: this.db().raw("coalesce(attention_at, ?)", [now]), updated_at: now })
  }

  // ------------------------------------------------------------ the reconcile job

  /**
   * Claims up to `limit` pending rows due for a status query and leases them
   * (skipping rows another worker holds), in one statement.
   */
  async claimDue(now: Date, limit: number, leaseMs: number): Promise<LedgerRow[]> {
    const db = this.db()
    const due = db(TABLE)
      .select("id")
      .whereNull("deleted_at")
      .where("status", "pending")
      .whereNotNull("next_query_at")
      .where("next_query_at", "<=", now)
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
      .whereNotNull("next_query_at")
      .where("next_query_at", "<=", now)
      .update({ next_query_at: new Date(now.getTime() + leaseMs), updated_at: now })
      .returning("*")
    return (rows[0] as LedgerRow | undefined) ?? null
  }

  /**
   * Open rows past their expiry that no planned query will settle (no
   * CheckoutRequestID, query budget spent, or Daraja does not know the id).
   * Pending rows with a query still planned get that last query first.
   */
  async expireDue(now: Date, customerMessage: string, limit: number): Promise<LedgerRow[]> {
    const db = this.db()
    const due = db(TABLE)
      .select("id")
      .whereNull("deleted_at")
      .whereIn("status", OPEN_STATUSES)
      .where("expires_at", "<=", now)
      .where((q) => q.whereNot("status", "pending").orWhereNull("next_query_at"))
      .limit(limit)
    const rows = await db(TABLE)
      .whereIn("id", due)
      .whereIn("status", OPEN_STATUSES)
      .update({ status: "expired", customer_message: customerMessage, settled_at: now, next_query_at: null, updated_at: now })
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

  /** Leases a paid, matched, not yet completed row for completion; null if done or leased elsewhere. */
  async claimCompletion(id: string, now: Date, leaseMs: number): Promise<LedgerRow | null> {
    const rows = await this.db()(TABLE)
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
    return (rows[0] as LedgerRow | undefined) ?? null
  }

  // ------------------------------------------------------------ inside the money desk's transaction

  /**
   * Locks a payment's row for a decision about its money (the desk's first
   * lock; refund rows come second). Returns the row as it is now.
   */
  async lockForDecision(trx: Knex, id: string): Promise<LedgerRow | null> {
    return ((await trx(TABLE).where({ id }).whereNull("deleted_at").forUpdate().first()) as LedgerRow | undefined) ?? null
  }

  /** Adds a completed refund to the payment's refunded amount (inside the desk's transaction, once per refund). */
  async addRefunded(trx: Knex, id: string, amount: number, now: Date): Promise<void> {
    await trx(TABLE)
      .where({ id })
      .update({ refunded_amount: trx.raw("refunded_amount + ?", [amount]), updated_at: now })
  }

  /**
   * A refund was opened for money that has no order: no order may be made
   * from it any more (the completion sweep and claim skip held rows).
   */
  async holdForRefund(trx: Knex, id: string, now: Date): Promise<void> {
    await trx(TABLE)
      .where({ id })
      .whereNull("completed_at")
      .update({ refund_hold_at: trx.raw("coalesce(refund_hold_at, ?)", [now]), next_completion_at: null, updated_at: now })
  }

  /** Records an admin's request to attach unmatched money to a payment collection (the desk allowed it). */
  async setAttachRequest(trx: Knex, id: string, collectionId: string, actor: string, now: Date): Promise<LedgerRow> {
    const [row] = (await trx(TABLE)
      .where({ id })
      .update({ attach_collection_id: collectionId, attach_requested_by: actor, attach_requested_at: now, updated_at: now })
      .returning("*")) as LedgerRow[]
    return row
  }

  /** The unmatched payment an admin attached to this collection, for a session of this amount (not locked; the desk re-checks). */
  async findAttachedTo(collectionId: string, amount: number): Promise<LedgerRow | null> {
    return (
      ((await this.table()
        .where({ attach_collection_id: collectionId, status: "paid", unmatched: true, amount })
        .whereNull("completed_at")
        .orderBy("attach_requested_at", "asc")
        .first()) as LedgerRow | undefined) ?? null
    )
  }

  /**
   * The new session takes the attached money: the row becomes the session's
   * paid payment and its order is due now (the desk checked, under the lock,
   * that nothing of it went back and the request still holds).
   */
  async takeAttachedLocked(trx: Knex, id: string, sessionId: string, now: Date): Promise<LedgerRow> {
    const [row] = (await trx(TABLE)
      .where({ id })
      .update({
        payment_session_id: sessionId,
        payment_collection_id: trx.raw("attach_collection_id"),
        unmatched: false,
        session_closed_at: null,
        attach_collection_id: null,
        attach_requested_at: null,
        attached_at: now,
        refund_hold_at: null,
        next_completion_at: now,
        completion_locked_until: null,
        completion_attempts: 0,
        updated_at: now,
      })
      .returning("*")) as LedgerRow[]
    return row
  }

  /** Withdraws an attach request that did not go through (the session could not be created). */
  async cancelAttach(id: string, now: Date): Promise<void> {
    await this.db()(TABLE)
      .where({ id })
      .whereNotNull("attach_collection_id")
      .update({ attach_collection_id: null, attach_requested_at: null, updated_at: now })
  }

  // ------------------------------------------------------------ completion races (issue 14, 1.4)

  /** Our provider answered Medusa's create of `sessionId` now (Medusa writes the answer onto its session next). */
  async markSessionAnswered(id: string, sessionId: string, now: Date): Promise<void> {
    await this.db()(TABLE).where({ id }).update({ answered_session_id: sessionId, session_answered_at: now, updated_at: now })
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
    const rows = (await this.db()(TABLE)
      .whereIn("id", candidate)
      .where({ status: "paid", unmatched: false })
      .whereNull("completed_at")
      .whereNull("refund_hold_at")
      // Medusa retrying the call for a session that already owns a push: that push stays its own.
      .whereNotExists(this.table().select("id").where({ payment_session_id: sessionId }))
      .update({ payment_session_id: sessionId, session_closed_at: null, next_completion_at: now, updated_at: now })
      .returning("*")) as LedgerRow[]
    return rows[0] ?? null
  }

  /**
   * The order Medusa made for a payment collection, if it exists now: through
   * its cart (cart_payment_collection -> order_cart) or the order it belongs
   * to (order_payment_collection). Reads Medusa's link tables directly: the
   * module has no access to Medusa's query, and links an order rollback
   * dismissed (or an order it deleted) do not count.
   */
  async medusaOrderForCollection(collectionId: string): Promise<string | null> {
    const db = this.db()
    const viaCart = await db("cart_payment_collection as cpc")
      .join("order_cart as oc", "oc.cart_id", "cpc.cart_id")
      .join("order as o", "o.id", "oc.order_id")
      .where("cpc.payment_collection_id", collectionId)
      .whereNull("cpc.deleted_at")
      .whereNull("oc.deleted_at")
      .whereNull("o.deleted_at")
      .first("o.id")
    if (viaCart) return (viaCart as { id: string }).id
    const viaOrder = await db("order_payment_collection as opc")
      .join("order as o", "o.id", "opc.order_id")
      .where("opc.payment_collection_id", collectionId)
      .whereNull("opc.deleted_at")
      .whereNull("o.deleted_at")
      .first("o.id")
    return (viaOrder as { id: string } | undefined)?.id ?? null
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
      .limit(limit)) as LedgerRow[]
  }
}

/**
 * Who owns paid money after a decision: the session it goes to (its order is
 * due now), or nobody (unmatched, kept with the time its session closed).
 */
function ownership(row: LedgerRow, sessionId: string | null, now: Date) {
  return {
    payment_session_id: sessionId,
    session_closed_at: sessionId ? null : row.session_closed_at ?? now,
    unmatched: !sessionId,
    next_completion_at: sessionId ? now : null,
    updated_at: now,
  }
}

export type LedgerFilters = {
  status?: LedgerStatus[]
  unmatched?: boolean
  /** not yet refunded in full */
  uncleared?: boolean
  ids?: string[]
  needsAttention?: boolean
  sessionIds?: string[]
  paymentCollectionIds?: string[]
  phone?: string
  receipt?: string
  createdFrom?: Date
  createdTo?: Date
}
