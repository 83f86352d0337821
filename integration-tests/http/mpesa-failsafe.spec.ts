import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import type { MedusaContainer } from "@medusajs/framework/types"
import type { Knex } from "@medusajs/framework/mikro-orm/knex"
import { startDarajaSimulator, type DarajaSimulator } from "../../src/simulator"
import { seedDemoStore } from "../../src/scripts/seed-demo"
import { callbackUrlForPush } from "../../src/modules/mpesa"
import { resultUrl } from "../../src/modules/mpesa"
import { PAUSED_SHOPPER_MESSAGE } from "../../src/modules/mpesa"
import { MPESA_MODULE, type IMpesaModuleService } from "../../src/modules/mpesa"
import { adminToken } from "../helpers/admin-auth"
import { captureLogger, captureProcessOutput } from "../helpers/captured-output"
import { applyTestEnv, freePort, TEST_CALLBACK_SECRET } from "../helpers/env"
import { successCallbackBody } from "../helpers/stk-callback"
import { sleep, StoreCheckout } from "../helpers/store-checkout"

/**
 * Issue 14, 4.3 and 4.5: what happens when the saved credentials cannot be
 * read, and when a signed callback URL is replayed. The environment's
 * credentials are another app's on purpose (the simulator refuses them): any
 * Daraja call made with them instead of the saved ones shows in its counters.
 */
const ENV_CREDENTIALS = { MPESA_CONSUMER_KEY: "env-consumer-key", MPESA_CONSUMER_SECRET: "env-consumer-secret" }
const SETTINGS_KEY = "failsafe-settings-key-do-not-use-in-production"
const ROTATED_KEY = "failsafe-rotated-key-not-the-one-used-to-save"
const LIMIT = 5
const GOOD = {
  consumer_key: "simulator-consumer-key",
  consumer_secret: "simulator-consumer-secret",
  shortcode: "174379",
  passkey: "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919",
  transaction_type: "paybill",
}

const output = captureProcessOutput()

applyTestEnv(ENV_CREDENTIALS)
process.env.MPESA_SETTINGS_KEY = SETTINGS_KEY
jest.setTimeout(120_000)

let sim: DarajaSimulator
let callbackBaseUrl: string
beforeAll(async () => {
  sim = await startDarajaSimulator({ callbackDelayMs: 250, promptTimeoutMs: 60_000 })
  const port = await freePort()
  callbackBaseUrl = `http://localhost:${port}`
  applyTestEnv({
    ...ENV_CREDENTIALS,
    PORT: String(port),
    MPESA_BASE_URL: sim.url,
    MPESA_CALLBACK_BASE_URL: callbackBaseUrl,
    MPESA_MAX_CALLBACKS_PER_URL: String(LIMIT),
    MPESA_LIMIT_PHONE_MAX: "1000",
    MPESA_LIMIT_COLLECTION_MAX: "1000",
    MPESA_LIMIT_CLIENT_MAX: "1000",
  })
})

afterAll(async () => {
  await sim?.close()
})

