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
import { ContainerRegistrationKeys, Modules, ProductStatus } from "@medusajs/framework/utils"
import {
  createApiKeysWorkflow,
  createInventoryLevelsWorkflow,
  createProductsWorkflow,
  createRegionsWorkflow,
  createSalesChannelsWorkflow,
  createShippingOptionsWorkflow,
  createShippingProfilesWorkflow,
  createStockLocationsWorkflow,
  createTaxRegionsWorkflow,
  linkSalesChannelsToApiKeyWorkflow,
  linkSalesChannelsToStockLocationWorkflow,
  updateRegionsWorkflow,
  updateStoresWorkflow,
} from "@medusajs/medusa/core-flows"

export const DEMO = {
  storeName: "M-Pesa Express demo store",
  currency: "kes",
  country: "ke",
  regionName: "Kenya",
  salesChannelName: "Default Sales Channel",
  stockLocationName: "Nairobi Warehouse",
  fulfillmentSetName: "Nairobi Warehouse delivery",
  serviceZoneName: "Kenya",
  shippingOptionName: "Standard delivery",
  shippingPrice: 200,
  apiKeyTitle: "Demo storefront",
  productTitle: "Kikoy beach towel",
  productHandle: "kikoy-beach-towel",
  variantSku: "KIKOY-TOWEL",
  variantPrice: 1500,
  stock: 1000,
  // M-Pesa only: with Medusa's system provider enabled too, a shopper could complete a cart without paying.
  paymentProviders: ["pp_mpesa_mpesa"],
  fulfillmentProvider: "manual_manual",
  taxProvider: "tp_system",
} as const

export type DemoStore = {
  regionId: string
  salesChannelId: string
  publishableKey: string
  shippingOptionId: string
  productId: string
  variantId: string
  stockLocationId: string
}

export async function seedDemoStore(container: MedusaContainer): Promise<DemoStore> {
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
  const ids = (xs: unknown): string[] =>
    ((xs as Array<{ id: string } | null> | undefined) ?? []).map((x) => x?.id).filter(Boolean) as string[]

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

  // --- Product, variant, stock --------------------------------------------
  const findProduct = async () => {
    const { data } = await query.graph({
      entity: "product",
      fields: ["id", "variants.id", "variants.sku", "variants.inventory_items.inventory_item_id"],
      filters: { handle: DEMO.productHandle },
    })
    return data[0]
  }
  let product = await findProduct()
  if (!product) {
    await createProductsWorkflow(container).run({
      input: {
        products: [
          {
            title: DEMO.productTitle,
            handle: DEMO.productHandle,
            description: "A soft, quick-drying cotton kikoy from the Kenyan coast: beach towel, wrap or throw.",
            status: ProductStatus.PUBLISHED,
            shipping_profile_id: shippingProfile.id,
            weight: 450,
            options: [{ title: "Colour", values: ["Ocean stripe"] }],
            variants: [
              {
                title: "Ocean stripe",
                sku: DEMO.variantSku,
                options: { Colour: "Ocean stripe" },
                manage_inventory: true,
                prices: [{ currency_code: DEMO.currency, amount: DEMO.variantPrice }],
              },
            ],
            sales_channels: [{ id: salesChannelId }],
          },
        ],
      },
    })
    product = await findProduct()
    say(`created product ${DEMO.productTitle} (KES ${DEMO.variantPrice})`)
  }
  const variant = product.variants.find((v: { sku?: string | null } | null) => v?.sku === DEMO.variantSku) ?? product.variants[0]
  if (!variant) {
    throw new Error(`Product ${DEMO.productHandle} has no variant`)
  }

  const inventoryItemId: string | undefined = variant.inventory_items?.[0]?.inventory_item_id
  if (inventoryItemId) {
    const levels = await inventoryModule.listInventoryLevels({
      inventory_item_id: inventoryItemId,
      location_id: stockLocationId,
    })
    if (!levels.length) {
      await createInventoryLevelsWorkflow(container).run({
        input: {
          inventory_levels: [
            { inventory_item_id: inventoryItemId, location_id: stockLocationId, stocked_quantity: DEMO.stock },
          ],
        },
      })
      say(`stocked ${DEMO.stock} at ${DEMO.stockLocationName}`)
    }
  }

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
