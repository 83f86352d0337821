/**
 * The bench's store (scripts/bench.js): the demo store plus Medusa's system provider on the Kenya
 * region, which the bench uses as the baseline for session-creation latency. Never for a shop: the
 * system provider lets a cart complete without payment, which is why the demo region offers M-Pesa only.
 */
import type { ExecArgs } from "@medusajs/framework/types"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { updateRegionsWorkflow } from "@medusajs/medusa/core-flows"
import { DEMO, seedDemoStore } from "./seed-demo"

export default async function seedBench({ container }: ExecArgs) {
  const logger = container.resolve(ContainerRegistrationKeys.LOGGER)
  const demo = await seedDemoStore(container)
  await updateRegionsWorkflow(container).run({
    input: { selector: { id: demo.regionId }, update: { payment_providers: [...DEMO.paymentProviders, "pp_system_default"] } },
  })
  logger.info(`[seed-bench] region ${demo.regionId} also offers pp_system_default (the bench's baseline)`)
}
