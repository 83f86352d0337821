/**
 * The demo seed's Kenya region, offering M-Pesa only, and its tax region.
 */
import { createRegionsWorkflow, createTaxRegionsWorkflow, updateRegionsWorkflow } from "@medusajs/medusa/core-flows"
import type { SeedContext } from "./context"
import { DEMO } from "./demo"

/** Returns the Kenya region's id. */
export async function seedRegion({ container, query, regionModule, taxModule, say }: SeedContext) {
  // --- Region -------------------------------------------------------------
  let regionId: string | undefined
  {
    const [byName] = await regionModule.listRegions({ name: DEMO.regionName })
    regionId = byName?.id
    if (!regionId) {
      // A country belongs to one region only: reuse the region that holds KE.
      const [country] = await regionModule.listCountries({ iso_2: DEMO.country })
      regionId = (country as { region_id?: string | null } | undefined)?.region_id ?? undefined
    }
  }
  if (!regionId) {
    const { result } = await createRegionsWorkflow(container).run({
      input: {
        regions: [
          {
            name: DEMO.regionName,
            currency_code: DEMO.currency,
            countries: [DEMO.country],
            payment_providers: [...DEMO.paymentProviders],
          },
        ],
      },
    })
    regionId = result[0].id
    say(`created region ${DEMO.regionName}`)
  } else {
    const { data } = await query.graph({
      entity: "region",
      fields: ["id", "payment_providers.id"],
      filters: { id: regionId },
    })
    const current: string[] = (data[0]?.payment_providers ?? []).map((p: { id: string } | null) => p?.id).filter(Boolean) as string[]
    const wanted: string[] = [...DEMO.paymentProviders]
    const same = current.length === wanted.length && wanted.every((p) => current.includes(p))
    if (!same) {
      await updateRegionsWorkflow(container).run({
        input: { selector: { id: regionId }, update: { payment_providers: wanted } },
      })
      say(`region ${DEMO.regionName} offers ${wanted.join(", ")} only (was: ${current.join(", ") || "none"})`)
    }
  }

  // --- Tax region ---------------------------------------------------------
  const taxRegions = await taxModule.listTaxRegions({ country_code: DEMO.country })
  if (!taxRegions.some((t) => !t.parent_id)) {
    await createTaxRegionsWorkflow(container).run({
      input: [{ country_code: DEMO.country, provider_id: DEMO.taxProvider }],
    })
    say("created tax region ke")
  }

  return regionId
}
