import type { MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { processPaymentWorkflow } from "@medusajs/medusa/core-flows"
import type MpesaModuleService from "../modules/mpesa/service"

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
  const view = await mpesa.getPaymentForCompletion(transactionId)
  if (!view || view.state !== "paid" || view.unmatched || view.completed_at) {
    return "skipped"
  }
  const amount = await mpesa.medusaAmountFor(transactionId)
  try {
    await processPaymentWorkflow(container).run({
      input: { action: "captured", data: { session_id: view.session_id, amount: amount ?? view.amount } },
    })
    const done = await hasOrderOrNoCart(container, view.session_id)
    if (!done) {
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

async function hasOrderOrNoCart(container: MedusaContainer, sessionId: string): Promise<boolean> {
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const { data: sessions } = await query.graph({
    entity: "payment_session",
    fields: ["payment_collection_id"],
    filters: { id: sessionId },
  })
  const collectionId = sessions[0]?.payment_collection_id
  if (!collectionId) {
    return false
  }
  const { data: links } = await query.graph({
    entity: "cart_payment_collection",
    fields: ["cart_id"],
    filters: { payment_collection_id: collectionId },
  })
  if (!links[0]?.cart_id) {
    // A payment collection without a cart (e.g. an order edit): capture is all there is.
    return true
  }
  const { data: orders } = await query.graph({
    entity: "order_cart",
    fields: ["order_id"],
    filters: { cart_id: links[0].cart_id },
  })
  return orders.length > 0
}
