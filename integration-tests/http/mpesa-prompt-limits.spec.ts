import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import { ContainerRegistrationKeys, ModulesSdkUtils } from "@medusajs/framework/utils"
import type { MedusaContainer } from "@medusajs/framework/types"
import type { AxiosResponse } from "axios"
import { startDarajaSimulator, type DarajaSimulator } from "../../src/simulator"
import { seedDemoStore } from "../../src/scripts/seed-demo"
import { promptLimitsSchema } from "../../src/modules/mpesa"
import { PromptLimiter } from "../../src/modules/mpesa/prompt-limits/prompt-limiter"
import { PROMPT_LIMIT_TABLE, PromptLimitStore } from "../../src/modules/mpesa/stores/prompt-limit-store"
import type { Knex } from "../../src/modules/mpesa"
import { applyTestEnv, freePort, TEST_CALLBACK_SECRET } from "../helpers/env"
import { StoreCheckout } from "../helpers/store-checkout"

applyTestEnv()
jest.setTimeout(120_000)

/**
 * Abuse limits on M-Pesa prompts from the public store API. Everything is
 * configured through the environment before the app boots (the runner reads
 * medusa-config.ts, which reads MPESA_*, in its own beforeAll, and jest runs
 * this file's top-level beforeAll first): the simulator's URL, the callback
 * base URL on a port picked here (the runner listens on process.env.PORT),
 * and small limits.
 */
const LIMITS = { phone: 2, paymentCollection: 3, client: 5 }
const ENV: Record<string, string> = {
  MPESA_LIMIT_PHONE_MAX: String(LIMITS.phone),
  MPESA_LIMIT_COLLECTION_MAX: String(LIMITS.paymentCollection),
  MPESA_LIMIT_CLIENT_MAX: String(LIMITS.client),
}

// Phones from the simulator's outcome table: their result is decided at push
// time, so they never hold a subscriber lock and any number of pushes is
// accepted. (Callbacks are dropped in these tests: nothing runs in the background.)
const P1 = "254700000001"
const P2 = "254700000002"
const P3 = "254700000003"
const P4 = "254700000004"
const P5 = "254700000005"
const P6 = "254700000006"

let sim: DarajaSimulator
let port: number
const savedEnv: Record<string, string | undefined> = {}


beforeAll(async () => {
  sim = await startDarajaSimulator({ callbackDelayMs: 100 })
  port = await freePort()
  const env = {
    ...ENV,
    PORT: String(port),
    MPESA_BASE_URL: sim.url,
    MPESA_CALLBACK_BASE_URL: `http://localhost:${port}`,
  }
  for (const [k, v] of Object.entries(env)) {
    savedEnv[k] = process.env[k]
    process.env[k] = v
  }
})

afterAll(async () => {
  await sim?.close()
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k]
    else process.env[k] = v
  }
})

