import type { MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"

export type SessionOrderLookup = {
  /** the cart the session's payment collection belongs to, if any */
  cartId: string | null
  /** the order created from that cart, once there is one */
  orderId: string | null
}

/**
 * Follows Medusa's links payment session -> payment collection -> cart ->
 * order, the same path processPaymentWorkflow takes.
 */
export async function findOrderForPaymentSession(
  container: Pick<MedusaContainer, "resolve">,
  sessionId: string
): Promise<SessionOrderLookup> {
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const { data: sessions } = await query.graph({
    entity: "payment_session",
    fields: ["payment_collection_id"],
    filters: { id: sessionId },
  })
  const collectionId = sessions[0]?.payment_collection_id
  if (!collectionId) {
    return { cartId: null, orderId: null }
  }
  const { data: links } = await query.graph({
    entity: "cart_payment_collection",
    fields: ["cart_id"],
    filters: { payment_collection_id: collectionId },
  })
  const cartId = (links[0]?.cart_id as string | undefined) ?? null
  if (!cartId) {
    return { cartId: null, orderId: null }
  }
  const { data: orders } = await query.graph({
    entity: "order_cart",
    fields: ["order_id"],
    filters: { cart_id: cartId },
  })
  return { cartId, orderId: (orders[0]?.order_id as string | undefined) ?? null }
}
