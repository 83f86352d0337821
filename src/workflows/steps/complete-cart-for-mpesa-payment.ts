import type { IPaymentModuleService } from "@medusajs/framework/types"
import { Modules } from "@medusajs/framework/utils"
import { createStep, StepResponse } from "@medusajs/framework/workflows-sdk"
import { processPaymentWorkflow } from "@medusajs/medusa/core-flows"
import { findOrderForPaymentSession } from "../../queries/order-for-payment-session"
import type { ClaimedCompletion } from "./claim-mpesa-completion"

export type CartCompletionOutcome =
  | { outcome: "completed"; order_id: string | null }
  | { outcome: "session_gone" }
  | { outcome: "failed"; error: string }

/**
 * Hands confirmed money to Medusa's own webhook flow (processPaymentWorkflow
 * with a `captured` action): it authorizes the session through our provider
 * (which answers `captured` from the ledger), captures the payment and
 * completes the cart into an order — even if the shopper closed the browser.
 * Medusa's cart lock and idempotent authorization make a concurrent
 * storefront cart-complete harmless. A failure is an outcome, not a throw:
 * the next step records it and schedules a retry.
 */
export const completeCartForMpesaPaymentStep = createStep(
  "complete-cart-for-mpesa-payment",
  async (claimed: ClaimedCompletion, { container }) => {
    if (!claimed) {
      return new StepResponse<CartCompletionOutcome | null>(null)
    }
    const payments = container.resolve<IPaymentModuleService>(Modules.PAYMENT)
    try {
      const [session] = await payments.listPaymentSessions({ id: claimed.session_id }, { select: ["id"] })
      if (!session) {
        return new StepResponse<CartCompletionOutcome | null>({ outcome: "session_gone" })
      }
      await processPaymentWorkflow(container).run({
        input: { action: "captured", data: { session_id: claimed.session_id, amount: claimed.amount } },
      })
      const { cartId, orderId } = await findOrderForPaymentSession(container, claimed.session_id)
      // A payment collection without a cart (e.g. an order edit): capture is all there is.
      if (cartId && !orderId) {
        return new StepResponse<CartCompletionOutcome | null>({
          outcome: "failed",
          error: "the cart was not completed into an order",
        })
      }
      return new StepResponse<CartCompletionOutcome | null>({ outcome: "completed", order_id: orderId })
    } catch (e) {
      return new StepResponse<CartCompletionOutcome | null>({
        outcome: "failed",
        error: e instanceof Error ? e.message : String(e),
      })
    }
  }
)