medusaIntegrationTestRunner({
  testSuite: ({ api, getContainer }) => {
    let seed: Awaited<ReturnType<typeof seedDemoStore>>
    let store: StoreCheckout

    const container = (): MedusaContainer => getContainer()

    /** A cart with the towel and its payment collection (no session yet). */
    async function newCollection(): Promise<string> {
      try {
        const cartId = await store.createCart({ regionId: seed.regionId, variantId: seed.variantId })
        const { data } = await api.post("/store/payment-collections", { cart_id: cartId }, store.headers)
        return data.payment_collection.id
      } catch (e: any) {
        throw new Error(`could not create a cart and payment collection: ${e?.response?.status} ${JSON.stringify(e?.response?.data)}`)
      }
    }

    /**
     * The first on its own (it creates the guest customer all carts share: in
     * parallel, Medusa would race to create it twice), the rest in parallel,
     * all settled before returning so nothing outlives a failing test.
     */
    async function collections(n: number): Promise<string[]> {
      const first = await newCollection()
      const rest = await Promise.allSettled(Array.from({ length: n - 1 }, () => newCollection()))
      const failed = rest.find((r): r is PromiseRejectedResult => r.status === "rejected")
      if (failed) throw failed.reason
      return [first, ...rest.map((r) => (r as PromiseFulfilledResult<string>).value)]
    }

    /** What the storefront sends to start an M-Pesa prompt; `ip` as the one proxy in front of Medusa reports it. */
    function prompt(
      collectionId: string,
      data: Record<string, unknown>,
      ip?: string,
      extraHeaders: Record<string, string> = {}
    ): Promise<AxiosResponse<any>> {
      return api.post(
        `/store/payment-collections/${collectionId}/payment-sessions`,
        { provider_id: "pp_mpesa_mpesa", data },
        {
          headers: { ...store.headers.headers, ...(ip ? { "x-forwarded-for": ip } : {}), ...extraHeaders },
          validateStatus: () => true,
        }
      )
    }

    async function sessionIds(collectionId: string): Promise<string[]> {
      const query = container().resolve(ContainerRegistrationKeys.QUERY)
      const { data } = await query.graph({
        entity: "payment_session",
        fields: ["id"],
        filters: { payment_collection_id: collectionId },
      })
      return (data as { id: string }[]).map((s) => s.id).sort()
    }

    function expectAllowed(res: AxiosResponse<any>) {
      if (res.status !== 200) {
        throw new Error(`expected 200, got ${res.status}: ${JSON.stringify(res.data)}`)
      }
    }

    function expectRefused(res: AxiosResponse<any>, limit: "phone" | "payment_collection" | "client", maxWaitS: number) {
      expect({ status: res.status, body: res.data }).toEqual({
        status: 429,
        body: {
          type: "too_many_requests",
          code: "mpesa_prompt_limit",
          limit,
          retry_after_seconds: expect.any(Number),
          message: expect.stringMatching(/^Too many M-Pesa .+\. Please wait \d+ (seconds?|minutes?|hours?) before trying again\.$/),
        },
      })
      expect(res.data.retry_after_seconds).toBeGreaterThan(0)
      expect(res.data.retry_after_seconds).toBeLessThanOrEqual(maxWaitS)
      expect(res.headers["retry-after"]).toBe(String(res.data.retry_after_seconds))
    }

    beforeAll(async () => {
      seed = await seedDemoStore(container())
      store = new StoreCheckout(api, seed.publishableKey)
    })

    beforeEach(() => {
      sim.reset()
      // No callbacks: nothing runs in the background while the runner resets the database.
      sim.setFaults({ dropCallbacks: true })
    })

    it("boots with the simulator, the callback port and the limits taken from the environment", async () => {
      expect(api.defaults.baseURL).toBe(`http://localhost:${port}`)
      const config = container().resolve(ContainerRegistrationKeys.CONFIG_MODULE)
      const mpesaModule = (config.modules as Record<string, any>).mpesa
      expect(mpesaModule.options).toMatchObject({
        baseUrl: sim.url,
        callbackBaseUrl: `http://localhost:${port}`,
        promptLimits: { phone: { max: 2 }, paymentCollection: { max: 3 }, client: { max: 5 } },
      })
      const [pc] = await collections(1)
      expectAllowed(await prompt(pc, { phone: "0700000001" }))
      const [pushed] = sim.prompts()
      expect(pushed.phoneNumber).toBe(P1)
      expect(pushed.callbackUrl.startsWith(`http://localhost:${port}/`)).toBe(true)
    })

    it("refuses the (max+1)-th prompt to one phone with 429 and a wait; nothing reaches Daraja and no session is created", async () => {
      const [a, b, c] = await collections(3)
      expectAllowed(await prompt(a, { phone: "0700000003" }, "198.51.100.1"))
      // The same number spelled differently is the same phone.
      expectAllowed(await prompt(b, { phone_number: "+254 700 000 003" }, "198.51.100.2"))
      const pushes = sim.stats().calls.stkPush
      expect(pushes).toBe(2)

      const refused = await prompt(c, { phone: P3 }, "198.51.100.3")
      expectRefused(refused, "phone", 600)
      expect(refused.data.message).toMatch(
        /^Too many M-Pesa prompts to this phone number\. Please wait (9|10) minutes before trying again\.$/
      )
      expect(sim.stats().calls.stkPush).toBe(pushes)
      expect(await sessionIds(c)).toEqual([])

      // The collection and the address were not used up: another phone goes through.
      expectAllowed(await prompt(c, { phone: P4 }, "198.51.100.3"))
      expect(sim.stats().calls.stkPush).toBe(pushes + 1)
      expect(await sessionIds(c)).toHaveLength(1)
    })

    it("limits prompts per payment collection", async () => {
      const [pc] = await collections(1)
      expectAllowed(await prompt(pc, { phone: P1 }, "198.51.100.11"))
      // The same phone again re-attaches to its open prompt: no new prompt, nothing counted.
      expectAllowed(await prompt(pc, { phone: P1 }, "198.51.100.12"))
      expect(sim.stats().calls.stkPush).toBe(1)
      expectAllowed(await prompt(pc, { phone: P2 }, "198.51.100.13"))
      expectAllowed(await prompt(pc, { phone: P3 }, "198.51.100.13"))
      const before = await sessionIds(pc)
      expect(before).toHaveLength(1) // Medusa replaces the collection's session each time
      const pushes = sim.stats().calls.stkPush
      expect(pushes).toBe(LIMITS.paymentCollection)

      const refused = await prompt(pc, { phone: P4 }, "198.51.100.14")
      expectRefused(refused, "payment_collection", 86_400)
      expect(refused.data.retry_after_seconds).toBeGreaterThan(600) // the 24-hour window, not a 10-minute one
      expect(refused.data.message).toMatch(/^Too many M-Pesa payment attempts for this order\. Please wait 24 hours/)
      expect(sim.stats().calls.stkPush).toBe(pushes)
      expect(await sessionIds(pc)).toEqual(before)
    })

    it("limits prompts per client address (req.ip behind one proxy), each address on its own", async () => {
      const pcs = await collections(LIMITS.client + 1)
      const phones = [P1, P1, P2, P2, P3]
      for (let i = 0; i < LIMITS.client; i++) {
        expectAllowed(await prompt(pcs[i], { phone: phones[i] }, "203.0.113.7"))
      }
      const pushes = sim.stats().calls.stkPush

      const refused = await prompt(pcs[5], { phone: P3 }, "203.0.113.7")
      expectRefused(refused, "client", 600)
      expect(refused.data.message).toMatch(/^Too many M-Pesa payment requests from your network\./)
      // Medusa trusts one proxy: the address that proxy appended is the client,
      // whatever the client itself put in front of it.
      expectRefused(await prompt(pcs[5], { phone: P3 }, "192.0.2.99, 203.0.113.7"), "client", 600)
      expect(sim.stats().calls.stkPush).toBe(pushes)
      expect(await sessionIds(pcs[5])).toEqual([])

      // Another address has its own allowance.
      expectAllowed(await prompt(pcs[5], { phone: P3 }, "203.0.113.8"))
      expect(sim.stats().calls.stkPush).toBe(pushes + 1)
    })

    it("a refused prompt uses up nothing on the other limits", async () => {
      const [c1, c2, c3, c4, c5, c6] = await collections(6)
      const Y = "203.0.113.50"
      expectAllowed(await prompt(c1, { phone: P1 }, "203.0.113.41"))
      expectAllowed(await prompt(c2, { phone: P1 }, "203.0.113.42"))

      // Refused by the phone limit, from address Y on collection c3...
      expectRefused(await prompt(c3, { phone: P1 }, Y), "phone", 600)

      // ...so c3 still has its whole allowance (3 prompts: three phones, as a phone asked
      // again while its prompt is open re-attaches to it and sends nothing) ...
      expectAllowed(await prompt(c3, { phone: P2 }, Y))
      expectAllowed(await prompt(c3, { phone: P3 }, Y))
      expectAllowed(await prompt(c3, { phone: P5 }, Y))
      expectRefused(await prompt(c3, { phone: P4 }, "203.0.113.51"), "payment_collection", 86_400)

      // ...and Y its whole allowance (5): two more go through, the sixth does not.
      expectAllowed(await prompt(c4, { phone: P3 }, Y))
      expectAllowed(await prompt(c5, { phone: P4 }, Y))
      expectRefused(await prompt(c6, { phone: P4 }, Y), "client", 600)

      // P4 was refused twice (by the collection, by the address) and counted only
      // for its one real prompt: one more goes through, then the phone limit.
      expectAllowed(await prompt(c6, { phone: P4 }, "203.0.113.52"))
      expectRefused(await prompt(c6, { phone: P4 }, "203.0.113.53"), "phone", 600)
    })

    it("answers 404 naming a payment collection that does not exist, and spends no allowance on it", async () => {
      const ghost = "pay_col_01NOSUCHCOLLECTION00000000"
      const ip = "198.51.100.60"
      // More requests than the phone's and the address's whole allowance.
      for (let i = 0; i < LIMITS.client + 1; i++) {
        const res = await prompt(ghost, { phone: P6 }, ip)
        expect({ status: res.status, type: res.data.type, message: res.data.message }).toEqual({
          status: 404,
          type: "not_found",
          message: `Payment collection with id: ${ghost} was not found`,
        })
      }
      expect(sim.stats().calls.stkPush).toBe(0)

      // A real checkout with that phone, from that address, still gets every prompt it is allowed.
      const [a, b] = await collections(2)
      expectAllowed(await prompt(a, { phone: P6 }, ip))
      expectAllowed(await prompt(b, { phone: P6 }, ip))
      expect(sim.prompts().map((p) => p.phoneNumber)).toEqual([P6, P6])
    })

    it("spends no allowance on requests refused before Daraja: a body Medusa refuses, a phone the provider refuses", async () => {
      const [c, d] = await collections(2)
      const ip = "198.51.100.61"
      for (let i = 0; i < LIMITS.phone + 1; i++) {
        // Medusa's own validator refuses an unknown field.
        const res = await api.post(
          `/store/payment-collections/${c}/payment-sessions`,
          { provider_id: "pp_mpesa_mpesa", data: { phone: P1 }, colour: "green" },
          { headers: { ...store.headers.headers, "x-forwarded-for": ip }, validateStatus: () => true }
        )
        expect([res.status, res.data.message]).toEqual([400, expect.stringMatching(/colour/)])
      }
      for (let i = 0; i < LIMITS.paymentCollection + 1; i++) {
        // The provider refuses a phone that is no Kenyan mobile number before calling Daraja.
        const res = await prompt(c, { phone: "12345" }, ip)
        expect([res.status, res.data.message]).toEqual([400, expect.stringMatching(/phone/i)])
      }
      expect(sim.stats().calls.stkPush).toBe(0)

      // The phone, the collection and the address still have their whole allowance.
      expectAllowed(await prompt(c, { phone: P1 }, ip))
      expectAllowed(await prompt(d, { phone: P1 }, ip))
      expect(sim.stats().calls.stkPush).toBe(2)
      expectRefused(await prompt(d, { phone: P1 }, ip), "phone", 600)
    })

    it("with the default trustedProxyHops (1), forged leftmost X-Forwarded-For entries share the proxy's client allowance", async () => {
      const pcs = await collections(LIMITS.client + 1)
      const proxySaw = "203.0.113.90" // what the one proxy in front of Medusa appends
      const phones = [P1, P1, P2, P2, P3]
      for (let i = 0; i < LIMITS.client; i++) {
        expectAllowed(await prompt(pcs[i], { phone: phones[i] }, `192.0.2.${i + 1}, ${proxySaw}`))
      }
      expectRefused(await prompt(pcs[5], { phone: P3 }, `198.18.0.1, 192.0.2.200, ${proxySaw}`), "client", 600)
      expectRefused(await prompt(pcs[5], { phone: P3 }, proxySaw), "client", 600)
      expect(sim.stats().calls.stkPush).toBe(LIMITS.client)
    })

    it("lets exactly max of many parallel prompts to one phone through", async () => {
      const n = 8
      const pcs = await collections(n)
      const results = await Promise.all(pcs.map((pc, i) => prompt(pc, { phone: P5 }, `198.51.100.${100 + i}`)))
      const statuses = results.map((r) => r.status).sort()
      expect(statuses).toEqual([...Array(LIMITS.phone).fill(200), ...Array(n - LIMITS.phone).fill(429)])
      for (const r of results.filter((r) => r.status === 429)) {
        expectRefused(r, "phone", 600)
      }
      expect(sim.stats().calls.stkPush).toBe(LIMITS.phone)
      const sessions = (await Promise.all(pcs.map((pc) => sessionIds(pc)))).flat()
      expect(sessions).toHaveLength(LIMITS.phone)
    })

    it("holds across processes: two limiters on separate connection pools share the counters with the server", async () => {
      // The app's own pool and a second, separate pool on the same database
      // stand in for two server instances.
      const poolA = container().resolve<Knex>(ContainerRegistrationKeys.PG_CONNECTION)
      const poolB = ModulesSdkUtils.createPgConnection({
        clientUrl: (poolA.client as { connectionSettings: { connectionString: string } }).connectionSettings.connectionString,
        schema: "public",
      }) as unknown as Knex
      expect(poolB.client).not.toBe(poolA.client)
      try {
      const limits = promptLimitsSchema.parse({
        phone: { max: LIMITS.phone },
        paymentCollection: { max: LIMITS.paymentCollection },
        client: { max: LIMITS.client },
      })
      // Same key secret as the server (the callback secret), so the same phone maps to the same row.
      const a = new PromptLimiter({ store: new PromptLimitStore(() => poolA), limits, keySecret: TEST_CALLBACK_SECRET })
      const b = new PromptLimiter({ store: new PromptLimitStore(() => poolB), limits, keySecret: TEST_CALLBACK_SECRET })
      const now = new Date()

      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          (i % 2 ? a : b).consume({ phone: P6, paymentCollectionId: `pay_col_proc_${i}`, clientIp: `10.9.0.${i}` }, now)
        )
      )
      expect(results.filter((r) => r.allowed)).toHaveLength(LIMITS.phone)
      for (const r of results.filter((r) => !r.allowed)) {
        expect(r).toEqual({ allowed: false, limit: "phone", retryAfterSeconds: 600 })
      }

      // The server sees the same counters: the phone is used up for it too.
      const [pc] = await collections(1)
      expectRefused(await prompt(pc, { phone: "0700000006" }, "198.51.100.200"), "phone", 600)
      expect(sim.stats().calls.stkPush).toBe(0)

      // The table holds no phone number or client address in the clear, and refusals left no rows.
      const { rows } = (await poolB.raw(`select "id", "hits" from "${PROMPT_LIMIT_TABLE}"`)) as {
        rows: { id: string; hits: number }[]
      }
      const text = JSON.stringify(rows)
      expect(text).not.toContain("700000006")
      expect(text).not.toContain("10.9.0.")
      expect(text).not.toContain("198.51.100")
      expect(rows.every((r) => r.hits > 0)).toBe(true)
      expect(rows.filter((r) => r.id.startsWith("phone:"))).toEqual([{ id: expect.any(String), hits: 2 }])
      } finally {
        await poolB.destroy()
      }
    })

    it("counts prompts to a logged-in customer's own phone when the request names none", async () => {
      const email = "limits@example.co.ke"
      const password = "supersecret-123"
      const registered = await api.post("/auth/customer/emailpass/register", { email, password })
      await api.post(
        "/store/customers",
        { email, phone: "0700000002" },
        { headers: { ...store.headers.headers, authorization: `Bearer ${registered.data.token}` } }
      )
      const login = await api.post("/auth/customer/emailpass", { email, password })
      const auth = { authorization: `Bearer ${login.data.token}` }

      const [a, b, c] = await collections(3)
      // With no phone in the data the provider prompts the customer's phone: counted as that phone.
      expectAllowed(await prompt(a, {}, "198.51.100.31", auth))
      expectAllowed(await prompt(b, { phone: P2 }, "198.51.100.32"))
      expect(sim.prompts().map((p) => p.phoneNumber)).toEqual([P2, P2])
      expectRefused(await prompt(c, {}, "198.51.100.33", auth), "phone", 600)
      expect(sim.stats().calls.stkPush).toBe(2)
    })
  },
})
