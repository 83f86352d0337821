import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { MPESA_MODULE, type IMpesaModuleService } from "../../../../../../modules/mpesa"
import { attachMpesaPaymentToCartWorkflow } from "../../../../../../workflows/attach-mpesa-payment-to-cart"
import type { AdminAttachMpesaPaymentType } from "../../../validators"

const ORDER_WAIT_MS = 15_000

/**
 * POST /admin/mpesa/transactions/:id/attach — unmatched money pays for the
 * cart (completed into an order) or the unpaid order it was meant for; the
 * amounts must agree. Answers with the order id once the order exists and
 * the payment is recorded (null if still in progress; the completion sweep
 * finishes it).
 */
export async function POST(req: AuthenticatedMedusaRequest<AdminAttachMpesaPaymentType>, res: MedusaResponse): Promise<void> {
  const { cart_id, order_id } = req.validatedBody
  const { result } = await attachMpesaPaymentToCartWorkflow(req.scope).run({
    input: { transaction_id: req.params.id, cart_id, order_id, actor_id: req.auth_context.actor_id },
  })
  const mpesa = req.scope.resolve<IMpesaModuleService>(MPESA_MODULE)
  const query = req.scope.resolve(ContainerRegistrationKeys.QUERY)
  let orderId: string | null = null
  const deadline = Date.now() + ORDER_WAIT_MS
  for (;;) {
    const row = await mpesa.getLedgerRow(req.params.id)
    if (result.target.order_id) {
      orderId = row?.completed_at ? result.target.order_id : null
    } else if (result.target.cart_id) {
      const { data } = await query.graph({ entity: "order_cart", fields: ["order_id"], filters: { cart_id: result.target.cart_id } })
      orderId = (data[0]?.order_id as string | undefined) ?? null
    }
    if ((orderId && row?.completed_at) || Date.now() >= deadline) break
    await new Promise((r) => setTimeout(r, 250))
  }
  res.json({ transaction: await mpesa.getAdminTransaction(req.params.id), cart_id: result.target.cart_id, order_id: orderId })
}
