/**
 * Where the demo's towel ships from and how: the Nairobi stock location and its links (fulfillment
 * provider, sales channel), the fulfillment set and service zone for Kenya, the default shipping
 * profile and the flat-rate shipping option.
 */
import {
  createShippingOptionsWorkflow,
  createShippingProfilesWorkflow,
  createStockLocationsWorkflow,
  linkSalesChannelsToStockLocationWorkflow,
} from "@medusajs/medusa/core-flows"
import { Modules } from "@medusajs/framework/utils"
import { ids, type SeedContext } from "./context"
import { DEMO } from "./demo"

export async function seedFulfillment(
  { container, link, query, stockLocationModule, fulfillmentModule, say }: SeedContext,
  { salesChannelId, regionId }: { salesChannelId: string; regionId: string }
) {
  // --- Stock location and its links ---------------------------------------
  let [location] = await stockLocationModule.listStockLocations({ name: DEMO.stockLocationName })
  if (!location) {
    const { result } = await createStockLocationsWorkflow(container).run({
      input: {
        locations: [
          {
            name: DEMO.stockLocationName,
            address: { address_1: "Enterprise Road", city: "Nairobi", country_code: "KE" },
          },
        ],
      },
    })
    location = result[0]
    say(`created stock location ${DEMO.stockLocationName}`)
  }
  const stockLocationId = location.id

  const { data: locationLinks } = await query.graph({
    entity: "stock_location",
    fields: ["id", "fulfillment_providers.id", "fulfillment_sets.id", "sales_channels.id"],
    filters: { id: stockLocationId },
  })
  const linked = locationLinks[0] ?? {}

  if (!ids(linked.fulfillment_providers).includes(DEMO.fulfillmentProvider)) {
    await link.create({
      [Modules.STOCK_LOCATION]: { stock_location_id: stockLocationId },
      [Modules.FULFILLMENT]: { fulfillment_provider_id: DEMO.fulfillmentProvider },
    })
  }
  if (!ids(linked.sales_channels).includes(salesChannelId)) {
    await linkSalesChannelsToStockLocationWorkflow(container).run({
      input: { id: stockLocationId, add: [salesChannelId] },
    })
  }

  // --- Fulfillment set, service zone, shipping profile ---------------------
  let [fulfillmentSet] = await fulfillmentModule.listFulfillmentSets(
    { name: DEMO.fulfillmentSetName },
    { relations: ["service_zones", "service_zones.geo_zones"] }
  )
  if (!fulfillmentSet) {
    fulfillmentSet = await fulfillmentModule.createFulfillmentSets({
      name: DEMO.fulfillmentSetName,
      type: "shipping",
      service_zones: [
        { name: DEMO.serviceZoneName, geo_zones: [{ country_code: DEMO.country, type: "country" }] },
      ],
    })
    say(`created fulfillment set ${DEMO.fulfillmentSetName}`)
  }
  if (!ids(linked.fulfillment_sets).includes(fulfillmentSet.id)) {
    await link.create({
      [Modules.STOCK_LOCATION]: { stock_location_id: stockLocationId },
      [Modules.FULFILLMENT]: { fulfillment_set_id: fulfillmentSet.id },
    })
  }
  let serviceZone = fulfillmentSet.service_zones?.find((z) => z.name === DEMO.serviceZoneName)
  if (!serviceZone) {
    serviceZone = await fulfillmentModule.createServiceZones({
      name: DEMO.serviceZoneName,
      fulfillment_set_id: fulfillmentSet.id,
      geo_zones: [{ country_code: DEMO.country, type: "country" }],
    })
  }

  let [shippingProfile] = await fulfillmentModule.listShippingProfiles({ type: "default" })
  if (!shippingProfile) {
    const { result } = await createShippingProfilesWorkflow(container).run({
      input: { data: [{ name: "Default Shipping Profile", type: "default" }] },
    })
    shippingProfile = result[0]
    say("created default shipping profile")
  }

  // --- Shipping option ----------------------------------------------------
  let [shippingOption] = await fulfillmentModule.listShippingOptions({
    name: DEMO.shippingOptionName,
    service_zone: { id: serviceZone.id },
  })
  if (!shippingOption) {
    const { result } = await createShippingOptionsWorkflow(container).run({
      input: [
        {
          name: DEMO.shippingOptionName,
          price_type: "flat",
          provider_id: DEMO.fulfillmentProvider,
          service_zone_id: serviceZone.id,
          shipping_profile_id: shippingProfile.id,
          type: { label: "Standard", description: "Delivered in Nairobi in 1-2 days.", code: "standard" },
          prices: [
            { currency_code: DEMO.currency, amount: DEMO.shippingPrice },
            { region_id: regionId, amount: DEMO.shippingPrice },
          ],
          rules: [
            { attribute: "enabled_in_store", value: "true", operator: "eq" },
            { attribute: "is_return", value: "false", operator: "eq" },
          ],
        },
      ],
    })
    shippingOption = result[0]
    say(`created shipping option ${DEMO.shippingOptionName} (KES ${DEMO.shippingPrice})`)
  }

  return { stockLocationId, shippingProfile, shippingOption }
}
