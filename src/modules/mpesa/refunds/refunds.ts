import { MedusaError } from "@medusajs/framework/utils"
import type { SettlementContext } from "../settlement-context"
import { paidAmount } from "../stores/refund-store"
import type { LedgerRow, RefundRow } from "../types"
import { ReversalDesk } from "./reversal-desk"
import { keepMoneyForCompletionRetry } from "./completion-rollback-guard"

const kes = (n: number) => `KES ${n.toLocaleString("en-KE")}`

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
  readonly desk: ReversalDesk

  constructor(private readonly ctx: SettlementContext) {
    this.desk = new ReversalDesk(ctx)
  }

  async refundFromMedusa(input: { payment: LedgerRow; amount: number; medusaRefundId: string }): Promise<RefundRow> {
    const kept = await keepMoneyForCompletionRetry(this.ctx, input); if (kept) return kept
    const { payment, amount, medusaRefundId } = input
    const now = this.ctx.now()
    const mine = await this.ctx.refunds.findByMedusaRefundId(medusaRefundId)
    if (mine?.status === "completed") return mine // Medusa retried the call for the same refund.

    // The admin recorded a refund made outside M-Pesa and runs Medusa's refund flow to put it on the order.
    const outside = await this.ctx.refunds.findOutsideBeingRecorded(payment.id, amount)
    if (outside) {
      const done = (await this.ctx.refunds.complete(outside.id, {}, now)) ?? outside
      const claimed = await this.ctx.refunds.claimForMedusa(done.id, medusaRefundId, now)
      if (!claimed) throw new MedusaError(MedusaError.Types.NOT_ALLOWED, "This refund made outside M-Pesa is already recorded.")
      return claimed
    }

    const { refund } = await this.desk.reverse({
      transactionId: payment.id,
      amount,
      requestedBy: "medusa",
      note: null,
      medusaPaymentId: null,
    })
    const settled = await this.desk.waitForSettlement(refund.id, this.ctx.config().reversalWaitMs)
    if (settled.status === "completed") {
      const claimed = await this.ctx.refunds.claimForMedusa(settled.id, medusaRefundId, this.ctx.now())
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

  /** Reverses money that has no order (unmatched), from the admin; waits a bounded time for the result. */
  async reverseUnmatched(input: { payment: LedgerRow; actor: string; note: string | null }): Promise<RefundRow> {
    const { payment } = input
    if (payment.status !== "paid" || !payment.unmatched) {
      throw new MedusaError(
        MedusaError.Types.NOT_ALLOWED,
        "Only paid M-Pesa payments without an order can be reversed here; refund an order's payment from the order page."
      )
    }
    const { refund } = await this.desk.reverse({
      transactionId: payment.id,
      amount: paidAmount(payment),
      requestedBy: input.actor,
      note: input.note,
      medusaPaymentId: null,
    })
    return this.desk.waitForSettlement(refund.id, this.ctx.config().reversalWaitMs)
  }

  /** Records money the merchant returned outside the plugin (no Daraja call); see RefundStore.openOutside. */
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
    const opening = await this.ctx.refunds.openOutside(
      {
        transactionId: input.payment.id,
        amount: input.amount,
        note: input.note,
        requestedBy: input.actor,
        viaMedusa: !!input.medusaPaymentId,
        medusaPaymentId: input.medusaPaymentId,
      },
      this.ctx.now()
    )
    if (opening.kind === "refused") throw new MedusaError(MedusaError.Types.NOT_ALLOWED, opening.message)
    this.ctx.logger.info(`M-Pesa: refund of KES ${input.amount} made outside recorded on ${input.payment.id} by ${input.actor}`)
    return opening.refund
  }

  /** Medusa would not record an outside refund: it did not happen on our ledger either. */
  async abandonOutside(refundId: string, reason: string): Promise<void> {
    await this.ctx.refunds.fail(refundId, { reason: `Not recorded: ${reason}`.slice(0, 500) }, this.ctx.now())
  }
}
