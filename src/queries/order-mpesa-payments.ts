import type { MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"

type OrderWithMpesa = {
  id: string
  payment_collections?: { id: string; mpesa_payments?: { id: string; created_at: string | Date }[] | null }[] | null
}

/**
 * An order with its M-Pesa payment records, read by Query in one call over
 * the payment-collection link (src/links/payment-collection-mpesa.ts): the
 * ids of every push made for the order's payment collections, oldest first.
 * Null when there is no such order.
 */
export async function mpesaPaymentsOfOrder(
  container: Pick<MedusaContainer, "resolve">,
  orderId: string
): Promise<{ orderId: string; transactionIds: string[] } | null> {
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const { data } = await query.graph({
    entity: "order",
    fields: ["id", "payment_collections.id", "payment_collections.mpesa_payments.id", "payment_collections.mpesa_payments.created_at"],
    filters: { id: orderId },
  })
  const order = data[0] as OrderWithMpesa | undefined
  if (!order) return null
  const payments = (order.payment_collections ?? []).flatMap((pc) => pc.mpesa_payments ?? [])
  payments.sort((a, b) => new Date(a.created_at).getTime() - new Date(b.created_at).getTime())
  return { orderId: order.id, transactionIds: payments.map((p) => p.id) }
}
