import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { createProductsWorkflow, createRegionsWorkflow } from "@medusajs/medusa/core-flows"
import type { MedusaContainer } from "@medusajs/framework/types"
import { startDarajaSimulator, type DarajaSimulator } from "../../src/simulator"
import { seedDemoStore } from "../../src/scripts/seed-demo"
import { mpesaOptionsFromEnv } from "../../src/modules/mpesa/options"
import type MpesaModuleService from "../../src/modules/mpesa/service"
import mpesaReconcile from "../../src/jobs/mpesa-reconcile"
import { applyTestEnv, TEST_CALLBACK_SECRET, MPESA_TEST_ENV } from "../helpers/env"
import { StoreCheckout, sleep } from "../helpers/store-checkout"
import { successCallbackBody } from "../helpers/stk-callback"

applyTestEnv()
jest.setTimeout(120_000)

// Phones from the simulator's outcome table.
const PHONE_SUCCESS = "0708374149" // 254708374149, Safaricom's sandbox test MSISDN: approves
const PHONE_MANUAL = "0722000111" // not in the table: waits for the virtual phone
const FAILURES = [
  { phone: "254700000001", code: "1032", state: "canceled", message: /cancelled the M-Pesa prompt/i },
  { phone: "254700000002", code: "1037", message: /could not reach your phone/i },
  { phone: "254700000003", code: "1", state: "failed", message: /insufficient M-Pesa balance/i },
  { phone: "254700000004", code: "2001", state: "failed", message: /wrong M-Pesa PIN/i },
]
const CART_TOTAL = 1700 // KES 1,500 towel + KES 200 delivery

