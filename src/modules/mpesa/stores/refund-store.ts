import { generateEntityId } from "@medusajs/framework/utils"
import type { Knex, RefundKind, RefundRow, RefundStatus } from "../types"
import { OPEN_REFUND_STATUSES } from "../statuses"
import { REFUND_TRANSITIONS } from "./refund-transitions"
import { refundTable } from "./tables"


/** What a settled refund may record alongside its status. */
export type RefundResultPatch = Partial<
  Pick<RefundRow, "result_code" | "result_desc" | "reversal_receipt" | "reason" | "originator_conversation_id" | "conversation_id">
>

export type RefundInsert = {
  transactionId: string
  kind: RefundKind
  status: Extract<RefundStatus, "sending" | "completed">
  amount: number
  requestedBy: string
  note: string | null
  medusaPaymentId: string | null
  /** when the sweep looks at it if the process dies before Daraja's answer is written */
  checkAt?: Date | null
}

/**
 * The only SQL that writes mpesa_refund, and nothing else: the payment's
 * refunded amount lives on the ledger and is written by LedgerStore. Whether
 * a refund may be opened is decided by the money desk (refunds/money-desk.ts)
 * under the payment's row lock; this store writes what it decided.
 */
export class RefundStore {
  constructor(private readonly db: () => Knex) {}

  private table(trx?: Knex) {
    return refundTable(trx ?? this.db()).whereNull("deleted_at")
  }

  // ------------------------------------------------------------ reads

  async findById(id: string): Promise<RefundRow | null> {
    return ((await this.table().where({ id }).first())) ?? null
  }

  async findByMedusaRefundId(medusaRefundId: string): Promise<RefundRow | null> {
    return ((await this.table().where({ medusa_refund_id: medusaRefundId }).first())) ?? null
  }

  async listForTransactions(transactionIds: string[]): Promise<RefundRow[]> {
    if (!transactionIds.length) return []
    return (await this.table().whereIn("transaction_id", transactionIds).orderBy("created_at", "desc"))
  }

  /** Transactions that have any refund, newest refund first (the admin's Refunds tab). */
  async transactionIdsWithRefunds(page: { take: number; skip: number }): Promise<{ ids: string[]; count: number }> {
    const base = this.table().select("transaction_id").max("created_at as last").groupBy("transaction_id")
    const rows = (await base.clone().orderBy("last", "desc").limit(page.take).offset(page.skip)) as { transaction_id: string }[]
    const [{ count }] = (await this.db()
      .from(this.table().distinct("transaction_id").as("t"))
      .count({ count: "*" })) as { count: string | number }[]
    return { ids: rows.map((r) => r.transaction_id), count: Number(count) }
  }

  /** The payment's reversal that is on its way or done (at most one; see the unique index). */
  async findLiveReversal(transactionId: string): Promise<RefundRow | null> {
    return (
      ((await this.table()
        .where({ transaction_id: transactionId, kind: "reversal" })
        .whereIn("status", [...OPEN_REFUND_STATUSES, "completed"])
        .first())) ?? null
    )
  }

  /** An outside refund of this payment and amount that Medusa is recording right now (see openOutside). */
  async findOutsideBeingRecorded(transactionId: string, amount: number): Promise<RefundRow | null> {
    return (
      ((await this.table()
        .where({ transaction_id: transactionId, kind: "outside", status: "sending", amount })
        .whereNull("medusa_refund_id")
        .orderBy("created_at", "asc")
        .first())) ?? null
    )
  }

  /** Completed reversals Medusa asked for but has not recorded yet (its refund call gave up waiting). */
  async listUnrecordedMedusaReversals(settledBefore: Date, limit: number): Promise<RefundRow[]> {
    return (await this.table()
      .where({ kind: "reversal", status: "completed", requested_by: "medusa" })
      .whereNull("medusa_refund_id")
      .where("settled_at", "<", settledBefore)
      .orderBy("settled_at", "asc")
      .limit(limit))
  }

  // ------------------------------------------------------------ inside the money desk's transaction

  /**
   * The payment's refunds, locked, inside a transaction that already holds
   * the payment's ledger row lock (the desk's fixed order: ledger row, then
   * refund rows; see refunds/money-desk.ts).
   */
  async lockForPayment(trx: Knex, transactionId: string): Promise<RefundRow[]> {
    return (await this.table(trx).where({ transaction_id: transactionId }).orderBy("created_at", "asc").forUpdate())
  }

  /** Writes a new refund row (the desk decided it may exist); returns it. */
  async insert(trx: Knex, input: RefundInsert, now: Date): Promise<RefundRow> {
    const [refund] = (await refundTable(trx)
      .insert({
        id: generateEntityId(undefined, "mpesarf"),
        transaction_id: input.transactionId,
        kind: input.kind,
        status: input.status,
        amount: input.amount,
        requested_by: input.requestedBy,
        note: input.note,
        medusa_payment_id: input.medusaPaymentId,
        next_check_at: input.checkAt ?? null,
        settled_at: input.status === "completed" ? now : null,
        created_at: now,
        updated_at: now,
      })
      .returning("*"))
    return refund
  }

