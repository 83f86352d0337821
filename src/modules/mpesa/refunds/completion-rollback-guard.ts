import type { SettlementContext } from "../settlement-context"
import { paidAmount } from "./desk-rules"
import type { LedgerRow, RefundRow } from "../types"

/**
 * Medusa's completeCartWorkflow, when it fails after the payment was
 * captured, refunds that payment in its own compensation
 * (compensatePaymentIfNeededStep -> refundPaymentAndRecreatePaymentSessionWorkflow
 * -> refundPaymentsWorkflow -> our refundPayment, note "Refunded due to cart
 * completion failure"), then re-creates the payment session. For M-Pesa money
 * the plugin still means to turn into that cart's order, a real Reversal
 * there silently refunds a shopper who paid. This recognises such a refund
 * and answers it without moving money.
 *
 * Recognised from our ledger and Medusa's links, not from the note (which our
 * provider never receives anyway): the payment is paid, matched to a session,
 * not completed, nothing refunded; its completion is still intended (a retry
 * is scheduled or running); the refund is the whole payment; and no order
 * exists for its payment collection now — Medusa's compensation removed it,
 * and Medusa itself skips the refund when an order exists. A refund from an
 * order page always has an order, so it never matches.
 *
 * Why answer (so Medusa records the refund) rather than throw: Medusa's
 * refund step swallows a provider error and re-creates the session either
 * way, and the re-created session then takes this money (see
 * LedgerStore.takePaidForCollection) and a new Medusa payment is made for it.
 * Recorded, Medusa's books say "old payment voided, new payment captured",
 * which matches the one M-Pesa payment; refused, Medusa would show the same
 * money captured twice on one cart. The money stays on the ledger, paid and
 * matched; the completion retries with back-off and flags the payment for a
 * person if it keeps failing, where the desk's rules decide.
 *
 * Returns the answer for Medusa (nothing stored: no refund happened), or
 * null when this is an ordinary refund.
 */
export async function keepMoneyForCompletionRetry(
  ctx: SettlementContext,
  input: { payment: LedgerRow; amount: number; medusaRefundId: string }
): Promise<RefundRow | null> {
  const { payment, medusaRefundId } = input
  if (!(await isCompletionRollbackRefund(ctx, payment, input.amount))) return null
  const now = ctx.now()

  ctx.logger.warn(
    `M-Pesa: Medusa asked to refund ${payment.id} (refund ${medusaRefundId}) while its order is still to be made (a rolled-back order); ` +
      "no Reversal sent: the money stays for the completion retry"
  )
  return {
    id: `kept_${medusaRefundId}`,
    deleted_at: null,
    transaction_id: payment.id,
    kind: "reversal",
    status: "failed",
    amount: 0,
    medusa_refund_id: medusaRefundId,
    medusa_payment_id: null,
    requested_by: "medusa",
    note: "Medusa's cart-completion rollback; not sent",
    originator_conversation_id: null,
    conversation_id: null,
    result_code: null,
    result_desc: null,
    reversal_receipt: null,
    reason: "Not sent: Medusa rolled back the order this payment is for; the money stays for the order's next attempt.",
    settled_at: now,
    check_attempts: 0,
    next_check_at: null,
    locked_until: null,
    attention_reason: null,
    attention_at: null,
    created_at: now,
    updated_at: now,
  }
}

/** The recognition alone (no answer, no log): also asked before the plugin itself voids an orphaned Medusa payment. */
export async function isCompletionRollbackRefund(ctx: SettlementContext, payment: LedgerRow, amount: number): Promise<boolean> {
  const now = ctx.now()
  const completionIntended =
    !!payment.next_completion_at || (!!payment.completion_locked_until && new Date(payment.completion_locked_until) > now)
  const matchedAwaitingOrder =
    payment.status === "paid" &&
    !payment.unmatched &&
    !payment.completed_at &&
    !!payment.payment_session_id &&
    !!payment.payment_collection_id &&
    payment.refunded_amount === 0 &&
    // Once the desk opened a refund of this money, no order is made from it: an ordinary refund then.
    !payment.refund_hold_at &&
    completionIntended
  if (!matchedAwaitingOrder || amount !== paidAmount(payment)) return false
  return !(await ctx.deskLedger.medusaOrderForCollection(payment.payment_collection_id!))
}
