import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import { ContainerRegistrationKeys, Modules } from "@medusajs/framework/utils"
import { createProductsWorkflow, createRegionsWorkflow } from "@medusajs/medusa/core-flows"
import type { Context, IPaymentModuleService, MedusaContainer } from "@medusajs/framework/types"
import { createStep, createWorkflow, StepResponse, WorkflowResponse } from "@medusajs/framework/workflows-sdk"
import type { EntityManager } from "@medusajs/framework/mikro-orm/postgresql"
import { startDarajaSimulator, type DarajaSimulator } from "../../src/simulator"
import { seedDemoStore } from "../../src/scripts/seed-demo"
import { callbackUrlForPush } from "../../src/modules/mpesa"
import { MPESA_MODULE, type IMpesaModuleService } from "../../src/modules/mpesa"
import mpesaReconcile from "../../src/jobs/mpesa-reconcile"
import { captureProcessOutput } from "../helpers/captured-output"
import { applyTestEnv, freePort, TEST_CALLBACK_SECRET, MPESA_TEST_ENV } from "../helpers/env"
import { StoreCheckout, sleep } from "../helpers/store-checkout"
import { successCallbackBody } from "../helpers/stk-callback"

applyTestEnv()
jest.setTimeout(120_000)

// Everything Medusa's process writes, to prove no log line carries the callback secret.
const output = captureProcessOutput()

