import { generateEntityId } from "@medusajs/framework/utils"
import type { Knex, LedgerRow, RefundRow, RefundStatus } from "../types"
import { OPEN_REFUND_STATUSES } from "../types"
import { REFUND_TRANSITIONS } from "./refund-transitions"

const TABLE = "mpesa_refund"
const LEDGER = "mpesa_transaction"

export type RefundOpening =
  | { kind: "created"; refund: RefundRow; payment: LedgerRow }
  | { kind: "existing"; refund: RefundRow; payment: LedgerRow }
  | { kind: "refused"; message: string }

/** What a settled refund may record alongside its status. */
export type RefundResultPatch = Partial<
  Pick<RefundRow, "result_code" | "result_desc" | "reversal_receipt" | "reason" | "originator_conversation_id" | "conversation_id">
>

const kes = (n: number) => `KES ${n.toLocaleString("en-KE")}`

/**
 * The only SQL that writes mpesa_refund, and the only code that changes a
 * payment's refunded amount. Opening a refund locks the payment's ledger row,
 * so two refunds of one payment (a double click, a retried Medusa call, the
 * admin and an order cancel at once) are decided one after the other from
 * the row as it is then; completing one adds to the payment's
 * refunded_amount in the same transaction.
 */
export class RefundStore {
  constructor(private readonly db: () => Knex) {}

  private table(trx?: Knex) {
    return (trx ?? this.db())<RefundRow>(TABLE).whereNull("deleted_at")
  }

  // ------------------------------------------------------------ reads

  async findById(id: string): Promise<RefundRow | null> {
    return ((await this.table().where({ id }).first()) as RefundRow | undefined) ?? null
  }

  async findByMedusaRefundId(medusaRefundId: string): Promise<RefundRow | null> {
    return ((await this.table().where({ medusa_refund_id: medusaRefundId }).first()) as RefundRow | undefined) ?? null
  }