medusaIntegrationTestRunner({
  testSuite: ({ api, getContainer }) => {
    let seed: Awaited<ReturnType<typeof seedDemoStore>>
    let store: StoreCheckout
    let mpesa: IMpesaModuleService
    let admin: { headers: Record<string, string> }
    const container = (): MedusaContainer => getContainer()
    let logged: string[] = []
    /** The process's output and the app logger's lines (see captureLogger). */
    const everything = () => output.join("") + logged.join("\n")
    const db = () => container().resolve<Knex>(ContainerRegistrationKeys.PG_CONNECTION)
    const save = (body: Record<string, unknown>) => api.post("/admin/mpesa/settings", body, { ...admin, validateStatus: () => true })
    const settingsView = async () => (await api.get("/admin/mpesa/settings", admin)).data.settings
    /** What a restart does (with whatever MPESA_SETTINGS_KEY the process has now): every process reads the settings again. */
    const settingsReadAgain = () => db()("mpesa_setting").increment("version", 1)

    async function cartReadyToPay() {
      const cartId = await store.createCart({ regionId: seed.regionId, variantId: seed.variantId })
      await store.addShipping(cartId, seed.shippingOptionId)
      return cartId
    }

    async function tryPush(phone: string) {
      const cartId = await cartReadyToPay()
      const { data: pc } = await api.post("/store/payment-collections", { cart_id: cartId }, store.headers)
      return api.post(
        `/store/payment-collections/${pc.payment_collection.id}/payment-sessions`,
        { provider_id: "pp_mpesa_mpesa", data: { phone } },
        { ...store.headers, validateStatus: () => true }
      )
    }

    async function waitFor<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
      const deadline = Date.now() + timeoutMs
      let last = await read()
      while (!done(last) && Date.now() < deadline) {
        await sleep(200)
        last = await read()
      }
      return last
    }

    beforeAll(async () => {
      logged = captureLogger(container().resolve<Record<string, unknown>>("logger"))
      seed = await seedDemoStore(container())
      mpesa = container().resolve<IMpesaModuleService>(MPESA_MODULE)
      store = new StoreCheckout(api, seed.publishableKey)
    })

    beforeEach(async () => {
      sim.reset()
      process.env.MPESA_SETTINGS_KEY = SETTINGS_KEY
      admin = { headers: { authorization: `Bearer ${await adminToken(api, container(), "admin-failsafe@example.co.ke")}` } }
    })

    it("pauses Daraja work while the saved credentials cannot be decrypted, keeps the callback, and completes the order once the key is back", async () => {
      expect((await save(GOOD)).status).toBe(200)
      // A manual phone: the prompt waits until the test answers it.
      const pushed = await tryPush("0722000131")
      expect(pushed.status).toBe(200)
      const sessionId = pushed.data.payment_collection.payment_sessions[0].id
      const [prompt] = sim.prompts()
      const row = await mpesa.getLedgerRowByCheckoutRequestId(prompt.checkoutRequestId)

      // The server comes back with another key: the saved secrets cannot be decrypted.
      process.env.MPESA_SETTINGS_KEY = ROTATED_KEY
      await settingsReadAgain()
      await sleep(2_500) // every process notices within SETTINGS_CHECK_MS
      const before = { ...sim.stats().calls }

      // The shopper pays; Daraja's callback arrives while the key is wrong.
      sim.approve(prompt.checkoutRequestId)
      const [delivery] = await sim.waitForCallbacks(1)
      expect(delivery).toMatchObject({ outcome: "delivered", httpStatus: 200 })
      await sleep(5_000) // the subscriber and two reconcile runs (every 2 s) had their chance

      // Nothing went to Daraja with the environment's (another app's) credentials, or any others.
      const after = sim.stats().calls
      expect({ oauth: after.oauth - before.oauth, stkQuery: after.stkQuery - before.stkQuery, reversal: after.reversal - before.reversal }).toEqual({
        oauth: 0,
        stkQuery: 0,
        reversal: 0,
      })
      // The callback is stored, unprocessed and uncounted (its re-check budget untouched); the push did not expire.
      const stored = await db()("mpesa_callback").where({ transaction_id: row!.id })
      expect(stored).toHaveLength(1)
      expect(stored[0]).toMatchObject({ status: "received", processed_at: null, attempts: 0 })
      expect((await mpesa.getLedgerRow(row!.id))!.status).toBe("pending")

      // The admin's status says what is wrong and what to do.
      const paused = await settingsView()
      expect(paused.configured).toBe(false)
      expect(paused.paused).toMatchObject({ kind: "settings_key_mismatch", callbacks_waiting: 1 })
      expect(paused.paused.problem).toMatch(/cannot be decrypted: MPESA_SETTINGS_KEY on this server is not the key they were saved with/)
      expect(paused.paused.fix).toMatch(/Restore the MPESA_SETTINGS_KEY .* or enter the consumer secret, passkey again/)
      expect(JSON.stringify(paused)).not.toContain(ROTATED_KEY)
      expect(everything()).toMatch(/M-Pesa paused: The M-Pesa credentials saved in Settings -> M-Pesa cannot be decrypted/)

      // A new push is refused with a short line for the shopper, and never sent.
      const refused = await tryPush("0722000132")
      expect(refused.status).toBe(500)
      expect(refused.data.message).toBe(PAUSED_SHOPPER_MESSAGE)
      expect(sim.stats().calls.stkPush).toBe(1)

      // The key is restored (and the server restarted): the stored callback is applied and the order made.
      process.env.MPESA_SETTINGS_KEY = SETTINGS_KEY
      await settingsReadAgain()
      const done = await store.waitForStatus(sessionId, (s) => Boolean(s.order_id), 30_000)
      expect(done).toMatchObject({ state: "paid", mpesa_receipt_number: sim.prompts()[0].mpesaReceiptNumber })
      const [applied] = await db()("mpesa_callback").where({ transaction_id: row!.id })
      expect(applied.status).toBe("applied")
      expect((await settingsView()).paused).toBeNull()
      for (const secret of [SETTINGS_KEY, ROTATED_KEY, GOOD.consumer_secret, GOOD.passkey]) expect(everything()).not.toContain(secret)
    })

    it("stores at most maxCallbacksPerUrl callbacks per signed URL under concurrent replays, answers all 200, and applies the real one once", async () => {
      expect((await save(GOOD)).status).toBe(200)
      sim.setFaults({ dropCallbacks: true }) // the test posts the callback itself, many times at once
      const pushed = await tryPush("0722000133")
      expect(pushed.status).toBe(200)
      const sessionId = pushed.data.payment_collection.payment_sessions[0].id
      const [prompt] = sim.prompts()
      sim.approve(prompt.checkoutRequestId)
      // The receipt exists once the simulator completes the payment (its callback is then dropped).
      const paid = await waitFor(async () => sim.prompts()[0], (p) => Boolean(p.mpesaReceiptNumber))
      const row = (await mpesa.getLedgerRowByCheckoutRequestId(prompt.checkoutRequestId))!
      const url = callbackUrlForPush({ callbackBaseUrl, callbackSecret: TEST_CALLBACK_SECRET }, row.id)
      const body = successCallbackBody({
        checkoutRequestId: prompt.checkoutRequestId,
        merchantRequestId: row.merchant_request_id ?? undefined,
        amount: row.amount,
        receipt: paid.mpesaReceiptNumber!,
        phone: Number(row.phone),
      })

      const answers = await Promise.all(
        Array.from({ length: LIMIT + 10 }, () => api.post(url, body, { validateStatus: () => true }))
      )
      expect(answers.map((a) => a.status)).toEqual(Array(LIMIT + 10).fill(200))
      expect(await db()("mpesa_callback").where({ transaction_id: row.id }).count({ n: "*" })).toEqual([{ n: String(LIMIT) }])

      const done = await store.waitForStatus(sessionId, (s) => Boolean(s.order_id), 30_000)
      expect(done).toMatchObject({ state: "paid", mpesa_receipt_number: paid.mpesaReceiptNumber })
      const settled = await waitFor(
        () => db()("mpesa_callback").where({ transaction_id: row.id }),
        (rows) => rows.every((r) => r.processed_at)
      )
      expect(settled.map((r) => r.status).sort()).toEqual(["applied", ...Array(LIMIT - 1).fill("duplicate")])
      const after = (await mpesa.getLedgerRow(row.id))!
      expect(after.replays_dropped).toBe(10)
      const warnings = logged.filter((l) => l.includes("acknowledged but not stored") && l.includes(row.id))
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).not.toContain(url.split("/").pop())

      // The Daraja request result URLs carry the same bound.
      const result = resultUrl({ callbackBaseUrl, callbackSecret: TEST_CALLBACK_SECRET }, "status", "mpesarq_01REPLAYEDRESULT")
      const resultBody = { Result: { ResultType: 0, ResultCode: 0, ResultDesc: "ok", OriginatorConversationID: "1-2-3", ConversationID: "AG_1", TransactionID: "X1" } }
      const resultAnswers = await Promise.all(Array.from({ length: LIMIT + 3 }, () => api.post(result, resultBody, { validateStatus: () => true })))
      expect(resultAnswers.map((a) => a.status)).toEqual(Array(LIMIT + 3).fill(200))
      expect(await db()("mpesa_callback").where({ request_id: "mpesarq_01REPLAYEDRESULT" }).count({ n: "*" })).toEqual([{ n: String(LIMIT) }])
    })
  },
})
