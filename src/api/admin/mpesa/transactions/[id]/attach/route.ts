import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import type MpesaModuleService from "../../../../../../modules/mpesa/service"
import { attachMpesaPaymentToCartWorkflow } from "../../../../../../workflows/attach-mpesa-payment-to-cart"
import type { AdminAttachMpesaPaymentType } from "../../../validators"

const ORDER_WAIT_MS = 15_000

/**
 * POST /admin/mpesa/transactions/:id/attach — unmatched money pays for the
 * cart it was meant for (amounts must agree); the cart is completed into an
 * order. Answers with the order id once it exists (or null if the order is
 * still being created; the completion sweep finishes it).
 */
export async function POST(req: AuthenticatedMedusaRequest<AdminAttachMpesaPaymentType>, res: MedusaResponse): Promise<void> {
  const cartId = req.validatedBody.cart_id
  await attachMpesaPaymentToCartWorkflow(req.scope).run({
    input: { transaction_id: req.params.id, cart_id: cartId, actor_id: req.auth_context.actor_id },
  })
  const query = req.scope.resolve(ContainerRegistrationKeys.QUERY)
  let orderId: string | null = null
  const deadline = Date.now() + ORDER_WAIT_MS
  while (!orderId && Date.now() < deadline) {
    const { data } = await query.graph({ entity: "order_cart", fields: ["order_id"], filters: { cart_id: cartId } })
    orderId = (data[0]?.order_id as string | undefined) ?? null
    if (!orderId) await new Promise((r) => setTimeout(r, 250))
  }
  const transaction = await req.scope.resolve<MpesaModuleService>("mpesa").getAdminTransaction(req.params.id)
  res.json({ transaction, cart_id: cartId, order_id: orderId })
}
