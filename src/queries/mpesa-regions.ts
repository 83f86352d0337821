import type { MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"

export const MPESA_PROVIDER_ID = "pp_mpesa_mpesa"

export type MpesaRegionStatus = {
  id: string
  name: string
  currency_code: string
  mpesa_enabled: boolean
  /** other payment providers the same region offers (a shopper may pay with them instead of M-Pesa) */
  other_providers: string[]
}

/** Every region, with whether it offers M-Pesa and what else it offers (checklist, region widget). */
export async function mpesaRegionStatus(container: Pick<MedusaContainer, "resolve">): Promise<MpesaRegionStatus[]> {
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const { data } = await query.graph({
    entity: "region",
    fields: ["id", "name", "currency_code", "payment_providers.id", "payment_providers.is_enabled"],
  })
  return (data as { id: string; name: string; currency_code: string; payment_providers?: { id: string; is_enabled: boolean }[] | null }[]).map(
    (r) => {
      const providers = (r.payment_providers ?? []).filter((p) => p && p.is_enabled !== false).map((p) => p.id)
      return {
        id: r.id,
        name: r.name,
        currency_code: r.currency_code,
        mpesa_enabled: providers.includes(MPESA_PROVIDER_ID),
        other_providers: providers.filter((p) => p !== MPESA_PROVIDER_ID),
      }
    }
  )
}

/** payment collection id -> order id, for the collections that belong to an order. */
export async function ordersForPaymentCollections(
  container: Pick<MedusaContainer, "resolve">,
  paymentCollectionIds: string[]
): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  if (!paymentCollectionIds.length) return out
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const { data } = await query.graph({
    entity: "order_payment_collection",
    fields: ["order_id", "payment_collection_id"],
    filters: { payment_collection_id: [...new Set(paymentCollectionIds)] },
  })
  for (const link of data as { order_id: string; payment_collection_id: string }[]) {
    out.set(link.payment_collection_id, link.order_id)
  }
  return out
}
