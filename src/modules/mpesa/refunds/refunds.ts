import { MedusaError } from "@medusajs/framework/utils"
import type { SettlementContext } from "../settlement-context"
import type { LedgerRow, RefundRow } from "../types"
import { OPEN_REFUND_STATUSES } from "../statuses"
import { kes } from "./desk-rules"
import { ReversalDesk } from "./reversal-desk"
import { keepMoneyForCompletionRetry } from "./completion-rollback-guard"

/**
 * The module's refund rules, for Medusa's refund flow and the admin:
 *
 * - A refund from Medusa (the order page's Refund, or an order cancel) of a
 *   whole payment sends a Daraja Reversal and waits up to reversalWaitMs for
 *   its result. Completed -> returns, and Medusa records the refund. Failed ->
 *   throws Daraja's reason in plain words, and Medusa records nothing. Still
 *   unknown -> throws too (Medusa records nothing, so it never claims money
 *   moved that may not have); our ledger keeps following the reversal, and
 *   once M-Pesa confirms it the reconcile job records the refund in Medusa.
 * - Idempotent by Medusa's refund id, and one reversal per payment: a
 *   retried or repeated refund never reverses twice.
 * - A partial amount is refused with what to do instead: pay the part back
 *   from the Org portal and record it as a refund made outside M-Pesa.
 */
export class Refunds {
  readonly reversals: ReversalDesk

  constructor(private readonly ctx: SettlementContext) {
    this.reversals = new ReversalDesk(ctx)
  }

  async refundFromMedusa(input: { payment: LedgerRow; amount: number; medusaRefundId: string }): Promise<RefundRow> {
    // Medusa's own cart-completion rollback asking for money the plugin still means to make an order from.
    const kept = await keepMoneyForCompletionRetry(this.ctx, input)
    if (kept) return kept
    const { payment, amount, medusaRefundId } = input
    const now = this.ctx.now()
    const mine = await this.ctx.refunds.findByMedusaRefundId(medusaRefundId)
    if (mine?.status === "completed") return mine // Medusa retried the call for the same refund.

    // The admin recorded a refund made outside M-Pesa and runs Medusa's refund flow to put it on the order.
    const outside = await this.ctx.refunds.findOutsideBeingRecorded(payment.id, amount)
    if (outside) {
      const done = (await this.ctx.desk.completeRefund(outside.id, {}, now)) ?? (await this.ctx.refunds.findById(outside.id)) ?? outside
      const claimed = await this.ctx.refunds.claimForMedusa(done.id, medusaRefundId, done.amount, now)
      if (!claimed) throw new MedusaError(MedusaError.Types.NOT_ALLOWED, "This refund made outside M-Pesa is already recorded.")
      return claimed
    }

    const { refund } = await this.reversals.reverse(payment.id, { by: "medusa", amount })
    const settled = await this.reversals.waitForSettlement(refund.id, this.ctx.config().reversalWaitMs)
    if (settled.status === "completed") {
      const claimed = await this.ctx.refunds.claimForMedusa(settled.id, medusaRefundId, amount, this.ctx.now())
      if (!claimed) {
        throw new MedusaError(
          MedusaError.Types.NOT_ALLOWED,
          `This payment was already reversed in full (${settled.reversal_receipt ?? settled.id}) and that refund is already recorded.`
        )
      }
      return claimed
    }
    if (settled.status === "failed") {
      throw new MedusaError(MedusaError.Types.NOT_ALLOWED, `${settled.reason ?? "M-Pesa did not reverse the payment."} Nothing was refunded.`)
    }
    throw new MedusaError(
      MedusaError.Types.NOT_ALLOWED,
      `M-Pesa has not confirmed the reversal of ${kes(settled.amount)} (receipt ${payment.mpesa_receipt_number}) yet, so ` +
        "nothing is recorded in Medusa. The refund is recorded on this order automatically once M-Pesa confirms it (see " +
        "the M-Pesa panel); pressing Refund again will not reverse the payment twice."
    )
  }

