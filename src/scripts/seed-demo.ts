/**
 * Idempotent seed for the Kenyan demo store: run it as often as you like,
 * everything is looked up (by name, handle or title) before it is created.
 *
 *   npx medusa exec ./src/scripts/seed-demo.ts
 *
 * `seedDemoStore(container)` is also what the HTTP integration tests call
 * inside `medusaIntegrationTestRunner`, on a fresh database after boot.
 */
import type { ExecArgs, MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { seedPublishableKey } from "./seed-demo/api-key"
import { seedContext } from "./seed-demo/context"
import type { DemoStore } from "./seed-demo/demo"
import { seedFulfillment } from "./seed-demo/fulfillment"
import { seedProduct } from "./seed-demo/product"
import { seedRegion } from "./seed-demo/region"
import { seedStore } from "./seed-demo/store"

// The steps live in src/scripts/seed-demo/ (one part of the store each); this file is the
// `medusa exec` entry and keeps the exports the integration tests and seed-bench.ts import.
export { DEMO } from "./seed-demo/demo"
export type { DemoStore } from "./seed-demo/demo"

export async function seedDemoStore(container: MedusaContainer): Promise<DemoStore> {
  const ctx = seedContext(container)
  const salesChannelId = await seedStore(ctx)
  const regionId = await seedRegion(ctx)
  const { stockLocationId, shippingProfile, shippingOption } = await seedFulfillment(ctx, { salesChannelId, regionId })
  const apiKey = await seedPublishableKey(ctx, salesChannelId)
  const { product, variant } = await seedProduct(ctx, { salesChannelId, shippingProfile, stockLocationId })

  return {
    regionId,
    salesChannelId,
    publishableKey: apiKey.token,
    shippingOptionId: shippingOption.id,
    productId: product.id,
    variantId: variant.id,
    stockLocationId,
  }
}

export default async function seedDemo({ container }: ExecArgs) {
  const logger = container.resolve(ContainerRegistrationKeys.LOGGER)
  const demo = await seedDemoStore(container)
  logger.info(`[seed-demo] region ${demo.regionId}, product ${demo.productId}, variant ${demo.variantId}`)
  logger.info(`[seed-demo] publishable API key: ${demo.publishableKey}`)
}
