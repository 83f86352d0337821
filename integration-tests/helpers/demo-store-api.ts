/**
 * The demo store's HTTP API as a storefront calls it (browser end-to-end tests against the
 * `npm run dev` stack): JSON in and out with the publishable key, the KES region and the demo
 * product, and a cart with an M-Pesa payment session (which sends the STK Push).
 */
export type StoreApi = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>

export function storeApi(storeUrl: string, publishableKey: string): StoreApi {
  return async (method, path, body) => {
    const res = await fetch(`${storeUrl}${path}`, {
      method,
      headers: { "content-type": "application/json", "x-publishable-api-key": publishableKey },
      body: body ? JSON.stringify(body) : undefined,
    })
    const text = await res.text()
    return { status: res.status, body: text ? JSON.parse(text) : {} }
  }
}

/** The seeded KES region and the demo towel's variant. */
export async function demoCatalog(api: StoreApi): Promise<{ region: { id: string }; variantId: string }> {
  const { body: regionsBody } = await api("GET", "/store/regions")
  const region = regionsBody.regions.find((r: { currency_code: string }) => r.currency_code === "kes")
  const { body: productsBody } = await api("GET", `/store/products?region_id=${region.id}&fields=*variants`)
  return { region, variantId: productsBody.products[0].variants[0].id }
}

/** A Nairobi cart for one demo towel with delivery (KES 1,500 + 200), as the store API returns it. */
export async function readyCart(api: StoreApi, catalog: { region: { id: string }; variantId: string }, phone: string) {
  const { body: c } = await api("POST", "/store/carts", {
    region_id: catalog.region.id,
    email: "e2e@example.co.ke",
    items: [{ variant_id: catalog.variantId, quantity: 1 }],
    shipping_address: { first_name: "Amina", last_name: "Otieno", address_1: "Moi Avenue 1", city: "Nairobi", country_code: "ke", postal_code: "00100", phone },
  })
  const { body: so } = await api("GET", `/store/shipping-options?cart_id=${c.cart.id}`)
  const { body: withShipping } = await api("POST", `/store/carts/${c.cart.id}/shipping-methods`, { option_id: so.shipping_options[0].id })
  return withShipping.cart
}

/** Such a cart with an M-Pesa payment session for `phone` (the session's answer is returned as is). */
export async function cartWithSession(api: StoreApi, catalog: { region: { id: string }; variantId: string }, phone: string) {
  const cart = await readyCart(api, catalog, phone)
  const { body: pc } = await api("POST", "/store/payment-collections", { cart_id: cart.id })
  const session = await api("POST", `/store/payment-collections/${pc.payment_collection.id}/payment-sessions`, {
    provider_id: "pp_mpesa_mpesa",
    data: { phone },
  })
  return { cart, session }
}

/** Polls `fn` every 500 ms until it returns something truthy. */
export async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const v = await fn()
    if (v) return v
    await new Promise((r) => setTimeout(r, 500))
  }
  throw new Error(`timed out waiting for ${what}`)
}
