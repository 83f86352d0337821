import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import type { MedusaContainer } from "@medusajs/framework/types"
import { spawn, type ChildProcessWithoutNullStreams } from "child_process"
import path from "path"
import readline from "readline"
import type { Knex } from "@medusajs/framework/mikro-orm/knex"
import { startDarajaSimulator, type DarajaSimulator } from "../../src/simulator"
import { seedDemoStore } from "../../src/scripts/seed-demo"
import { SecretBox } from "../../src/modules/mpesa"
import { MPESA_MODULE, type IMpesaModuleService } from "../../src/modules/mpesa"
import { adminToken } from "../helpers/admin-auth"
import { captureProcessOutput } from "../helpers/captured-output"
import { applyTestEnv, freePort } from "../helpers/env"
import { StoreCheckout } from "../helpers/store-checkout"

// The environment's credentials are wrong on purpose: a push only works with
// the ones saved through the admin API.
const ENV_CREDENTIALS = { MPESA_CONSUMER_KEY: "env-consumer-key", MPESA_CONSUMER_SECRET: "env-consumer-secret" }
const SETTINGS_KEY = "test-settings-key-do-not-use-in-production"
const GOOD = {
  consumer_key: "simulator-consumer-key",
  consumer_secret: "simulator-consumer-secret",
  shortcode: "174379",
  passkey: "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919",
  transaction_type: "paybill",
}
const SECRETS = [GOOD.consumer_secret, GOOD.passkey, "initiator-Pa55word-xyz"]

// Everything this process writes (Medusa's logs included), to prove no secret saved in the admin is logged.
const output = captureProcessOutput()

applyTestEnv(ENV_CREDENTIALS)
process.env.MPESA_SETTINGS_KEY = SETTINGS_KEY
jest.setTimeout(120_000)

let sim: DarajaSimulator
beforeAll(async () => {
  sim = await startDarajaSimulator({ callbackDelayMs: 250, promptTimeoutMs: 20_000, strict: true })
  const port = await freePort()
  applyTestEnv({
    ...ENV_CREDENTIALS,
    PORT: String(port),
    MPESA_BASE_URL: sim.url,
    MPESA_CALLBACK_BASE_URL: `http://localhost:${port}`,
    MPESA_LIMIT_PHONE_MAX: "1000",
    MPESA_LIMIT_COLLECTION_MAX: "1000",
    MPESA_LIMIT_CLIENT_MAX: "1000",
  })
})

