import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import type { MedusaContainer } from "@medusajs/framework/types"
import type { AxiosResponse } from "axios"
import { startDarajaSimulator, type DarajaSimulator } from "../../src/simulator"
import { seedDemoStore } from "../../src/scripts/seed-demo"
import { SHOPPER_MESSAGES as MESSAGES } from "../../src/modules/mpesa"
import { adminToken } from "../helpers/admin-auth"
import { applyTestEnv, freePort } from "../helpers/env"
import { StoreCheckout } from "../helpers/store-checkout"

/**
 * A store as it is deployed: booted with no M-Pesa credentials at all (they are
 * to be typed into Settings -> M-Pesa), behind Cloudflare and nginx
 * (MPESA_TRUSTED_PROXY_HOPS=2). Shoppers must never learn what is missing;
 * once the admin saves the credentials, the client prompt limit counts the
 * address Cloudflare saw, whatever the caller forged.
 */

const NO_CREDENTIALS = { MPESA_CONSUMER_KEY: "", MPESA_CONSUMER_SECRET: "", MPESA_SHORTCODE: "", MPESA_PASSKEY: "" }
const SETTINGS_KEY = "test-settings-key-do-not-use-in-production"
const CREDENTIALS = {
  consumer_key: "simulator-consumer-key",
  consumer_secret: "simulator-consumer-secret",
  shortcode: "174379",
  passkey: "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919",
  transaction_type: "paybill",
}
const CLIENT_MAX = 2

applyTestEnv(NO_CREDENTIALS)
process.env.MPESA_SETTINGS_KEY = SETTINGS_KEY
jest.setTimeout(120_000)

let sim: DarajaSimulator
beforeAll(async () => {
  sim = await startDarajaSimulator({ callbackDelayMs: 100 })
  const port = await freePort()
  applyTestEnv({
    ...NO_CREDENTIALS,
    PORT: String(port),
    MPESA_BASE_URL: sim.url,
    MPESA_CALLBACK_BASE_URL: `http://localhost:${port}`,
    MPESA_TRUSTED_PROXY_HOPS: "2",
    MPESA_LIMIT_PHONE_MAX: "1000",
    MPESA_LIMIT_COLLECTION_MAX: "1000",
    MPESA_LIMIT_CLIENT_MAX: String(CLIENT_MAX),
  })
})

afterAll(async () => {
  await sim?.close()
  delete process.env.MPESA_TRUSTED_PROXY_HOPS
})

medusaIntegrationTestRunner({
  testSuite: ({ api, getContainer }) => {
    let seed: Awaited<ReturnType<typeof seedDemoStore>>
    let store: StoreCheckout
    let admin: { headers: Record<string, string> }
    const container = (): MedusaContainer => getContainer()

    async function newCollection(): Promise<string> {
      const cartId = await store.createCart({ regionId: seed.regionId, variantId: seed.variantId })
      const { data } = await api.post("/store/payment-collections", { cart_id: cartId }, store.headers)
      return data.payment_collection.id
    }

    /** `forwardedFor` as nginx passes it on: whatever arrived, then Cloudflare's client, then Cloudflare's edge. */
    function prompt(collectionId: string, phone: string, forwardedFor?: string): Promise<AxiosResponse<any>> {
      return api.post(
        `/store/payment-collections/${collectionId}/payment-sessions`,
        { provider_id: "pp_mpesa_mpesa", data: { phone } },
        {
          headers: { ...store.headers.headers, ...(forwardedFor ? { "x-forwarded-for": forwardedFor } : {}) },
          validateStatus: () => true,
        }
      )
    }

    beforeAll(async () => {
      seed = await seedDemoStore(container())
      store = new StoreCheckout(api, seed.publishableKey)
    })

    beforeEach(async () => {
      sim.reset()
      sim.setFaults({ dropCallbacks: true })
      admin = { headers: { authorization: `Bearer ${await adminToken(api, container(), "admin-deploy@example.co.ke")}` } }
    })

    it("tells the shopper only that M-Pesa is unavailable when it is not set up, and logs what is missing", async () => {
      // The module's own logger (process output capture depends on which spec files ran before in this jest process).
      const logger = container().resolve<{ error: (message: string) => void }>("logger")
      const logged = jest.spyOn(logger, "error")
      const res = await prompt(await newCollection(), "0700000001")

      expect({ status: res.status, message: res.data.message }).toEqual({ status: 500, message: MESSAGES.unavailable })
      const body = JSON.stringify(res.data)
      expect(body).not.toContain("MPESA_")
      for (const name of ["consumerKey", "consumer_key", "consumerSecret", "shortcode", "passkey", "Settings"]) {
        expect([name, body.includes(name)]).toEqual([name, false])
      }
      expect(sim.stats().calls.stkPush).toBe(0)

      // The server log names what is missing (names only: there is no value to leak).
      const log = logged.mock.calls.map((c) => String(c[0])).join("\n")
      logged.mockRestore()
      expect(log).toMatch(/M-Pesa: payment session payses_\w+ refused, no prompt sent: M-Pesa is not set up yet: consumerKey, consumerSecret, shortcode, passkey missing/)

      // The admin still gets the detail.
      const settings = await api.get("/admin/mpesa/settings", admin)
      expect(settings.data.settings.missing).toEqual(["consumer_key", "consumer_secret", "shortcode", "passkey"])
    })

    it("with trustedProxyHops 2 (Cloudflare + nginx), counts the address Cloudflare saw, whatever the caller forged", async () => {
      expect((await api.post("/admin/mpesa/settings", CREDENTIALS, admin)).status).toBe(200)
      // One after the other: in parallel, Medusa would race to create the guest customer all carts share.
      const pcs: string[] = []
      for (let i = 0; i < 4; i++) pcs.push(await newCollection())
      const CLIENT = "203.0.113.20"
      const NEIGHBOUR = "203.0.113.21"
      const EDGE_A = "172.70.1.1"
      const EDGE_B = "172.70.2.2"

      // One client through two Cloudflare edges, with forged entries in front: one allowance.
      expect((await prompt(pcs[0], "0700000001", `${CLIENT}, ${EDGE_A}`)).status).toBe(200)
      expect((await prompt(pcs[1], "0700000002", `192.0.2.1, ${CLIENT}, ${EDGE_B}`)).status).toBe(200)
      const refused = await prompt(pcs[2], "0700000003", `192.0.2.2, ${CLIENT}, ${EDGE_A}`)
      expect([refused.status, refused.data.code, refused.data.limit]).toEqual([429, "mpesa_prompt_limit", "client"])
      expect(sim.stats().calls.stkPush).toBe(CLIENT_MAX)

      // Another client behind the same edge has its own.
      expect((await prompt(pcs[2], "0700000003", `${NEIGHBOUR}, ${EDGE_A}`)).status).toBe(200)
      expect((await prompt(pcs[3], "0700000004", `${NEIGHBOUR}, ${EDGE_A}`)).status).toBe(200)
      expect(sim.stats().calls.stkPush).toBe(CLIENT_MAX + 2)
    })
  },
})