  /**
   * Reverses money that has no order — unmatched, or paid for a cart whose
   * order cannot be created — from the admin; waits a bounded time for the
   * result. The desk decides under the payment's lock (see desk-rules.ts).
   */
  async reverseUnmatched(input: { payment: LedgerRow; actor: string; note: string | null }): Promise<RefundRow> {
    const { refund } = await this.reversals.reverse(input.payment.id, { by: "admin", actor: input.actor, note: input.note })
    return this.reversals.waitForSettlement(refund.id, this.ctx.config().reversalWaitMs)
  }

  /** Records money the merchant returned outside the plugin (no Daraja call, no receipt needed); see MoneyDesk.openOutside. */
  async recordOutside(input: {
    payment: LedgerRow
    amount: number
    note: string
    actor: string
    medusaPaymentId: string | null
  }): Promise<RefundRow> {
    if (!Number.isInteger(input.amount) || input.amount < 1) {
      throw new MedusaError(MedusaError.Types.INVALID_DATA, "amount: must be a whole number of shillings, at least 1")
    }
    const refund = await this.ctx.desk.openOutside({
      transactionId: input.payment.id,
      amount: input.amount,
      note: input.note,
      requestedBy: input.actor,
      viaMedusa: !!input.medusaPaymentId,
      medusaPaymentId: input.medusaPaymentId,
    })
    this.ctx.logger.info(`M-Pesa: refund of KES ${input.amount} made outside recorded on ${input.payment.id} by ${input.actor}`)
    return refund
  }

  /** Medusa would not record an outside refund: it did not happen on our ledger either. */
  async abandonOutside(refundId: string, reason: string): Promise<void> {
    await this.ctx.refunds.fail(refundId, { reason: `Not recorded: ${reason}`.slice(0, 500) }, this.ctx.now())
  }

  /**
   * Closes a reversal M-Pesa never confirmed as returned: the admin saw the
   * money go back in the Org portal. Completed (counted as refunded) with
   * who closed it and their reference; a Medusa-requested one is then
   * recorded on its order by the reconcile job, like a late confirmation.
   */
  async closeAsReturned(input: { refundId: string; actor: string; note: string }): Promise<RefundRow> {
    const refund = await this.ctx.refunds.findById(input.refundId)
    if (!refund) throw new MedusaError(MedusaError.Types.NOT_FOUND, `refund ${input.refundId} was not found`)
    if (refund.kind !== "reversal" || !OPEN_REFUND_STATUSES.includes(refund.status)) {
      throw new MedusaError(
        MedusaError.Types.NOT_ALLOWED,
        `This refund is already ${refund.status}; only a reversal still waiting for M-Pesa can be closed as returned.`
      )
    }
    const closed = await this.ctx.desk.completeRefund(input.refundId, {
      result_desc: `Closed as returned by ${input.actor}: ${input.note}`.slice(0, 500),
      reason: null,
    })
    if (!closed) {
      const now = await this.ctx.refunds.findById(input.refundId)
      throw new MedusaError(MedusaError.Types.NOT_ALLOWED, `M-Pesa settled this reversal meanwhile (${now?.status ?? "gone"}); nothing was changed.`)
    }
    await this.ctx.refunds.schedule(closed.id, { attention_reason: null }, this.ctx.now())
    this.ctx.logger.info(`M-Pesa: reversal ${closed.id} closed as returned by ${input.actor}`)
    return (await this.ctx.refunds.findById(closed.id)) ?? closed
  }

  /**
   * Outside refunds left in `sending` by a process that stopped between our
   * ledger and Medusa's refund flow: nothing was recorded in Medusa, so they
   * are marked "not recorded" and stop blocking later refunds; the admin
   * records them again.
   */
  async sweepStaleOutside(olderThanMs: number, limit = 20): Promise<number> {
    const cutoff = new Date(this.ctx.now().getTime() - olderThanMs)
    let swept = 0
    for (const r of await this.ctx.refunds.listStaleOutside(cutoff, limit)) {
      const failed = await this.ctx.refunds.fail(
        r.id,
        { reason: "Not recorded: the process stopped before Medusa recorded this refund; record it again if the money went back." },
        this.ctx.now()
      )
      if (failed) swept++
    }
    if (swept) this.ctx.logger.warn(`M-Pesa: ${swept} refund(s) made outside were left half-recorded and are marked not recorded`)
    return swept
  }
}