  /** Settles a refund as done (guarded transition); the desk adds it to the payment's refunded amount in the same transaction. */
  async markCompleted(trx: Knex, id: string, patch: RefundResultPatch, now: Date): Promise<RefundRow | null> {
    return this.move(id, "completed", { ...patch, settled_at: now, next_check_at: null }, now, trx)
  }

  // ------------------------------------------------------------ transitions

  async markRequested(id: string, ids: { originator_conversation_id: string; conversation_id: string }, nextCheckAt: Date, now: Date) {
    return this.move(id, "requested", { ...ids, next_check_at: nextCheckAt }, now)
  }

  async markUnknown(id: string, reason: string, nextCheckAt: Date, now: Date) {
    return this.move(id, "unknown", { reason, next_check_at: nextCheckAt }, now)
  }

  async fail(id: string, patch: RefundResultPatch, now: Date): Promise<RefundRow | null> {
    return this.move(id, "failed", { ...patch, settled_at: now, next_check_at: null }, now)
  }

  /**
   * Ties a completed refund to Medusa's refund id: the call that gets the row
   * back may report success to Medusa; any other key gets null.
   */
  async claimForMedusa(id: string, medusaRefundId: string, amount: number, now: Date): Promise<RefundRow | null> {
    // Only for its own amount: a partial Medusa refund never claims a whole reversal.
    const rows = (await this.table()
      .where({ id, status: "completed", amount })
      .where((q) => q.whereNull("medusa_refund_id").orWhere("medusa_refund_id", medusaRefundId))
      .update({ medusa_refund_id: medusaRefundId, updated_at: now })
      .returning("*"))
    return rows[0] ?? null
  }

  /** Bookkeeping for checks and attention; never changes what a refund is. */
  async schedule(
    id: string,
    patch: Partial<Pick<RefundRow, "check_attempts" | "next_check_at" | "attention_reason" | "attention_at" | "reason">>,
    now: Date
  ) {
    await refundTable(this.db()).where({ id }).update({ ...patch, updated_at: now })
  }

  /** Open refunds whose check is due, leased so two workers never check one at once. */
  async claimDue(now: Date, limit: number, leaseMs: number): Promise<RefundRow[]> {
    const db = this.db()
    const due = refundTable(db)
      .select("id")
      .whereNull("deleted_at")
      .whereIn("status", OPEN_REFUND_STATUSES)
      .where("next_check_at", "<=", now)
      .where((q) => q.whereNull("locked_until").orWhere("locked_until", "<", now))
      .orderBy("next_check_at", "asc")
      .limit(limit)
    return (await refundTable(db)
      .whereIn("id", due)
      .where((q) => q.whereNull("locked_until").orWhere("locked_until", "<", now))
      .update({ locked_until: new Date(now.getTime() + leaseMs) })
      .returning("*"))
  }

  /** Leases one open refund for a check now (the admin's "Check again"); null if another worker holds it. */
  async claimOne(id: string, now: Date, leaseMs: number): Promise<RefundRow | null> {
    const rows = (await refundTable(this.db())
      .where({ id })
      .whereIn("status", OPEN_REFUND_STATUSES)
      .where((q) => q.whereNull("locked_until").orWhere("locked_until", "<", now))
      .update({ locked_until: new Date(now.getTime() + leaseMs) })
      .returning("*"))
    return rows[0] ?? null
  }

  async release(id: string) {
    await refundTable(this.db()).where({ id }).update({ locked_until: null })
  }

  /** Outside refunds left in `sending` by a process that stopped between recording them and Medusa's refund flow. */
  async listStaleOutside(olderThan: Date, limit: number): Promise<RefundRow[]> {
    return (await this.table()
      .where({ kind: "outside", status: "sending" })
      .where("created_at", "<", olderThan)
      .orderBy("created_at", "asc")
      .limit(limit))
  }

  /** An admin asks for a check now (a reversal M-Pesa never confirmed): due at once, one more check allowed, flag kept until it settles. */
  async scheduleCheckNow(id: string, maxChecks: number, now: Date): Promise<RefundRow | null> {
    const rows = (await refundTable(this.db())
      .where({ id, kind: "reversal" })
      .whereIn("status", OPEN_REFUND_STATUSES)
      .update({ next_check_at: now, check_attempts: this.db().raw("least(check_attempts, ?)", [maxChecks - 1]), updated_at: now })
      .returning("*"))
    return rows[0] ?? null
  }

  // ------------------------------------------------------------ internals

  private async move(
    id: string,
    to: Exclude<RefundStatus, "sending">,
    patch: Record<string, unknown>,
    now: Date,
    trx?: Knex
  ): Promise<RefundRow | null> {
    const rows = (await refundTable(trx ?? this.db())
      .where({ id })
      .whereIn("status", REFUND_TRANSITIONS[to] as RefundStatus[])
      .update({ ...patch, status: to, updated_at: now })
      .returning("*"))
    return rows[0] ?? null
  }
}
