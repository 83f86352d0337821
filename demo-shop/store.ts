import Medusa from "@medusajs/js-sdk"
import type { HttpTypes } from "@medusajs/framework/types"
import type { DemoShopConfig } from "./config"

export const PRODUCT_HANDLE = "kikoy-beach-towel"
const CART_KEY = "mpesa-demo-cart"

/** What the demo shop asks of the Medusa store API, through Medusa's own JS SDK. */
export function createStore(config: DemoShopConfig) {
  const sdk = new Medusa({ baseUrl: config.storeUrl, publishableKey: config.publishableKey })

  async function kenya(): Promise<HttpTypes.StoreRegion> {
    const { regions } = await sdk.store.region.list()
    const region = regions.find((r) => r.currency_code === "kes")
    if (!region) throw new Error("The demo store has no KES region: run npm run dev again (it seeds one)")
    return region
  }

  return {
    sdk,
    async product(): Promise<{ product: HttpTypes.StoreProduct; region: HttpTypes.StoreRegion }> {
      const region = await kenya()
      const { products } = await sdk.store.product.list({
        handle: PRODUCT_HANDLE,
        region_id: region.id,
        fields: "*variants.calculated_price",
      })
      if (!products[0]) throw new Error("The demo product is missing: run npm run dev again (it seeds one)")
      return { product: products[0], region }
    },
    async cart(): Promise<HttpTypes.StoreCart | null> {
      const id = localStorage.getItem(CART_KEY)
      if (!id) return null
      try {
        const { cart } = await sdk.store.cart.retrieve(id)
        return cart.completed_at ? (localStorage.removeItem(CART_KEY), null) : cart
      } catch {
        localStorage.removeItem(CART_KEY)
        return null
      }
    },
    async addToCart(regionId: string, variantId: string, quantity: number): Promise<HttpTypes.StoreCart> {
      const existing = await this.cart()
      if (existing) {
        const line = existing.items?.find((i) => i.variant_id === variantId)
        const { cart } = line
          ? await sdk.store.cart.updateLineItem(existing.id, line.id, { quantity: line.quantity + quantity })
          : await sdk.store.cart.createLineItem(existing.id, { variant_id: variantId, quantity })
        return cart
      }
      const { cart } = await sdk.store.cart.create({ region_id: regionId, items: [{ variant_id: variantId, quantity }] })
      localStorage.setItem(CART_KEY, cart.id)
      return cart
    },
    async setQuantity(cart: HttpTypes.StoreCart, lineId: string, quantity: number): Promise<HttpTypes.StoreCart> {
      if (quantity <= 0) {
        const { parent } = await sdk.store.cart.deleteLineItem(cart.id, lineId)
        return parent as HttpTypes.StoreCart
      }
      return (await sdk.store.cart.updateLineItem(cart.id, lineId, { quantity })).cart
    },
    /** Address and email, then the (only) delivery option: the cart is ready to pay. */
    async prepareForPayment(cartId: string, address: Address): Promise<HttpTypes.StoreCart> {
      const { email, ...shipping } = address
      await sdk.store.cart.update(cartId, {
        email,
        shipping_address: { ...shipping, country_code: "ke" },
        billing_address: { ...shipping, country_code: "ke" },
      })
      const { shipping_options } = await sdk.store.fulfillment.listCartOptions({ cart_id: cartId })
      if (!shipping_options[0]) throw new Error("No delivery option for Kenya: run npm run dev again (it seeds one)")
      const { cart } = await sdk.store.cart.addShippingMethod(cartId, { option_id: shipping_options[0].id })
      return cart
    },
    forgetCart() {
      localStorage.removeItem(CART_KEY)
    },
    async order(id: string): Promise<HttpTypes.StoreOrder> {
      const { order } = await sdk.store.order.retrieve(id, { fields: "*items,*shipping_address" })
      return order
    },
  }
}

export type Store = ReturnType<typeof createStore>

export type Address = {
  email: string
  first_name: string
  last_name: string
  phone: string
  address_1: string
  city: string
  postal_code: string
}

/** Prefilled for Nairobi so a demo purchase takes two clicks. */
export const NAIROBI: Address = {
  email: "wanjiku@example.co.ke",
  first_name: "Wanjiku",
  last_name: "Kamau",
  phone: "0712 345 678",
  address_1: "Moi Avenue 1",
  city: "Nairobi",
  postal_code: "00100",
}
