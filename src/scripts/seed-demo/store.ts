/**
 * The demo seed's store: a default sales channel, KES as the default currency and the demo's name
 * on the store Medusa created at its first boot.
 */
import { createSalesChannelsWorkflow, updateStoresWorkflow } from "@medusajs/medusa/core-flows"
import type { SeedContext } from "./context"
import { DEMO } from "./demo"

/** Returns the default sales channel's id. */
export async function seedStore({ container, storeModule, salesChannelModule, say }: SeedContext) {
  // --- Store, sales channel, currency -------------------------------------
  let [store] = await storeModule.listStores({}, { relations: ["supported_currencies"], take: 1 })
  if (!store) {
    throw new Error("No store found: boot Medusa once (it creates the default store) before seeding")
  }

  let salesChannelId = store.default_sales_channel_id ?? undefined
  if (salesChannelId) {
    const found = await salesChannelModule.listSalesChannels({ id: salesChannelId })
    if (!found.length) salesChannelId = undefined
  }
  if (!salesChannelId) {
    const [byName] = await salesChannelModule.listSalesChannels({ name: DEMO.salesChannelName })
    if (byName) {
      salesChannelId = byName.id
    } else {
      const { result } = await createSalesChannelsWorkflow(container).run({
        input: { salesChannelsData: [{ name: DEMO.salesChannelName }] },
      })
      salesChannelId = result[0].id
      say(`created sales channel ${DEMO.salesChannelName}`)
    }
  }

  const currencies = store.supported_currencies ?? []
  const kesIsDefault = currencies.some((c) => c.currency_code === DEMO.currency && c.is_default)
  if (!kesIsDefault || store.default_sales_channel_id !== salesChannelId || store.name !== DEMO.storeName) {
    const supported_currencies = [
      { currency_code: DEMO.currency, is_default: true },
      ...currencies
        .filter((c) => c.currency_code !== DEMO.currency)
        .map((c) => ({ currency_code: c.currency_code, is_default: false })),
    ]
    await updateStoresWorkflow(container).run({
      input: {
        selector: { id: store.id },
        update: {
          ...(kesIsDefault ? {} : { supported_currencies }),
          default_sales_channel_id: salesChannelId,
          name: DEMO.storeName,
        },
      },
    })
    say(`store "${DEMO.storeName}": KES is the default currency, default sales channel set`)
  }

  return salesChannelId
}
