import type { MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { processPaymentWorkflow } from "@medusajs/medusa/core-flows"
import type MpesaModuleService from "../modules/mpesa/service"
import { findOrderForPaymentSession } from "./queries/order-for-payment-session"

export type CompletionResult = "completed" | "skipped" | "failed"

/**
 * Hands a confirmed M-Pesa payment to Medusa's own webhook flow
 * (processPaymentWorkflow with a `captured` action): it authorizes the
 * session through our provider (which answers `captured` from the ledger),
 * captures the payment and completes the cart into an order — even if the
 * shopper closed the browser. Medusa's cart lock and idempotent
 * authorization make a concurrent storefront cart-complete harmless.
 * Marked done on the ledger only once the cart really has an order, so the
 * polling job retries anything left half-way.
 */
export async function completeMpesaPayment(
  container: MedusaContainer,
  transactionId: string
): Promise<CompletionResult> {
  const mpesa = container.resolve<MpesaModuleService>("mpesa")
  const logger = container.resolve(ContainerRegistrationKeys.LOGGER)
  // One completion per payment at a time: the capture event and the recovery
  // sweep can both arrive here for the same cart.
  const view = await mpesa.claimCompletion(transactionId)
  if (!view) {
    return "skipped"
  }
  const amount = await mpesa.medusaAmountFor(transactionId)
  try {
    await processPaymentWorkflow(container).run({
      input: { action: "captured", data: { session_id: view.session_id, amount: amount ?? view.amount } },
    })
    const { cartId, orderId } = await findOrderForPaymentSession(container, view.session_id)
    // A payment collection without a cart (e.g. an order edit): capture is all there is.
    if (cartId && !orderId) {
      throw new Error("the cart was not completed into an order")
    }
    await mpesa.markCompleted(transactionId)
    return "completed"
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e)
    logger.warn(`M-Pesa: completing payment ${transactionId} failed (will retry): ${message}`)
    await mpesa.markCompletionFailed(transactionId, message)
    return "failed"
  }
}
