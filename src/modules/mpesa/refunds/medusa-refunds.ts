import { MedusaError } from "@medusajs/framework/utils"
import type { BigNumberInput } from "@medusajs/framework/types"
import { toWholeShillings } from "../amount"
import type { ConfigRuntime } from "../settings/config-runtime"
import type { SettlementContext } from "../settlement-context"
import type { LedgerRow, RefundRow } from "../types"
import { isCompletionRollbackRefund } from "./completion-rollback-guard"
import { medusaRefundRule } from "./desk-rules"
import type { Refunds } from "./refunds"

/** Which payment a Medusa refund names: its session, or (older payments) its CheckoutRequestID. */
export type MedusaPaymentRef = { sessionId?: string; checkoutRequestId?: string }

/**
 * Refunds Medusa asks for (the order page's Refund, an order cancel, a
 * completion rollback) and the reversals Medusa still has to record.
 */
export class MedusaRefunds {
  constructor(
    private readonly ctx: SettlementContext,
    private readonly refunds: Refunds,
    private readonly runtime: ConfigRuntime
  ) {}

  /** A Daraja Reversal of the whole payment, or the recording of a refund made outside; returns once the money went back. */
  async refund(input: MedusaPaymentRef & { amount: BigNumberInput; medusaRefundId: string }): Promise<RefundRow> {
    await this.runtime.refresh(true)
    const payment = await this.find(input)
    if (!payment) {
      throw new MedusaError(MedusaError.Types.NOT_FOUND, "This payment has no M-Pesa record, so it cannot be refunded through M-Pesa.")
    }
    const { whole } = toWholeShillings(input.amount)
    // Medusa's completion rollback is answered without Daraja; anything else may need a Reversal.
    if (!(await isCompletionRollbackRefund(this.ctx, payment, whole))) {
      this.runtime.assertNotPaused("Refunding through M-Pesa")
    }
    return this.refunds.refundFromMedusa({ payment, amount: whole, medusaRefundId: input.medusaRefundId })
  }

  /** Why a Medusa refund of `amount` would be refused now (advisory; decided again under the row locks). */
  async refusal(input: MedusaPaymentRef & { amount: BigNumberInput }): Promise<string | null> {
    const payment = await this.find(input)
    if (!payment) return null
    const refunds = await this.ctx.refunds.listForTransactions([payment.id])
    return medusaRefundRule({ payment, refunds, now: this.ctx.now() }, toWholeShillings(input.amount).whole)?.refused ?? null
  }

  /** Reversals confirmed too late for the Medusa refund that asked for them: to be recorded in Medusa now. */
  async unrecorded(limit: number): Promise<{ refund: RefundRow; payment: LedgerRow }[]> {
    const settledBefore = new Date(this.ctx.now().getTime() - this.ctx.config().reversalWaitMs - 2_000)
    const rows = await this.ctx.refunds.listUnrecordedMedusaReversals(settledBefore, limit)
    const out: { refund: RefundRow; payment: LedgerRow }[] = []
    for (const refund of rows) {
      const payment = await this.ctx.ledger.findById(refund.transaction_id)
      if (payment) out.push({ refund, payment })
    }
    return out
  }

  private async find(ref: MedusaPaymentRef): Promise<LedgerRow | null> {
    return (
      (ref.sessionId ? await this.ctx.ledger.findBySession(ref.sessionId) : null) ??
      (ref.checkoutRequestId ? await this.ctx.ledger.findByCheckoutRequestId(ref.checkoutRequestId) : null)
    )
  }
}