  async listForTransactions(transactionIds: string[]): Promise<RefundRow[]> {
    if (!transactionIds.length) return []
    return (await this.table().whereIn("transaction_id", transactionIds).orderBy("created_at", "desc")) as RefundRow[]
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
        .first()) as RefundRow | undefined) ?? null
    )
  }

  /** An outside refund of this payment and amount that Medusa is recording right now (see openOutside). */
  async findOutsideBeingRecorded(transactionId: string, amount: number): Promise<RefundRow | null> {
    return (
      ((await this.table()
        .where({ transaction_id: transactionId, kind: "outside", status: "sending", amount })
        .whereNull("medusa_refund_id")
        .orderBy("created_at", "asc")
        .first()) as RefundRow | undefined) ?? null
    )
  }

  /** Completed reversals Medusa asked for but has not recorded yet (its refund call gave up waiting). */
  async listUnrecordedMedusaReversals(settledBefore: Date, limit: number): Promise<RefundRow[]> {
    return (await this.table()
      .where({ kind: "reversal", status: "completed", requested_by: "medusa" })
      .whereNull("medusa_refund_id")
      .where("settled_at", "<", settledBefore)
      .orderBy("settled_at", "asc")
      .limit(limit)) as RefundRow[]
  }

  // ------------------------------------------------------------ opening

  /**
   * Opens a reversal of a whole payment, or returns the one that already
   * exists (sent, waiting, or completed): Daraja reverses a payment once, so
   * a second reversal of it is never sent.
   */
  async openReversal(
    input: {
      transactionId: string
      amount: number
      requestedBy: string
      note: string | null
      medusaPaymentId: string | null
      /** when the sweep looks at it if the process dies before Daraja's answer is written */
      checkAt: Date
    },
    now: Date
  ): Promise<RefundOpening> {
    return this.db().transaction(async (trx) => {
      const payment = await this.lockPayment(trx, input.transactionId)
      if (!payment) return { kind: "refused", message: `M-Pesa payment ${input.transactionId} was not found` }
      const existing = (await this.table(trx)
        .where({ transaction_id: payment.id, kind: "reversal" })
        .whereIn("status", [...OPEN_REFUND_STATUSES, "completed"])
        .first()) as RefundRow | undefined
      if (existing) return { kind: "existing", refund: existing, payment }
      const refused = refusal(payment)
      if (refused) return { kind: "refused", message: refused }
      const paid = paidAmount(payment)
      if (payment.refunded_amount > 0) {
        return {
          kind: "refused",
          message:
            `${kes(payment.refunded_amount)} of this payment was already refunded outside M-Pesa Express. Daraja's Reversal ` +
            `returns the whole ${kes(paid)}, so it cannot be used now: send the remaining ` +
            `${kes(paid - payment.refunded_amount)} from the M-Pesa Org portal and record it as a refund made outside M-Pesa.`,
        }
      }
      if (input.amount !== paid) {
        return {
          kind: "refused",
          message:
            `amount: M-Pesa reverses whole payments only. Refund the full ${kes(paid)} to reverse it through M-Pesa, or send ` +
            `${kes(input.amount)} from the M-Pesa Org portal and record it under "Record refund made outside M-Pesa" in the ` +
            `order's M-Pesa panel.`,
        }
      }
      if (await this.outsideBeingRecorded(trx, payment.id)) {
        return { kind: "refused", message: "A refund made outside M-Pesa is being recorded for this payment right now; try again in a moment." }
      }
      const [refund] = (await trx(TABLE)
        .insert({
          id: generateEntityId(undefined, "mpesarf"),
          transaction_id: payment.id,
          kind: "reversal",
          status: "sending",
          amount: paid,
          requested_by: input.requestedBy,
          note: input.note,
          medusa_payment_id: input.medusaPaymentId,
          next_check_at: input.checkAt,
          created_at: now,
          updated_at: now,
        })
        .returning("*")) as RefundRow[]
      return { kind: "created", refund, payment }
    })
  }

  /**
   * Records money the merchant returned outside the plugin (Org portal).
   * `viaMedusa`: the row waits in `sending` until Medusa's own refund flow
   * records it on the order (the provider completes it); otherwise (money
   * with no order) it is completed at once.
   */
  async openOutside(
    input: { transactionId: string; amount: number; note: string; requestedBy: string; viaMedusa: boolean; medusaPaymentId: string | null },
    now: Date
  ): Promise<RefundOpening> {
    return this.db().transaction(async (trx) => {
      const payment = await this.lockPayment(trx, input.transactionId)
      if (!payment) return { kind: "refused", message: `M-Pesa payment ${input.transactionId} was not found` }
      const refused = refusal(payment)
      if (refused) return { kind: "refused", message: refused }
      const reversal = (await this.table(trx)
        .where({ transaction_id: payment.id, kind: "reversal" })
        .whereIn("status", [...OPEN_REFUND_STATUSES, "completed"])
        .first()) as RefundRow | undefined
      if (reversal?.status === "completed") {
        return { kind: "refused", message: `This payment was already reversed in full through M-Pesa (${reversal.reversal_receipt ?? reversal.id}).` }
      }
      if (reversal) {
        return {
          kind: "refused",
          message: "A reversal of this payment is waiting for M-Pesa's answer; record a refund made outside only once it has failed.",
        }
      }
      if (await this.outsideBeingRecorded(trx, payment.id)) {
        return { kind: "refused", message: "Another refund of this payment is being recorded right now; try again in a moment." }
      }
      // The note names the refund made elsewhere (e.g. the Org portal's transaction id): the same one twice
      // for one payment is a repeated submission, not a second refund.
      const same = (await this.table(trx)
        .where({ transaction_id: payment.id, kind: "outside" })
        .whereIn("status", ["sending", "completed"])
        .whereRaw("lower(trim(note)) = lower(trim(?))", [input.note])
        .first()) as RefundRow | undefined
      if (same) {
        return { kind: "refused", message: `note: a refund with this note is already recorded for this payment (${same.id}); use the note to tell refunds apart.` }
      }
      const remaining = paidAmount(payment) - payment.refunded_amount
      if (input.amount > remaining) {
        return {
          kind: "refused",
          message: `amount: at most ${kes(remaining)} of this payment is left to refund (paid ${kes(paidAmount(payment))}, refunded ${kes(payment.refunded_amount)}).`,
        }
      }
      const [refund] = (await trx(TABLE)
        .insert({
          id: generateEntityId(undefined, "mpesarf"),
          transaction_id: payment.id,
          kind: "outside",
          status: input.viaMedusa ? "sending" : "completed",
          amount: input.amount,
          note: input.note,
          requested_by: input.requestedBy,
          medusa_payment_id: input.medusaPaymentId,
          settled_at: input.viaMedusa ? null : now,
          created_at: now,
          updated_at: now,
        })
        .returning("*")) as RefundRow[]
      if (!input.viaMedusa) await this.addRefunded(trx, payment.id, input.amount, now)
      return { kind: "created", refund, payment }
    })
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

  /** Settles a refund as done and adds it to the payment's refunded amount, once. */
  async complete(id: string, patch: RefundResultPatch, now: Date): Promise<RefundRow | null> {
    return this.db().transaction(async (trx) => {
      const row = await this.move(id, "completed", { ...patch, settled_at: now, next_check_at: null }, now, trx)
      if (row) await this.addRefunded(trx, row.transaction_id, row.amount, now)
      return row
    })
  }

  /**
   * Ties a completed refund to Medusa's refund id: the call that gets the row
   * back may report success to Medusa; any other key gets null.
   */
  async claimForMedusa(id: string, medusaRefundId: string, now: Date): Promise<RefundRow | null> {
    const rows = (await this.table()
      .where({ id, status: "completed" })
      .where((q) => q.whereNull("medusa_refund_id").orWhere("medusa_refund_id", medusaRefundId))
      .update({ medusa_refund_id: medusaRefundId, updated_at: now })
      .returning("*")) as RefundRow[]
    return rows[0] ?? null
  }

  /** Bookkeeping for checks and attention; never changes what a refund is. */
  async schedule(
    id: string,
    patch: Partial<Pick<RefundRow, "check_attempts" | "next_check_at" | "attention_reason" | "attention_at" | "reason">>,
    now: Date
  ) {
    await this.db()(TABLE).where({ id }).update({ ...patch, updated_at: now })
  }

  /** Open refunds whose check is due, leased so two workers never check one at once. */
  async claimDue(now: Date, limit: number, leaseMs: number): Promise<RefundRow[]> {
    const db = this.db()
    const due = db(TABLE)
      .select("id")
      .whereNull("deleted_at")
      .whereIn("status", OPEN_REFUND_STATUSES)
      .where("next_check_at", "<=", now)
      .where((q) => q.whereNull("locked_until").orWhere("locked_until", "<", now))
      .orderBy("next_check_at", "asc")
      .limit(limit)
    return (await db(TABLE)
      .whereIn("id", due)
      .where((q) => q.whereNull("locked_until").orWhere("locked_until", "<", now))
      .update({ locked_until: new Date(now.getTime() + leaseMs) })
      .returning("*")) as RefundRow[]
  }

  async release(id: string) {
    await this.db()(TABLE).where({ id }).update({ locked_until: null })
  }

  // ------------------------------------------------------------ internals

  private async move(
    id: string,
    to: Exclude<RefundStatus, "sending">,
    patch: Record<string, unknown>,
    now: Date,
    trx?: Knex
  ): Promise<RefundRow | null> {
    const rows = (await (trx ?? this.db())(TABLE)
      .where({ id })
      .whereIn("status", REFUND_TRANSITIONS[to] as RefundStatus[])
      .update({ ...patch, status: to, updated_at: now })
      .returning("*")) as RefundRow[]
    return rows[0] ?? null
  }

  private async lockPayment(trx: Knex, transactionId: string): Promise<LedgerRow | null> {
    return ((await trx(LEDGER).where({ id: transactionId }).whereNull("deleted_at").forUpdate().first()) as LedgerRow | undefined) ?? null
  }

  private async outsideBeingRecorded(trx: Knex, transactionId: string): Promise<boolean> {
    return !!(await this.table(trx).where({ transaction_id: transactionId, kind: "outside", status: "sending" }).first())
  }

  private async addRefunded(trx: Knex, transactionId: string, amount: number, now: Date) {
    await trx(LEDGER)
      .where({ id: transactionId })
      .update({ refunded_amount: trx.raw("refunded_amount + ?", [amount]), updated_at: now })
  }
}

/** The whole shillings M-Pesa confirmed for a payment (what a reversal returns). */
export function paidAmount(payment: LedgerRow): number {
  return payment.paid_amount ?? payment.amount
}

function refusal(payment: LedgerRow): string | null {
  if (payment.status !== "paid") return `Only paid M-Pesa payments can be refunded; this one is ${payment.status}.`
  if (!payment.mpesa_receipt_number) return "This payment has no M-Pesa receipt number, so M-Pesa cannot reverse it."
  return null
}