medusaIntegrationTestRunner({
  testSuite: ({ api, getContainer }) => {
    let sim: DarajaSimulator
    let seed: Awaited<ReturnType<typeof seedDemoStore>>
    let store: StoreCheckout
    let mpesa: MpesaModuleService
    let baseConfig: Record<string, unknown>

    const container = (): MedusaContainer => getContainer()

    async function ordersForCart(cartId: string) {
      const query = container().resolve(ContainerRegistrationKeys.QUERY)
      const { data } = await query.graph({ entity: "order_cart", fields: ["order_id"], filters: { cart_id: cartId } })
      return data as { order_id: string }[]
    }

    async function paymentsForSession(sessionId: string) {
      const query = container().resolve(ContainerRegistrationKeys.QUERY)
      const { data } = await query.graph({
        entity: "payment",
        fields: ["id", "amount", "captured_at", "data", "captures.id", "captures.amount"],
        filters: { payment_session_id: sessionId },
      })
      return data as any[]
    }

    async function ledger() {
      return mpesa.listMpesaTransactions({}, { take: 100 })
    }

    async function callbacks(checkoutRequestId?: string) {
      return mpesa.listMpesaCallbacks(checkoutRequestId ? { checkout_request_id: checkoutRequestId } : {}, { take: 100 })
    }

    async function waitFor(predicate: () => Promise<boolean>, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs
      while (Date.now() < deadline) {
        if (await predicate()) return
        await sleep(100)
      }
      throw new Error("condition not met in time")
    }

    async function readyCart(quantity = 1) {
      const cartId = await store.createCart({ regionId: seed.regionId, variantId: seed.variantId, quantity })
      await store.addShipping(cartId, seed.shippingOptionId)
      return cartId
    }

    function postCallback(body: unknown, secret = TEST_CALLBACK_SECRET) {
      return api.post(`/hooks/lipa/stk/${secret}`, body, { validateStatus: () => true })
    }

    function successBody(checkoutRequestId: string, amount: number, receipt = "FORGED0001") {
      return successCallbackBody({ checkoutRequestId, amount, receipt })
    }

    beforeAll(async () => {
      sim = await startDarajaSimulator({ callbackDelayMs: 250, promptTimeoutMs: 20_000 })
      seed = await seedDemoStore(container())
      mpesa = container().resolve<MpesaModuleService>("mpesa")
      baseConfig = {
        ...mpesaOptionsFromEnv({ ...process.env, ...MPESA_TEST_ENV }),
        baseUrl: sim.url,
        callbackBaseUrl: api.defaults.baseURL,
        firstQueryDelayMs: 1_500,
        queryBackoffMs: 1_000,
      }
      mpesa.setConfig(baseConfig)
      store = new StoreCheckout(api, seed.publishableKey)
    })

    beforeEach(() => {
      sim.reset()
      mpesa.setConfig(baseConfig)
    })

    afterEach(async () => {
      // Let background work (callback processing, cart completion) finish
      // before the runner resets the database under it; a Medusa workflow cut
      // off mid-transaction by that reset can block the reset itself.
      sim.setFaults({ dropCallbacks: true })
      const deadline = Date.now() + 10_000
      while (Date.now() < deadline) {
        const busyPayment = (await ledger()).some(
          (r) => r.status === "paid" && !r.unmatched && !r.completed_at && r.completion_attempts < 10
        )
        const busyCallback = (await callbacks()).some((c) => c.status === "received")
        if (!busyPayment && !busyCallback) break
        await sleep(200)
      }
      await sleep(500)
    })

    afterAll(async () => {
      await sim?.close()
    })

    it("completes the cart from the callback alone: one order, captured, with the M-Pesa receipt", async () => {
      const cartId = await readyCart()
      expect(await store.cartTotal(cartId)).toBe(CART_TOTAL)

      const { sessionId, session } = await store.createPaymentSession(cartId, { phone: PHONE_SUCCESS })
      expect(session.status).toBe("pending")
      expect(session.data).toMatchObject({
        mpesa_state: "pending",
        phone_masked: "2547****4149",
        amount_kes: CART_TOTAL,
      })
      expect(session.data.checkout_request_id).toMatch(/^ws_CO_/)
      const exposed = JSON.stringify(session)
      for (const secret of [MPESA_TEST_ENV.MPESA_PASSKEY, MPESA_TEST_ENV.MPESA_CONSUMER_SECRET, TEST_CALLBACK_SECRET]) {
        expect(exposed).not.toContain(secret)
      }

      // The shopper never calls cart-complete: the callback alone must produce the order.
      const status = await store.waitForStatus(sessionId, (s) => !!s.order_id)
      expect(status.state).toBe("paid")

      const orders = await ordersForCart(cartId)
      expect(orders).toHaveLength(1)
      const [prompt] = sim.prompts()
      expect(prompt.mpesaReceiptNumber).toMatch(/^[A-Z0-9]{10}$/)
      expect(status.mpesa_receipt_number).toBe(prompt.mpesaReceiptNumber)

      const payments = await paymentsForSession(sessionId)
      expect(payments).toHaveLength(1)
      expect(payments[0].captured_at).toBeTruthy()
      expect(Number(payments[0].amount)).toBe(CART_TOTAL)
      expect(payments[0].captures).toHaveLength(1)
      expect(payments[0].data.mpesa_receipt_number).toBe(prompt.mpesaReceiptNumber)

      // One push, one confirming query; tokens reused.
      const calls = sim.stats().calls
      expect(calls.stkPush).toBe(1)
      expect(calls.stkQuery).toBe(1)
      expect(calls.oauth).toBe(1)

      const [row] = await ledger()
      expect(row).toMatchObject({ status: "paid", amount: CART_TOTAL, confirmed_by: "callback+query" })
      // The ledger records the completion right after Medusa's flow returns.
      await waitFor(async () => !!(await ledger())[0].completed_at)
    })

    it("lets the shopper complete the cart after the callback without creating a second order", async () => {
      const cartId = await readyCart()
      const { sessionId } = await store.createPaymentSession(cartId, { phone_number: PHONE_MANUAL })

      // Before the PIN: completing must not create an order.
      const early = await store.complete(cartId)
      expect(early.body.type).not.toBe("order")
      expect(await ordersForCart(cartId)).toHaveLength(0)

      const [prompt] = sim.prompts()
      sim.approve(prompt.checkoutRequestId)
      await store.waitForStatus(sessionId, (s) => s.state === "paid")

      // Race the webhook-driven completion with the storefront's own call.
      const [a, b] = await Promise.all([store.complete(cartId), store.complete(cartId)])
      const finalStatus = await store.waitForStatus(sessionId, (s) => !!s.order_id)
      const orders = await ordersForCart(cartId)
      expect(orders).toHaveLength(1)
      for (const res of [a, b]) {
        if (res.body.type === "order") {
          expect(res.body.order.id).toBe(orders[0].order_id)
        } else {
          // The loser of the cart lock is told so; it never creates anything.
          expect([200, 409]).toContain(res.status)
        }
      }
      expect(finalStatus.order_id).toBe(orders[0].order_id)
      expect(await paymentsForSession(sessionId)).toHaveLength(1)
    })

    it("handles a callback delivered twice, concurrently: one order, one applied, one duplicate", async () => {
      sim.setFaults({ duplicateCallbacks: true })
      const cartId = await readyCart()
      const { sessionId, session } = await store.createPaymentSession(cartId, { phone: PHONE_SUCCESS })
      await store.waitForStatus(sessionId, (s) => !!s.order_id)
      await sim.waitForCallbacks(2)
      await sleep(500)

      expect(await ordersForCart(cartId)).toHaveLength(1)
      expect(await paymentsForSession(sessionId)).toHaveLength(1)
      const cbs = await callbacks(session.data.checkout_request_id)
      expect(cbs).toHaveLength(2)
      expect(cbs.map((c) => c.status).sort()).toEqual(["applied", "duplicate"])
    })

    it("keeps a callback that arrives before the push response and applies it once the id is known", async () => {
      sim.setFaults({ callbackBeforeResponse: true })
      const cartId = await readyCart()
      const { sessionId, session } = await store.createPaymentSession(cartId, { phone: PHONE_SUCCESS })
      const cbs = await callbacks(session.data.checkout_request_id)
      expect(cbs).toHaveLength(1)
      await store.waitForStatus(sessionId, (s) => !!s.order_id)
      expect(await ordersForCart(cartId)).toHaveLength(1)
      const [after] = await callbacks(session.data.checkout_request_id)
      expect(after.status).toBe("applied")
    })

    it("completes the order by status polling when the callback is lost", async () => {
      sim.setFaults({ dropCallbacks: true })
      const cartId = await readyCart()
      const { sessionId } = await store.createPaymentSession(cartId, { phone: PHONE_SUCCESS })
      await sleep(500)
      expect((await store.status(sessionId)).state).toBe("pending")

      // No callback will come: the scheduled reconcile job queries Daraja and completes the cart.
      const status = await store.waitForStatus(sessionId, (s) => !!s.order_id, 30_000)
      expect(status.state).toBe("paid")
      expect(await ordersForCart(cartId)).toHaveLength(1)
      const [row] = await ledger()
      expect(row.confirmed_by).toBe("query")
      expect(sim.stats().callbacksDropped).toBe(1)
      expect(await callbacks()).toHaveLength(0)
    })

    it("settles a push whose HTTP response was lost (indeterminate) without sending a second prompt", async () => {
      sim.setFaults({ pushResponse: "reset" })
      const cartId = await readyCart()
      const { sessionId, session } = await store.createPaymentSession(cartId, { phone: PHONE_SUCCESS })
      expect(session.status).toBe("pending")
      expect(session.data.mpesa_state).toBe("indeterminate")
      expect(session.data.checkout_request_id).toBeNull()

      // Daraja's callback still comes; it is matched by phone and amount.
      const status = await store.waitForStatus(sessionId, (s) => !!s.order_id)
      expect(status.state).toBe("paid")
      expect(sim.stats().calls.stkPush).toBe(1)
      expect(await ordersForCart(cartId)).toHaveLength(1)
    })

    it("ignores forged callbacks: wrong secret, unknown CheckoutRequestID, wrong amount, success replayed after a failure", async () => {
      // Wrong secret: nothing is stored.
      const wrongSecret = await postCallback(successBody("ws_CO_forged", CART_TOTAL), "not-the-secret-at-all-0123456789")
      expect(wrongSecret.status).toBe(404)
      expect(await callbacks()).toHaveLength(0)

      // Unknown CheckoutRequestID: kept for audit, matches nothing.
      const unknown = await postCallback(successBody("ws_CO_never_pushed", CART_TOTAL))
      expect(unknown.status).toBe(200)
      expect(unknown.data).toEqual({ ResultCode: 0, ResultDesc: "Accepted" })

      // A live push waiting for the shopper's PIN.
      const cartId = await readyCart()
      const { sessionId, session } = await store.createPaymentSession(cartId, { phone: PHONE_MANUAL })
      const checkoutRequestId = session.data.checkout_request_id as string

      // Wrong amount.
      await postCallback(successBody(checkoutRequestId, 1))
      // Right amount, but Daraja's own status query says the prompt is still open.
      await postCallback(successBody(checkoutRequestId, CART_TOTAL))
      await sleep(800)
      expect((await store.status(sessionId)).state).toBe("pending")

      // The shopper cancels on the phone: Daraja's real 1032 callback arrives.
      sim.decline(checkoutRequestId, 1032)
      await store.waitForStatus(sessionId, (s) => s.state === "canceled")

      // A success replayed after the failure changes nothing.
      await postCallback(successBody(checkoutRequestId, CART_TOTAL, "FORGED0002"))
      await sleep(800)
      await mpesaReconcile(container()) // also re-runs anything deferred
      await sleep(300)

      const status = await store.status(sessionId)
      expect(status.state).toBe("canceled")
      expect(status.order_id).toBeNull()
      expect(await ordersForCart(cartId)).toHaveLength(0)
      expect(await paymentsForSession(sessionId)).toHaveLength(0)

      const byId = await callbacks(checkoutRequestId)
      const statuses = byId.map((c) => c.status)
      expect(statuses).toContain("suspicious") // wrong amount, replay after failure
      expect(statuses).toContain("applied") // the real 1032
      expect(byId.find((c) => c.note?.includes("amount 1 does not match"))).toBeTruthy()
      const [orphan] = await callbacks("ws_CO_never_pushed")
      expect(["waiting", "suspicious"]).toContain(orphan.status)
    })

    it("records 1032, 1037, 1 and 2001 with a clear state and message, and creates no order", async () => {
      for (const failure of FAILURES) {
        const cartId = await readyCart()
        const { sessionId } = await store.createPaymentSession(cartId, { phone: failure.phone })
        const status = await store.waitForStatus(sessionId, (s) => !["pending", "initiating"].includes(s.state))
        expect(status.result_code).toBe(failure.code)
        if (failure.state) {
          expect(status.state).toBe(failure.state)
        } else {
          expect(["failed", "expired"]).toContain(status.state)
        }
        expect(status.message).toMatch(failure.message)
        expect(status.retryable).toBe(true)
        // Mirrored onto Medusa's payment session for storefronts that read the cart.
        await waitFor(async () => {
          const query = container().resolve(ContainerRegistrationKeys.QUERY)
          const { data } = await query.graph({ entity: "payment_session", fields: ["status", "data"], filters: { id: sessionId } })
          return (
            data[0]?.status === (status.state === "canceled" ? "canceled" : "error") &&
            (data[0]?.data as Record<string, unknown>)?.result_code === failure.code
          )
        })
        const complete = await store.complete(cartId)
        expect(complete.body.type).not.toBe("order")
        expect(await ordersForCart(cartId)).toHaveLength(0)
      }
    })

    it("refuses a push Daraja rejects with a clear error and leaves no ledger row", async () => {
      const cases: { setup: () => void; message: RegExp }[] = [
        { setup: () => sim.setFaults({ rejectPush: "subscriber_locked" }), message: /another M-Pesa|in progress|wait/i },
        { setup: () => sim.setFaults({ rejectPush: "spike_arrest" }), message: /busy|try again/i },
        { setup: () => mpesa.setConfig({ ...baseConfig, passkey: "not-the-right-passkey" }), message: /M-Pesa/i },
        { setup: () => mpesa.setConfig({ ...baseConfig, consumerSecret: "wrong-consumer-secret" }), message: /M-Pesa/i },
      ]
      for (const c of cases) {
        sim.reset()
        mpesa.setConfig(baseConfig)
        c.setup()
        const cartId = await readyCart()
        const err = await store.createPaymentSession(cartId, { phone: PHONE_SUCCESS }).catch((e) => e)
        expect(err.response?.status).toBeGreaterThanOrEqual(400)
        expect(err.response.data.message).toMatch(c.message)
        expect(JSON.stringify(err.response.data)).not.toContain("not-the-right-passkey")
        expect(JSON.stringify(err.response.data)).not.toContain("wrong-consumer-secret")
        expect(await ledger()).toHaveLength(0)
      }
    })

    it("refuses non-KES carts, out-of-range amounts and bad phone numbers before any push", async () => {
      const { result } = await createRegionsWorkflow(container()).run({
        input: {
          regions: [{ name: "Uganda (USD)", currency_code: "usd", countries: ["ug"], payment_providers: ["pp_mpesa_mpesa"] }],
        },
      })
      const { result: products } = await createProductsWorkflow(container()).run({
        input: {
          products: [
            {
              title: "Imported mug",
              status: "published",
              options: [{ title: "Size", values: ["One size"] }],
              variants: [
                { title: "One size", options: { Size: "One size" }, manage_inventory: false, prices: [{ currency_code: "usd", amount: 20 }] },
              ],
              sales_channels: [{ id: seed.salesChannelId }],
            },
          ],
        },
      })
      const usdCart = await store.createCart({
        regionId: result[0].id,
        variantId: products[0].variants[0].id,
        countryCode: "ug",
      })
      const usd = await store.createPaymentSession(usdCart, { phone: PHONE_SUCCESS }).catch((e) => e)
      expect(usd.response.status).toBe(400)
      expect(usd.response.data.message).toMatch(/currency_code: M-Pesa takes Kenyan shillings \(KES\) only/)

      const bigCart = await readyCart(200) // KES 300,200
      const big = await store.createPaymentSession(bigCart, { phone: PHONE_SUCCESS }).catch((e) => e)
      expect(big.response.status).toBe(400)
      expect(big.response.data.message).toMatch(/amount: M-Pesa Express takes KES 1 to KES 250,000/)

      const phoneCart = await readyCart()
      const badPhone = await store.createPaymentSession(phoneCart, { phone: "0612345" }).catch((e) => e)
      expect(badPhone.response.status).toBe(400)
      expect(badPhone.response.data.message).toMatch(/^phone:/)
      const noPhone = await store.createPaymentSession(phoneCart, {}).catch((e) => e)
      expect(noPhone.response.status).toBe(400)
      expect(noPhone.response.data.message).toMatch(/^phone:/)

      expect(sim.stats().calls.stkPush).toBe(0)
      expect(await ledger()).toHaveLength(0)
    })

    it("still ends in one order when a callback was persisted but never processed (crash before processing)", async () => {
      // Push with callbacks withheld and polling held off, so only the stored callback can settle it.
      mpesa.setConfig({ ...baseConfig, firstQueryDelayMs: 120_000 })
      sim.setFaults({ dropCallbacks: true })
      const cartId = await readyCart()
      const { sessionId } = await store.createPaymentSession(cartId, { phone: PHONE_SUCCESS })
      const [dropped] = await sim.waitForCallbacks(1)
      expect(dropped.outcome).toBe("dropped")

      // What the route persists before it acknowledges Daraja; the process then "dies"
      // before emitting the processing event.
      await mpesa.recordCallback({ payload: dropped.payload, sourceIp: "127.0.0.1" })
      await sleep(300)
      expect((await store.status(sessionId)).state).toBe("pending")

      // After the restart, the reconcile job finds the unprocessed callback.
      const status = await store.waitForStatus(sessionId, (s) => !!s.order_id, 30_000)
      expect(status.state).toBe("paid")
      expect(await ordersForCart(cartId)).toHaveLength(1)
    })
  },
})
