/**
 * What every step of the demo seed uses: the container's services, resolved once up front as
 * before the split, and `say`, which tags the seed's log lines (scripts/dev.js shows only
 * `[seed-demo]` lines of `medusa exec`).
 */
import type { MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, Modules } from "@medusajs/framework/utils"

export function seedContext(container: MedusaContainer) {
  const logger = container.resolve(ContainerRegistrationKeys.LOGGER)
  const link = container.resolve(ContainerRegistrationKeys.LINK)
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const storeModule = container.resolve(Modules.STORE)
  const salesChannelModule = container.resolve(Modules.SALES_CHANNEL)
  const regionModule = container.resolve(Modules.REGION)
  const taxModule = container.resolve(Modules.TAX)
  const stockLocationModule = container.resolve(Modules.STOCK_LOCATION)
  const fulfillmentModule = container.resolve(Modules.FULFILLMENT)
  const apiKeyModule = container.resolve(Modules.API_KEY)
  const inventoryModule = container.resolve(Modules.INVENTORY)

  const say = (msg: string) => logger.info(`[seed-demo] ${msg}`)

  return {
    container,
    logger,
    link,
    query,
    storeModule,
    salesChannelModule,
    regionModule,
    taxModule,
    stockLocationModule,
    fulfillmentModule,
    apiKeyModule,
    inventoryModule,
    say,
  }
}

export type SeedContext = ReturnType<typeof seedContext>

/** The ids of a query.graph relation (its entries may be null). */
export const ids = (xs: unknown): string[] =>
  ((xs as Array<{ id: string } | null> | undefined) ?? []).map((x) => x?.id).filter(Boolean) as string[]