let sim: DarajaSimulator
beforeAll(async () => {
  // The simulator's own tests cover its lenient default; ours run it strict.
  sim = await startDarajaSimulator({ callbackDelayMs: 250, promptTimeoutMs: 20_000, strict: true })
  const port = await freePort()
  applyTestEnv({
    PORT: String(port),
    MPESA_BASE_URL: sim.url,
    MPESA_CALLBACK_BASE_URL: `http://localhost:${port}`,
    MPESA_FIRST_QUERY_DELAY_MS: "1500",
    MPESA_QUERY_BACKOFF_MS: "1000",
    // These tests pay from a few phones many times; the limits have their own spec.
    MPESA_LIMIT_PHONE_MAX: "1000",
    MPESA_LIMIT_COLLECTION_MAX: "1000",
    MPESA_LIMIT_CLIENT_MAX: "1000",
  })
})

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
    let seed: Awaited<ReturnType<typeof seedDemoStore>>
    let store: StoreCheckout
    let mpesa: IMpesaModuleService

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
      return mpesa.listLedger({}, { take: 100 })
    }

    async function callbacks(checkoutRequestId?: string) {
      const all = await mpesa.listCallbacks({}, { take: 100 })
      return checkoutRequestId ? all.filter((c) => c.checkout_request_id === checkoutRequestId) : all
    }

    async function transactionIdFor(sessionId: string) {
      return (await mpesa.getPaymentBySession(sessionId))!.transaction_id
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

    /** Posts to the signed callback URL of one push (as Daraja would), or to any path given. */
    function postCallback(body: unknown, transactionId: string) {
      const path = new URL(callbackUrlForPush(mpesa.getConfig(), transactionId)).pathname
      return api.post(path, body, { validateStatus: () => true })
    }

    function successBody(checkoutRequestId: string, amount: number, receipt = "FORGED0001") {
      return successCallbackBody({ checkoutRequestId, amount, receipt })
    }

    beforeAll(async () => {
      seed = await seedDemoStore(container())
      mpesa = container().resolve<IMpesaModuleService>(MPESA_MODULE)
      store = new StoreCheckout(api, seed.publishableKey)
    })

    beforeEach(() => {
      sim.reset()
    })

    afterEach(async () => {
      // Let background work (callback processing, cart completion) finish
      // before the runner resets the database under it; a Medusa workflow cut
      // off mid-transaction by that reset can block the reset itself.
      sim.setFaults({ dropCallbacks: true })
      const deadline = Date.now() + 10_000
      while (Date.now() < deadline) {
        const busyPayment = (await ledger()).some(
          (r) => r.status === "paid" && !r.unmatched && !r.completed_at && r.completion_attempts < 3
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

      // Daraja's callback still comes, to the push's own signed URL, and is confirmed by query.
      const status = await store.waitForStatus(sessionId, (s) => !!s.order_id)
      expect(status.state).toBe("paid")
      expect(sim.stats().calls.stkPush).toBe(1)
      expect(await ordersForCart(cartId)).toHaveLength(1)
    })

    it("ignores forged callbacks: wrong signature, another push's id, wrong amount, success replayed after a failure", async () => {
      // A live push waiting for the shopper's PIN.
      const cartId = await readyCart()
      const { sessionId, session } = await store.createPaymentSession(cartId, { phone: PHONE_MANUAL })
      const checkoutRequestId = session.data.checkout_request_id as string
      const txId = await transactionIdFor(sessionId)
      const signedPath = new URL(callbackUrlForPush(mpesa.getConfig(), txId)).pathname

      // Wrong signature, or the bare secret of older versions: 404, nothing stored.
      for (const path of [signedPath.slice(0, -1) + (signedPath.endsWith("A") ? "B" : "A"), `/hooks/lipa/stk/${TEST_CALLBACK_SECRET}`]) {
        const res = await api.post(path, successBody(checkoutRequestId, CART_TOTAL), { validateStatus: () => true })
        expect(res.status).toBe(404)
      }
      expect(await callbacks()).toHaveLength(0)

      // Another push's CheckoutRequestID on this push's URL: accepted for audit, matches nothing.
      const other = await postCallback(successBody("ws_CO_never_pushed", CART_TOTAL), txId)
      expect(other.status).toBe(200)
      expect(other.data).toEqual({ ResultCode: 0, ResultDesc: "Accepted" })
      // Wrong amount.
      await postCallback(successBody(checkoutRequestId, 1), txId)
      // Right amount, but Daraja's own status query says the prompt is still open.
      await postCallback(successBody(checkoutRequestId, CART_TOTAL), txId)
      await sleep(800)
      expect((await store.status(sessionId)).state).toBe("pending")

      // The shopper cancels on the phone: Daraja's real 1032 callback arrives.
      sim.decline(checkoutRequestId, 1032)
      await store.waitForStatus(sessionId, (s) => s.state === "canceled")

      // A success replayed after the failure changes nothing.
      await postCallback(successBody(checkoutRequestId, CART_TOTAL, "FORGED0002"), txId)
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
      const [foreign] = await callbacks("ws_CO_never_pushed")
      expect(foreign.status).toBe("suspicious")
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
        { setup: () => sim.setFaults({ rejectPush: "quota" }), message: /M-Pesa|try again/i },
      ]
      for (const c of cases) {
        sim.reset()
        c.setup()
        const cartId = await readyCart()
        const err = await store.createPaymentSession(cartId, { phone: PHONE_SUCCESS }).catch((e) => e)
        expect(err.response?.status).toBeGreaterThanOrEqual(400)
        expect(err.response.data.message).toMatch(c.message)
        for (const secret of [MPESA_TEST_ENV.MPESA_PASSKEY, MPESA_TEST_ENV.MPESA_CONSUMER_SECRET, TEST_CALLBACK_SECRET]) {
          expect(JSON.stringify(err.response.data)).not.toContain(secret)
        }
        expect(await ledger()).toHaveLength(0)
      }
    })

    it("runs a module write inside the caller's workflow transaction: rolled back with it, committed with it", async () => {
      // Issue 15: the module uses Medusa's manager and shared context, so a
      // workflow step can pass its context and the write joins that transaction.
      sim.setFaults({ dropCallbacks: true })
      const cartId = await readyCart()
      const { sessionId } = await store.createPaymentSession(cartId, { phone: PHONE_SUCCESS })
      const { transaction_id } = (await mpesa.getPaymentBySession(sessionId))!
      const closedAt = async (ctx?: Context) => (await mpesa.getLedgerRow(transaction_id, ctx))!.session_closed_at

      const closeStep = createStep("mpesa-probe-close-session", async (id: string, { container, context }) => {
        await container.resolve<IMpesaModuleService>(MPESA_MODULE).closeSession(id, context)
        return new StepResponse(id)
      })
      const seenInside: unknown[] = []
      const afterStep = createStep("mpesa-probe-after", async (input: { fail: boolean }, { context }) => {
        // Inside the transaction the write is visible; outside it is not yet.
        seenInside.push(await closedAt(context), await closedAt())
        if (input.fail) throw new Error("a later step failed")
        return new StepResponse(true)
      })
      const probe = createWorkflow("mpesa-probe-transaction", (input: { sessionId: string; fail: boolean }) => {
        closeStep(input.sessionId)
        afterStep({ fail: input.fail })
        return new WorkflowResponse(true)
      })
      // The caller's transaction: a manager from Medusa's data layer on the
      // same connection (here the module's own base repository, as a workflow
      // step's context would carry it); the write must join it, not open its own.
      const repository = (mpesa as unknown as {
        baseRepository_: { transaction(task: (transactionManager: EntityManager) => Promise<void>): Promise<void> }
      }).baseRepository_
      const runInTransaction = (fail: boolean) =>
        repository.transaction(async (transactionManager) => {
          await probe(container()).run({ input: { sessionId, fail }, context: { transactionManager }, throwOnError: true })
        })

      // The workflow engine rejects with its serialized error, not an Error instance.
      await expect(runInTransaction(true)).rejects.toMatchObject({ message: "a later step failed" })
      expect(seenInside[0]).toBeTruthy()
      expect(seenInside[1]).toBeNull()
      expect(await closedAt()).toBeNull()

      await runInTransaction(false)
      expect(await closedAt()).toBeTruthy()
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
      // Push with callbacks withheld; the stored callback is re-checked before any status query is due.
      sim.setFaults({ dropCallbacks: true })
      const cartId = await readyCart()
      const { sessionId } = await store.createPaymentSession(cartId, { phone: PHONE_SUCCESS })
      const [dropped] = await sim.waitForCallbacks(1)
      expect(dropped.outcome).toBe("dropped")

      // What the route persists before it acknowledges Daraja; the process then "dies"
      // before emitting the processing event.
      await mpesa.recordCallback({ payload: dropped.payload, sourceIp: "127.0.0.1", transactionId: await transactionIdFor(sessionId) })
      await sleep(300)
      expect((await store.status(sessionId)).state).toBe("pending")

      // After the restart, the reconcile job finds the unprocessed callback.
      const status = await store.waitForStatus(sessionId, (s) => !!s.order_id, 30_000)
      expect(status.state).toBe("paid")
      expect(await ordersForCart(cartId)).toHaveLength(1)
      expect((await ledger())[0].confirmed_by).toBe("callback+query")
    })

    it("scenario 2: a failed second prompt's rollback re-attaches to the open prompt (no third prompt), and its payment completes the cart", async () => {
      const cartId = await readyCart()
      await store.createPaymentSession(cartId, { phone: PHONE_MANUAL })
      const [promptA] = sim.prompts()
      // The shopper presses Pay again with another number; Daraja refuses that push. Medusa created
      // the new session and deleted the old one in parallel, and now rolls the deletion back by
      // re-creating the old session through initiatePayment.
      sim.setFaults({ rejectPush: "subscriber_locked" })
      const second = await store.createPaymentSession(cartId, { phone: "0722000999" }).catch((e) => e)
      expect(second.response?.status).toBeGreaterThanOrEqual(400)
      sim.setFaults({ rejectPush: null })
      const pushes = sim.stats().calls.stkPush
      expect(pushes).toBe(2) // A, and the refused attempt: no third prompt from the rollback
      const rows = await ledger()
      expect(rows).toHaveLength(1)
      // The ledger row belongs to a session that exists (the re-created one, or the original if Medusa kept it).
      const payments = container().resolve<IPaymentModuleService>(Modules.PAYMENT)
      const [owner] = await payments.listPaymentSessions({ id: rows[0].payment_session_id! })
      expect(owner).toBeTruthy()
      expect(rows[0].payment_collection_id).toBeTruthy()

      sim.approve(promptA.checkoutRequestId)
      const status = await store.waitForStatus(rows[0].payment_session_id!, (s) => !!s.order_id, 30_000)
      expect(status.state).toBe("paid")
      expect(await ordersForCart(cartId)).toHaveLength(1)
      expect(sim.stats().calls.stkPush).toBe(pushes)
    })

    it("scenario 4: a crash between Daraja accepting the push and Medusa saving the session still ends in one order", async () => {
      const cartId = await readyCart()
      const { sessionId } = await store.createPaymentSession(cartId, { phone: PHONE_MANUAL })
      // What the session row holds when the process died before Medusa stored our data: only the
      // storefront's input, no session_id of ours.
      // Written straight to the row: Medusa's own update path would call our provider again.
      const pg = container().resolve(ContainerRegistrationKeys.PG_CONNECTION)
      await pg("payment_session").where({ id: sessionId }).update({ data: JSON.stringify({ phone: PHONE_MANUAL }) })
      const payments = container().resolve<IPaymentModuleService>(Modules.PAYMENT)
      const [stripped] = await payments.listPaymentSessions({ id: sessionId })
      expect(stripped.data).toEqual({ phone: PHONE_MANUAL })

      const [prompt] = sim.prompts()
      sim.approve(prompt.checkoutRequestId)
      const status = await store.waitForStatus(sessionId, (s) => !!s.order_id)
      expect(status.state).toBe("paid")
      expect(await ordersForCart(cartId)).toHaveLength(1)
      expect(await paymentsForSession(sessionId)).toHaveLength(1)
    })

    it("keeps the callback secret out of every log line; a logged callback URL names only a settled push", async () => {
      const cartId = await readyCart()
      const { sessionId } = await store.createPaymentSession(cartId, { phone: PHONE_SUCCESS })
      await store.waitForStatus(sessionId, (s) => !!s.order_id)
      await sleep(300)
      const log = output.join("")
      expect(log).not.toContain(TEST_CALLBACK_SECRET)
      // Medusa's access log is off under NODE_ENV=test, so take the paths it would print
      // (request paths Daraja called) from the simulator's delivery log, plus any in our output.
      const paths = [...(await sim.waitForCallbacks(1)).map((d) => new URL(d.url).pathname), log]
      const logged = [...new Set(paths.join("\n").match(/\/hooks\/lipa\/stk\/[A-Za-z0-9]+\/[A-Za-z0-9_-]+/g) ?? [])]
      expect(logged.length).toBeGreaterThan(0)
      for (const path of logged) expect(path).not.toContain(TEST_CALLBACK_SECRET)
      // Replaying any logged URL with a forged body changes nothing: those pushes are settled.
      const before = await ledger()
      for (const path of logged) {
        await api.post(path, successBody("ws_CO_forged_from_log", 1, "LOGFORGED1"), { validateStatus: () => true })
      }
      await sleep(800)
      const after = await ledger()
      expect(after.map((r) => [r.id, r.status, r.mpesa_receipt_number])).toEqual(before.map((r) => [r.id, r.status, r.mpesa_receipt_number]))
      expect(await ordersForCart(cartId)).toHaveLength(1)
    })
  },
})
