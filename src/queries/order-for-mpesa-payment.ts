import type { MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"

export type MpesaOrderCheck = {
  /** the cart the payment collection belongs to, if any */
  cartId: string | null
  /** the order that exists now for that cart, or that owns the collection (an order's own payment) */
  orderId: string | null
}

/**
 * Whether the order for M-Pesa money really exists, asked of Medusa's links
 * now: payment collection -> cart -> order (order_cart), or collection ->
 * order (order_payment_collection, an attach to an order). Asked from the
 * payment collection the ledger recorded, never through the payment session
 * alone: Medusa deletes sessions (a rollback re-creating one, a second Pay),
 * and a missing session must read as "no order", not as "nothing to do".
 * Links that an order rollback dismissed, and orders it deleted, are not returned.
 */
export async function findOrderForMpesaPayment(
  container: Pick<MedusaContainer, "resolve">,
  input: { paymentCollectionId: string | null; sessionId: string }
): Promise<MpesaOrderCheck> {
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  let collectionId = input.paymentCollectionId
  if (!collectionId) {
    const { data } = await query.graph({ entity: "payment_session", fields: ["payment_collection_id"], filters: { id: input.sessionId } })
    collectionId = (data[0]?.payment_collection_id as string | undefined) ?? null
  }
  if (!collectionId) return { cartId: null, orderId: null }

  const { data: carts } = await query.graph({
    entity: "cart_payment_collection",
    fields: ["cart_id"],
    filters: { payment_collection_id: collectionId },
  })
  const cartId = (carts[0]?.cart_id as string | undefined) ?? null
  const { data: links } = cartId
    ? await query.graph({ entity: "order_cart", fields: ["order_id"], filters: { cart_id: cartId } })
    : await query.graph({ entity: "order_payment_collection", fields: ["order_id"], filters: { payment_collection_id: collectionId } })
  const linked = (links[0]?.order_id as string | undefined) ?? null
  if (!linked) return { cartId, orderId: null }
  // The link and the order are written and rolled back by different steps: both must be there.
  const { data: orders } = await query.graph({ entity: "order", fields: ["id"], filters: { id: linked } })
  return { cartId, orderId: orders.length ? linked : null }
}