const ADMIN_ROUTES: [string, string][] = [
  ["get", "/admin/mpesa/settings"],
  ["post", "/admin/mpesa/settings"],
  ["post", "/admin/mpesa/settings/test-connection"],
  ["get", "/admin/mpesa/transactions"],
  ["get", "/admin/mpesa/orders/order_123"],
]

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
    const db = () => container().resolve<Knex>(ContainerRegistrationKeys.PG_CONNECTION)


    const save = (body: Record<string, unknown>) =>
      api.post("/admin/mpesa/settings", body, { ...admin, validateStatus: () => true })

    async function cartReadyToPay() {
      const cartId = await store.createCart({ regionId: seed.regionId, variantId: seed.variantId })
      await store.addShipping(cartId, seed.shippingOptionId)
      return cartId
    }

    async function tryPush(phone = "0722000111") {
      const cartId = await cartReadyToPay()
      const { data: pc } = await api.post("/store/payment-collections", { cart_id: cartId }, store.headers)
      return api.post(
        `/store/payment-collections/${pc.payment_collection.id}/payment-sessions`,
        { provider_id: "pp_mpesa_mpesa", data: { phone } },
        { ...store.headers, validateStatus: () => true }
      )
    }

    beforeAll(async () => {
      seed = await seedDemoStore(container())
      mpesa = container().resolve<IMpesaModuleService>(MPESA_MODULE)
      store = new StoreCheckout(api, seed.publishableKey)
    })

    beforeEach(async () => {
      sim.reset()
      process.env.MPESA_SETTINGS_KEY = SETTINGS_KEY
      admin = { headers: { authorization: `Bearer ${await adminToken(api, container(), "admin-mpesa@example.co.ke")}` } }
    })

    it("answers 401 on every admin route without a session or token, and changes nothing", async () => {
      for (const [method, url] of ADMIN_ROUTES) {
        const opts = { validateStatus: () => true }
        const res = method === "post" ? await api.post(url, { shortcode: "600000" }, opts) : await api.get(url, opts)
        expect([url, res.status]).toEqual([url, 401])
      }
      const forged = await api.post("/admin/mpesa/settings", { shortcode: "600000" }, {
        headers: { authorization: "Bearer not-a-token" },
        validateStatus: () => true,
      })
      expect(forged.status).toBe(401)
      expect(await db()("mpesa_setting").count({ n: "*" })).toEqual([{ n: "0" }])
      expect(sim.stats().calls.oauth).toBe(0)
    })

    it("names the field and the rule in validation errors, for single fields and for the merged whole", async () => {
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ shortcode: "12ab" }, /shortcode must be 5-7 digits/],
        [{ till_number: "12" }, /till_number must be 5-8 digits/],
        [{ passkey: "not a passkey" }, /passkey must be 20-200 letters and digits/],
        [{ environment: "live" }, /'sandbox, production' for field 'environment'/],
        [{ callback_base_url: "ftp://shop" }, /callback_base_url must be an absolute http\(s\) URL/],
        [{ callback_base_url: "https://mpesa.shop.example.com" }, /callback_base_url must not contain "mpesa"/],
        [{ colour: "green" }, /colour/],
        [{ transaction_type: "till" }, /till_number: tillNumber is required when transactionType is till/],
        [{ environment: "production", callback_base_url: "http://shop.example.com" }, /callback_base_url: callbackBaseUrl must use https in production/],
      ]
      for (const [body, message] of cases) {
        const res = await save(body)
        expect([JSON.stringify(body), res.status]).toEqual([JSON.stringify(body), 400])
        expect(res.data.message).toMatch(message)
      }
      expect(await db()("mpesa_setting").count({ n: "*" })).toEqual([{ n: "0" }])
    })

    it("stores secrets encrypted, never returns them, and keeps a stored secret when saved empty", async () => {
      const res = await save({ ...GOOD, initiator_name: "apiop", initiator_password: SECRETS[2] })
      expect(res.status).toBe(200)
      const text = JSON.stringify(res.data)
      for (const secret of SECRETS) expect(text).not.toContain(secret)
      expect(res.data.settings.fields.passkey).toEqual({ set: true, ending: "c919", source: "saved" })
      expect(res.data.settings.fields.consumer_secret).toEqual({ set: true, ending: "cret", source: "saved" })
      expect(res.data.settings.fields.consumer_key).toEqual({ value: GOOD.consumer_key, source: "saved" })
      expect(res.data.settings.fields.account_reference).toEqual({ value: "{ref}", source: "default" })
      expect(res.data.settings.fields.callback_base_url.source).toBe("environment")
      expect(res.data.settings.callback_url).toMatch(/\/hooks\/lipa\/stk\/\{push\}\/\{signature\}$/)

      const [row] = await db()("mpesa_setting").select("*")
      const columns = JSON.stringify(row)
      for (const secret of SECRETS) expect(columns).not.toContain(secret)
      expect(row.passkey_enc).toMatch(/^v1:[\w-]+:[\w-]+:[\w-]+$/)
      expect(new SecretBox(SETTINGS_KEY).open(row.passkey_enc)).toBe(GOOD.passkey) // really the secret, under that key
      expect(() => new SecretBox("another-key").open(row.passkey_enc)).toThrow(/not the key it was saved with/)

      // Saving again with the secret left empty keeps it.
      const again = await save({ passkey: "", consumer_secret: "", transaction_desc: "Duka" })
      expect(again.status).toBe(200)
      const [after] = await db()("mpesa_setting").select("*")
      expect(after.passkey_enc).toBe(row.passkey_enc)
      expect(after.version).toBe(row.version + 1)
      const read = await api.get("/admin/mpesa/settings", admin)
      for (const secret of SECRETS) expect(JSON.stringify(read.data)).not.toContain(secret)
      expect(read.data.settings.fields.transaction_desc).toEqual({ value: "Duka", source: "saved" })
    })

    it("refuses to store secrets without MPESA_SETTINGS_KEY, but saves the other fields", async () => {
      delete process.env.MPESA_SETTINGS_KEY
      const refused = await save({ passkey: GOOD.passkey })
      expect(refused.status).toBe(400)
      expect(refused.data.message).toMatch(/passkey: cannot be stored: set MPESA_SETTINGS_KEY/)
      expect(refused.data.message).not.toContain(GOOD.passkey)
      const plain = await save({ shortcode: "174379", account_reference: "DUKA" })
      expect(plain.status).toBe(200)
      expect(plain.data.settings.settings_key).toEqual({ present: false, variable: "MPESA_SETTINGS_KEY" })
      const [row] = await db()("mpesa_setting").select("*")
      expect(row.passkey_enc).toBeNull()
    })

    it("uses a setting saved through the API for the very next STK Push, without a restart", async () => {
      // The environment's credentials are wrong: no push.
      const before = await tryPush()
      expect(before.status).toBe(500)
      expect(sim.stats().calls.stkPush).toBe(0)

      expect((await save({ ...GOOD, account_reference: "DUKA{ref}" })).status).toBe(200)
      const after = await tryPush()
      expect(after.status).toBe(200)
      const session = after.data.payment_collection.payment_sessions[0]
      expect(session.data.mpesa_state).toBe("pending")
      const [prompt] = sim.prompts()
      expect(prompt.accountReference).toMatch(/^DUKA/)

      // A token fetched with the old credentials is never used for new ones:
      // a wrong secret is refused at once, not hidden by the cached token.
      expect((await save({ consumer_secret: "a-wrong-secret-0000" })).status).toBe(200)
      const wrong = await tryPush("0722000112")
      expect(wrong.status).toBe(500)
      expect(sim.stats().calls.stkPush).toBe(1)
      expect((await save({ consumer_secret: GOOD.consumer_secret })).status).toBe(200)
      expect((await tryPush("0722000113")).status).toBe(200)
    })

    it("a second process (same database, its own boot) uses a setting saved after it started, on its next push", async () => {
      const pool = db()
      const connectionString = (pool.client as { connectionSettings: { connectionString: string } }).connectionSettings
        .connectionString
      const child: ChildProcessWithoutNullStreams = spawn(
        process.execPath,
        ["-r", "ts-node/register", path.join(__dirname, "../helpers/second-mpesa-process.ts")],
        {
          cwd: path.join(__dirname, "../.."),
          env: { ...process.env, SECOND_PROCESS_DB: connectionString, TS_NODE_TRANSPILE_ONLY: "1" },
        }
      )
      const answers = readline.createInterface({ input: child.stdout })
      const queue: any[] = []
      const waiters: ((v: any) => void)[] = []
      answers.on("line", (line) => {
        const msg = JSON.parse(line)
        const w = waiters.shift()
        w ? w(msg) : queue.push(msg)
      })
      const next = () => new Promise<any>((resolve) => (queue.length ? resolve(queue.shift()) : waiters.push(resolve)))
      const push = async (sessionId: string, phone: string) => {
        child.stdin.write(JSON.stringify({ push: { sessionId, paymentCollectionId: null, amount: 10, currencyCode: "kes", phone } }) + "\n")
        return next()
      }
      try {
        expect(await next()).toEqual({ ready: true })
        const first = await push("payses_second_1", "0722000121")
        expect(first.ok).toBe(false) // environment credentials only
        expect(first.error).toMatch(/M-Pesa|Daraja|reach/i)

        expect((await save({ ...GOOD, account_reference: "SECOND" })).status).toBe(200)
        const second = await push("payses_second_2", "0722000122")
        expect(second).toMatchObject({ ok: true, view: { state: "pending" } })
        expect(sim.prompts().map((p) => p.accountReference)).toEqual(["SECOND"])

        expect((await save({ account_reference: "THIRD" })).status).toBe(200)
        const third = await push("payses_second_3", "0722000123")
        expect(third).toMatchObject({ ok: true })
        expect(sim.prompts().map((p) => p.accountReference).sort()).toEqual(["SECOND", "THIRD"])
      } finally {
        child.stdin.write(JSON.stringify({ exit: true }) + "\n")
        await new Promise((r) => child.once("exit", r))
      }
    })

    it("tests the connection with the saved credentials: success, and Daraja's refusal in plain words", async () => {
      const bad = await api.post("/admin/mpesa/settings/test-connection", {}, admin)
      expect(bad.data.connection).toMatchObject({ ok: false })
      expect(bad.data.connection.message).toMatch(/consumer key or secret/i)

      await save(GOOD)
      const good = await api.post("/admin/mpesa/settings/test-connection", {}, admin)
      expect(good.data.connection).toMatchObject({ ok: true, environment: "sandbox", base_url: sim.url })
      expect(sim.stats().calls.stkPush).toBe(0) // never a push

      await save({ consumer_key: "someone-elses-key" })
      const wrong = await api.post("/admin/mpesa/settings/test-connection", {}, admin)
      expect(wrong.data.connection.ok).toBe(false)
      expect(wrong.data.connection.message).toMatch(/consumer key or secret/i)
      for (const secret of SECRETS) expect(JSON.stringify(wrong.data)).not.toContain(secret)
    })

    it("lists transactions with filters and shows an order's pushes with their timeline", async () => {
      await save(GOOD)
      const paid = await tryPush("0708374149") // the simulator approves this phone
      expect(paid.status).toBe(200)
      const sessionId = paid.data.payment_collection.payment_sessions[0].id
      const status = await store.waitForStatus(sessionId, (s) => Boolean(s.order_id), 30_000)
      const { data: list } = await api.get("/admin/mpesa/transactions?view=all", admin)
      expect(list.count).toBe(1)
      expect(list.transactions[0]).toMatchObject({
        state: "paid",
        phone: "2547****4149",
        mpesa_receipt_number: status.mpesa_receipt_number,
        order_id: status.order_id,
      })
      const { data: byReceipt } = await api.get(`/admin/mpesa/transactions?receipt=${status.mpesa_receipt_number}`, admin)
      expect(byReceipt.count).toBe(1)
      const { data: byPhone } = await api.get("/admin/mpesa/transactions?phone=0700000000", admin)
      expect(byPhone.count).toBe(0)
      const badQuery = await api.get("/admin/mpesa/transactions?state=lost", { ...admin, validateStatus: () => true })
      expect(badQuery.status).toBe(400)
      expect(badQuery.data.message).toMatch(/state must be one of/)

      // The order appears a moment before the ledger records its completion.
      let order: any
      for (let i = 0; i < 50; i++) {
        order = (await api.get(`/admin/mpesa/orders/${status.order_id}`, admin)).data
        if (order.payments[0]?.payment.completed_at) break
        await new Promise((r) => setTimeout(r, 200))
      }
      expect(order.payments).toHaveLength(1)
      expect(order.payments[0].payment).toMatchObject({ mpesa_receipt_number: status.mpesa_receipt_number, state_label: "Paid, order created" })
      const kinds = order.payments[0].timeline.map((e: { kind: string }) => e.kind)
      expect(kinds).toEqual(expect.arrayContaining(["push", "prompt", "callback_applied", "paid", "completed"]))
      expect(JSON.stringify(order)).not.toContain("254708374149")
    })

    it("reads an order with its M-Pesa payment through Query, over the module link (read-only, phones masked)", async () => {
      await save(GOOD)
      const paid = await tryPush("0708374149")
      const sessionId = paid.data.payment_collection.payment_sessions[0].id
      const status = await store.waitForStatus(sessionId, (s) => Boolean(s.order_id), 30_000)
      const transactionId = (await mpesa.getPaymentBySession(sessionId))!.transaction_id
      const query = container().resolve(ContainerRegistrationKeys.QUERY)
      const { data } = await query.graph({
        entity: "order",
        fields: ["id", "payment_collections.id", "payment_collections.mpesa_payments.*"],
        filters: { id: status.order_id },
      })
      const collection = (data[0] as any).payment_collections[0]
      expect(collection.mpesa_payments).toHaveLength(1)
      expect(collection.mpesa_payments[0]).toMatchObject({
        id: transactionId,
        payment_collection_id: collection.id,
        status: "paid",
        amount: 1700,
        mpesa_receipt_number: status.mpesa_receipt_number,
        phone: "2547****4149",
        unmatched: false,
      })
      expect(JSON.stringify(data)).not.toContain("254708374149")
      // The module's record on its own, with a count; a bad filter is refused by name.
      const { data: records, metadata } = await query.graph({
        entity: "mpesa_transaction",
        fields: ["id", "status"],
        filters: { payment_collection_id: collection.id },
        pagination: { take: 10, skip: 0 },
      })
      expect(records).toEqual([{ id: transactionId, status: "paid" }])
      expect(metadata?.count).toBe(1)
      await expect(mpesa.listMpesaTransactions({ phone: "254708374149" })).rejects.toThrow(/unknown filter phone/)
      // Read-only: the module publishes no generic create/update/delete a link or Query could reach.
      for (const write of ["createMpesaTransactions", "updateMpesaTransactions", "deleteMpesaTransactions"]) {
        expect((mpesa as unknown as Record<string, unknown>)[write]).toBeUndefined()
      }
    })

    it("never writes a saved secret or the settings key to the logs (runs last: checks everything above)", async () => {
      const log = output.join("")
      expect(log.length).toBeGreaterThan(1000)
      for (const secret of [...SECRETS, SETTINGS_KEY, "a-wrong-secret-0000"]) expect(log).not.toContain(secret)
    })
  },
})
