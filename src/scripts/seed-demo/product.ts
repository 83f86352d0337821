/**
 * The demo's one product (the kikoy towel), its variant and its stock at the Nairobi location.
 */
import { ProductStatus } from "@medusajs/framework/utils"
import { createInventoryLevelsWorkflow, createProductsWorkflow } from "@medusajs/medusa/core-flows"
import type { SeedContext } from "./context"
import { DEMO } from "./demo"

export async function seedProduct(
  { container, query, inventoryModule, say }: SeedContext,
  {
    salesChannelId,
    shippingProfile,
    stockLocationId,
  }: { salesChannelId: string; shippingProfile: { id: string }; stockLocationId: string }
) {
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

  return { product, variant }
}
