import type { AxiosInstance } from "axios"

/** Drives Medusa's store API the way a storefront does. */
export class StoreCheckout {
  constructor(
    private readonly api: AxiosInstance,
    private readonly publishableKey: string
  ) {}

  get headers() {
    return { headers: { "x-publishable-api-key": this.publishableKey } }
  }

  async createCart(input: { regionId: string; variantId: string; quantity?: number; countryCode?: string }): Promise<string> {
    const { data } = await this.api.post(
      "/store/carts",
      {
        region_id: input.regionId,
        email: "shopper@example.co.ke",
        items: [{ variant_id: input.variantId, quantity: input.quantity ?? 1 }],
        shipping_address: {
          first_name: "Wanjiku",
          last_name: "Kamau",
          address_1: "Moi Avenue 1",
          city: "Nairobi",
          country_code: input.countryCode ?? "ke",
          postal_code: "00100",
          phone: "0712345678",
        },
      },
      this.headers
    )
    return data.cart.id
  }

  async addShipping(cartId: string, optionId: string): Promise<void> {
    await this.api.post(`/store/carts/${cartId}/shipping-methods`, { option_id: optionId }, this.headers)
  }

  async cartTotal(cartId: string): Promise<number> {
    const { data } = await this.api.get(`/store/carts/${cartId}?fields=total`, this.headers)
    return Number(data.cart.total)
  }

  async createPaymentSession(cartId: string, data: Record<string, unknown>): Promise<{ sessionId: string; session: Record<string, any> }> {
    const { data: pc } = await this.api.post("/store/payment-collections", { cart_id: cartId }, this.headers)
    const { data: res } = await this.api.post(
      `/store/payment-collections/${pc.payment_collection.id}/payment-sessions`,
      { provider_id: "pp_mpesa_mpesa", data },
      this.headers
    )
    const session = res.payment_collection.payment_sessions[0]
    return { sessionId: session.id, session }
  }

  async status(sessionId: string): Promise<Record<string, any>> {
    const { data } = await this.api.get(`/store/mpesa/payment-sessions/${sessionId}`, this.headers)
    return data.mpesa_payment
  }

  async complete(cartId: string): Promise<{ status: number; body: Record<string, any> }> {
    const res = await this.api.post(`/store/carts/${cartId}/complete`, {}, { ...this.headers, validateStatus: () => true })
    return { status: res.status, body: res.data }
  }

  /** Polls the store route until `predicate` holds (the storefront's own loop). */
  async waitForStatus(
    sessionId: string,
    predicate: (s: Record<string, any>) => boolean,
    timeoutMs = 20_000
  ): Promise<Record<string, any>> {
    const deadline = Date.now() + timeoutMs
    let last: Record<string, any> = {}
    while (Date.now() < deadline) {
      last = await this.status(sessionId)
      if (predicate(last)) {
        return last
      }
      await new Promise((r) => setTimeout(r, 150))
    }
    throw new Error(`timed out waiting for payment session ${sessionId}; last status ${JSON.stringify(last)}`)
  }
}

export function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms))
}
