/**
 * The demo storefront's publishable API key, linked to the default sales channel (the store API
 * scopes carts and products by it).
 */
import { createApiKeysWorkflow, linkSalesChannelsToApiKeyWorkflow } from "@medusajs/medusa/core-flows"
import { ids, type SeedContext } from "./context"
import { DEMO } from "./demo"

export async function seedPublishableKey({ container, query, apiKeyModule, say }: SeedContext, salesChannelId: string) {
  // --- Publishable API key ------------------------------------------------
  let [apiKey] = (await apiKeyModule.listApiKeys({ title: DEMO.apiKeyTitle, type: "publishable" })).filter(
    (k) => !k.revoked_at
  )
  if (!apiKey) {
    const { result } = await createApiKeysWorkflow(container).run({
      input: { api_keys: [{ title: DEMO.apiKeyTitle, type: "publishable", created_by: "" }] },
    })
    apiKey = result[0]
    say(`created publishable API key ${DEMO.apiKeyTitle}`)
  }
  {
    const { data } = await query.graph({
      entity: "api_key",
      fields: ["id", "sales_channels.id"],
      filters: { id: apiKey.id },
    })
    if (!ids(data[0]?.sales_channels).includes(salesChannelId)) {
      await linkSalesChannelsToApiKeyWorkflow(container).run({
        input: { id: apiKey.id, add: [salesChannelId] },
      })
    }
  }

  return apiKey
}
