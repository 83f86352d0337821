import { ContainerRegistrationKeys, Modules } from "@medusajs/framework/utils"
import type { MedusaContainer } from "@medusajs/framework/types"
import type { DarajaSimulator } from "../../src/simulator"
import { MPESA_MODULE, type IMpesaModuleService } from "../../src/modules/mpesa"
import type { seedDemoStore } from "../../src/scripts/seed-demo"
import { StoreCheckout, sleep } from "./store-checkout"

type Api = {
  get: (path: string, config?: Record<string, unknown>) => Promise<{ status: number; data: any }>
  post: (path: string, body: unknown, config?: Record<string, unknown>) => Promise<{ status: number; data: any }>
}

export const CART_TOTAL = 1700
/** Approves at once in the simulator's table. */
export const PHONE_SUCCESS = "0708374149"

export async function waitFor<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000, everyMs = 150): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last = await read()
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`condition not met in time; last value ${JSON.stringify(last)}`)
    await sleep(everyMs)
    last = await read()
  }
  return last
}

/** A fresh phone per scenario: the simulator (strict) refuses the same phone and amount twice within 2 minutes. */
export function phoneSequence(prefix = "07230") {
  let n = 0
  return () => `${prefix}${String(++n).padStart(5, "0")}`
}

/**
 * The money-desk scenarios' shared moves on a real Medusa app and the
 * simulator: paid orders, unmatched money, Medusa's refund and the admin's
 * desk actions over HTTP.
 */
export function moneyDesk(deps: {
  api: Api
  container: () => MedusaContainer
  sim: () => DarajaSimulator
  seed: () => Awaited<ReturnType<typeof seedDemoStore>>
  store: () => StoreCheckout
  admin: () => { headers: Record<string, string> }
}) {
  const mpesa = () => deps.container().resolve<IMpesaModuleService>(MPESA_MODULE)
  const query = () => deps.container().resolve(ContainerRegistrationKeys.QUERY)
  const adminPost = (path: string, body: Record<string, unknown> = {}) =>
    deps.api.post(path, body, { ...deps.admin(), validateStatus: () => true })

  async function readyCart() {
    const cartId = await deps.store().createCart({ regionId: deps.seed().regionId, variantId: deps.seed().variantId })
    await deps.store().addShipping(cartId, deps.seed().shippingOptionId)
    return cartId
  }

  async function medusaPayment(sessionId: string) {
    const { data } = await query().graph({
      entity: "payment",
      fields: ["id", "amount", "refunds.id", "refunds.amount", "refunds.note"],
      filters: { payment_session_id: sessionId },
    })
    return data[0] as { id: string; amount: number; refunds: { id: string; amount: number; note: string | null }[] } | undefined
  }

  async function orderOfCart(cartId: string): Promise<string | null> {
    const { data } = await query().graph({ entity: "order_cart", fields: ["order_id"], filters: { cart_id: cartId } })
    return (data[0]?.order_id as string | undefined) ?? null
  }

  /** A paid M-Pesa order, completed from the callback (a phone outside the table is approved on the virtual phone). */
  async function paidOrder(phone: string) {
    const cartId = await readyCart()
    const { sessionId } = await deps.store().createPaymentSession(cartId, { phone })
    if (phone !== PHONE_SUCCESS) {
      const prompt = await waitFor(
        async () => deps.sim().prompts().find((p) => p.state === "awaiting_customer" && p.phoneNumber.endsWith(phone.slice(-9))),
        (p) => !!p
      )
      deps.sim().approve(prompt!.checkoutRequestId)
    }
    const status = await deps.store().waitForStatus(sessionId, (s) => !!s.order_id)
    const payment = (await waitFor(() => medusaPayment(sessionId), (p) => !!p))!
    const view = (await mpesa().getPaymentBySession(sessionId))!
    // The order exists; our ledger records it a moment later (the desk refuses refunds until then).
    await waitFor(() => mpesa().getLedgerRow(view.transaction_id), (r) => !!r?.completed_at)
    return { cartId, sessionId, orderId: status.order_id as string, paymentId: payment.id, transactionId: view.transaction_id }
  }

  /**
   * Unmatched money for a cart that again costs what was paid: the shopper paid a prompt after the cart's
   * total changed (Medusa dropped that session), then the cart went back to one towel.
   */
  async function unmatchedForCart(phone: string) {
    const cartId = await readyCart()
    const { sessionId } = await deps.store().createPaymentSession(cartId, { phone })
    const transactionId = (await mpesa().getPaymentBySession(sessionId))!.transaction_id
    const headers = deps.store().headers
    const { data } = await deps.api.post(`/store/carts/${cartId}/line-items`, { variant_id: deps.seed().variantId, quantity: 1 }, headers)
    const added = (data.cart.items as { id: string; quantity: number }[]).find((i) => i.quantity === 2)!
    const prompt = deps.sim().prompts().find((p) => p.state === "awaiting_customer" && p.phoneNumber.endsWith(phone.slice(-9)))!
    deps.sim().approve(prompt.checkoutRequestId)
    await waitFor(() => mpesa().getLedgerRow(transactionId), (r) => r?.status === "paid" && r.unmatched)
    await deps.api.post(`/store/carts/${cartId}/line-items/${added.id}`, { quantity: 1 }, headers)
    return { cartId, transactionId }
  }

  /** Sets the demo towel's stock (0 = out of stock: its cart cannot become an order). */
  async function setStock(quantity: number) {
    const { data } = await query().graph({
      entity: "variant",
      fields: ["inventory_items.inventory_item_id"],
      filters: { id: deps.seed().variantId },
    })
    const itemId = (data[0] as { inventory_items: { inventory_item_id: string }[] }).inventory_items[0].inventory_item_id
    const inventory = deps.container().resolve(Modules.INVENTORY)
    await inventory.updateInventoryLevels([{ inventory_item_id: itemId, location_id: deps.seed().stockLocationId, stocked_quantity: quantity }])
  }

  return {
    mpesa,
    query,
    adminPost,
    readyCart,
    medusaPayment,
    orderOfCart,
    paidOrder,
    unmatchedForCart,
    setStock,
    refund: (paymentId: string, amount: number) => adminPost(`/admin/payments/${paymentId}/refund`, { amount }),
    refundsOf: async (transactionId: string) => (await mpesa().getAdminTransaction(transactionId))!.refunds,
  }
}
