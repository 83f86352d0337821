import type { MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { ContainerRegistrationKeys, MedusaError } from "@medusajs/framework/utils"
import type MpesaModuleService from "../../../../../modules/mpesa/service"

/**
 * GET /store/mpesa/payment-sessions/:id — what the storefront polls while
 * the shopper looks at their phone. Reads our database only; never calls
 * Daraja, however often it is polled.
 */
export async function GET(req: MedusaRequest, res: MedusaResponse): Promise<void> {
  const mpesa = req.scope.resolve<MpesaModuleService>("mpesa")
  const view = await mpesa.getPaymentBySession(req.params.id)
  if (!view) {
    throw new MedusaError(MedusaError.Types.NOT_FOUND, `No M-Pesa payment for payment session ${req.params.id}`)
  }
  const orderId = view.state === "paid" ? await findOrderId(req, view.session_id) : null
  res.json({
    mpesa_payment: {
      session_id: view.session_id,
      state: view.state,
      message: view.message,
      result_code: view.result_code,
      checkout_request_id: view.checkout_request_id,
      phone: view.phone,
      amount: view.amount,
      currency_code: view.currency_code,
      mpesa_receipt_number: view.mpesa_receipt_number,
      expires_at: view.expires_at,
      order_id: orderId,
      retryable: ["failed", "canceled", "expired"].includes(view.state),
    },
  })
}

async function findOrderId(req: MedusaRequest, sessionId: string): Promise<string | null> {
  const query = req.scope.resolve(ContainerRegistrationKeys.QUERY)
  const { data: sessions } = await query.graph({
    entity: "payment_session",
    fields: ["payment_collection_id"],
    filters: { id: sessionId },
  })
  const collectionId = sessions[0]?.payment_collection_id
  if (!collectionId) {
    return null
  }
  const { data: links } = await query.graph({
    entity: "cart_payment_collection",
    fields: ["cart_id"],
    filters: { payment_collection_id: collectionId },
  })
  const cartId = links[0]?.cart_id
  if (!cartId) {
    return null
  }
  const { data: orders } = await query.graph({
    entity: "order_cart",
    fields: ["order_id"],
    filters: { cart_id: cartId },
  })
  return (orders[0]?.order_id as string | undefined) ?? null
}
