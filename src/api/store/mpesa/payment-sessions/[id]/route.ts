import type { MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { MedusaError } from "@medusajs/framework/utils"
import { MPESA_MODULE, type IMpesaModuleService } from "../../../../../modules/mpesa"
import { findOrderForPaymentSession } from "../../../../../queries/order-for-payment-session"

/**
 * GET /store/mpesa/payment-sessions/:id — what the storefront polls while
 * the shopper looks at their phone. Reads our database only; never calls
 * Daraja, however often it is polled.
 */
export async function GET(req: MedusaRequest, res: MedusaResponse): Promise<void> {
  const mpesa = req.scope.resolve<IMpesaModuleService>(MPESA_MODULE)
  const view = await mpesa.getPaymentBySession(req.params.id)
  if (!view) {
    throw new MedusaError(MedusaError.Types.NOT_FOUND, `No M-Pesa payment for payment session ${req.params.id}`)
  }
  const orderId =
    view.state === "paid" && view.session_id ? (await findOrderForPaymentSession(req.scope, view.session_id)).orderId : null
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
      retryable: view.retryable,
      // Paid after the session was closed: no order will follow; the merchant refunds or matches it.
      unmatched: view.unmatched,
    },
  })
}
