import type { IPaymentModuleService } from "@medusajs/framework/types"
import { Modules } from "@medusajs/framework/utils"
import { createStep, StepResponse } from "@medusajs/framework/workflows-sdk"
import { findOrderForMpesaPayment } from "../../queries/order-for-mpesa-payment"
import type { SessionGate } from "./await-mpesa-session-write"
import type { ClaimedCompletion } from "./claim-mpesa-completion"

export type CartCompletionOutcome =
  | { outcome: "completed"; order_id: string | null }
  /** the session is gone; `attempted`: Medusa's flow ran first (and its rollback may have deleted it) */
  | { outcome: "session_gone"; attempted: boolean; error?: string }
  /** Medusa is still writing the session: nothing was attempted, try again at `retry_at` */
  | { outcome: "not_ready"; why: string; retry_at: string }
  | { outcome: "failed"; error: string }

/**
 * What the attempt achieved, read back from Medusa: "completed" means the
 * order exists now (Medusa's links), never that Medusa's flow returned — it
 * continues past a cart completion that failed and was compensated
 * (continueOnPermanentFailure). Nothing attempted: the gate's outcome.
 */
export const readMpesaCompletionOutcomeStep = createStep(
  "read-mpesa-completion-outcome",
  async (input: { claimed: ClaimedCompletion; gate: SessionGate }, { container }) => {
    const { claimed, gate } = input
    if (!claimed) return new StepResponse<CartCompletionOutcome | null>(null)
    if (!gate.proceed) return new StepResponse<CartCompletionOutcome | null>(gate.outcome)
    try {
      const { cartId, orderId } = await findOrderForMpesaPayment(container, {
        paymentCollectionId: claimed.payment_collection_id,
        sessionId: claimed.session_id,
      })
      const paymentCaptured = await capturedOnSession(container, claimed.session_id)
      // A cart's order may also come from a concurrent storefront completion; an order's own
      // payment collection (an attach to an order) is done only when our capture went through.
      if (orderId && (cartId || paymentCaptured)) {
        return new StepResponse<CartCompletionOutcome | null>({ outcome: "completed", order_id: orderId })
      }
      const [session] = await container
        .resolve<IPaymentModuleService>(Modules.PAYMENT)
        .listPaymentSessions({ id: claimed.session_id }, { select: ["id"] })
      if (!session) {
        // Medusa deleted the session during the attempt (a rollback re-creating it, a second Pay).
        return new StepResponse<CartCompletionOutcome | null>({
          outcome: "session_gone",
          attempted: true,
          error: "Medusa did not complete the cart into an order and its payment session was deleted meanwhile",
        })
      }
      return new StepResponse<CartCompletionOutcome | null>({
        outcome: "failed",
        error: cartId ? "Medusa did not complete the cart into an order (or rolled the order back)" : "no order for this payment",
      })
    } catch (e) {
      return new StepResponse<CartCompletionOutcome | null>({ outcome: "failed", error: e instanceof Error ? e.message : String(e) })
    }
  }
)

/** Whether Medusa holds a captured payment for this session (what an attach to an order needs). */
async function capturedOnSession(container: Parameters<typeof findOrderForMpesaPayment>[0], sessionId: string): Promise<boolean> {
  const payments = await container
    .resolve<IPaymentModuleService>(Modules.PAYMENT)
    .listPayments({ payment_session_id: sessionId }, { select: ["id", "captured_at"] })
  return payments.some((p) => !!p.captured_at)
}
