import path from "path"
import { moduleIntegrationTestRunner } from "@medusajs/test-utils"
import { startDarajaSimulator, type DarajaSimulator } from "../../../simulator"
import { DarajaClient } from "../../../lib/daraja"
import { DatabaseTokenCache } from "../stores/token-store"
import type MpesaModuleService from "../service"
import { MPESA_PAYMENT_CAPTURED } from "../events"
import { successCallbackBody } from "../../../../integration-tests/helpers/stk-callback"

jest.setTimeout(60_000)

const PASSKEY = "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919"
const emitted: { name: string; data: { id: string } }[] = []
const eventBus = {
  emit: async (e: { name: string; data: { id: string } } | { name: string; data: { id: string } }[]) => {
    for (const one of Array.isArray(e) ? e : [e]) emitted.push(one)
  },
  subscribe: () => eventBus,
  unsubscribe: () => eventBus,
  releaseGroupedEvents: async () => undefined,
  clearGroupedEvents: async () => undefined,
}

function successCallback(checkoutRequestId: string, amount: number, receipt: string) {
  return successCallbackBody({ checkoutRequestId, amount, receipt, merchantRequestId: "m-1" })
}

moduleIntegrationTestRunner<MpesaModuleService>({
  moduleName: "mpesa",
  resolve: path.join(__dirname, ".."),
  injectedDependencies: { event_bus: eventBus },
  testSuite: ({ service }) => {
    let sim: DarajaSimulator
    let clock: number
    const config = () => ({
      consumerKey: "simulator-consumer-key",
      consumerSecret: "simulator-consumer-secret",
      shortcode: "174379",
      passkey: PASSKEY,
      baseUrl: sim.url,
      callbackBaseUrl: "http://127.0.0.1:9", // nothing listens: callbacks are fed in by hand
      callbackSecret: "module-test-secret-0123456789abcdef",
      firstQueryDelayMs: 20_000,
      queryBackoffMs: 15_000,
      expiryMs: 180_000,
    })
    const tick = (ms: number) => {
      clock += ms
    }

    beforeAll(async () => {
      sim = await startDarajaSimulator({ callbackDelayMs: 50, promptTimeoutMs: 600_000 })
    })
    afterAll(async () => {
      await sim.close()
    })
    beforeEach(() => {
      sim.reset()
      emitted.length = 0
      clock = Date.now()
      service.setClock(() => new Date(clock))
      service.setConfig(config())
    })

    async function push(sessionId: string, phone = "0722000111", amount = 1250) {
      return service.initiateStkPush({ sessionId, amount, currencyCode: "kes", phone })
    }

    it("pushes once per payment session, however often it is asked", async () => {
      const first = await push("payses_once")
      const again = await push("payses_once")
      expect(first.state).toBe("pending")
      expect(again.transaction_id).toBe(first.transaction_id)
      expect(sim.stats().calls.stkPush).toBe(1)
      const rows = await service.listMpesaTransactions({ payment_session_id: "payses_once" })
      expect(rows).toHaveLength(1)
      expect(rows[0]).toMatchObject({ phone: "254722000111", amount: 1250, status: "pending" })
    })

    it("rounds to whole shillings half up and keeps Medusa's amount", async () => {
      const view = await push("payses_round", "0722000111", 99.5)
      expect(view.amount).toBe(100)
      const [row] = await service.listMpesaTransactions({ payment_session_id: "payses_round" })
      expect(row.medusa_amount).toBe("99.5")
      const down = await push("payses_round_down", "0722000112", 99.49)
      expect(down.amount).toBe(99)
    })

    it("does not query before the callback is overdue, then backs off, one query per due row", async () => {
      await push("payses_poll")
      expect((await service.pollDue()).queried).toBe(0)

      tick(20_000)
      const first = await service.pollDue()
      expect(first.queried).toBe(1)
      expect(sim.stats().calls.stkQuery).toBe(1)
      // Still waiting for the PIN: the next query is one back-off step later, not on the next tick.
      expect((await service.pollDue()).queried).toBe(0)
      tick(15_000)
      expect((await service.pollDue()).queried).toBe(1)
      // Second step is twice as long.
      tick(15_000)
      expect((await service.pollDue()).queried).toBe(0)
      tick(15_000)
      expect((await service.pollDue()).queried).toBe(1)
      expect(sim.stats().calls.stkQuery).toBe(3)
    })

    it("lets one worker query a row at a time", async () => {
      await push("payses_a", "0722000121")
      await push("payses_b", "0722000122")
      await push("payses_c", "0722000123")
      tick(21_000)
      const results = await Promise.all([service.pollDue(), service.pollDue(), service.pollDue()])
      expect(results.reduce((n, r) => n + r.queried, 0)).toBe(3)
      expect(sim.stats().calls.stkQuery).toBe(3)
    })

    it("settles a lost callback by query, emitting the capture once", async () => {
      const view = await push("payses_query")
      sim.approve(view.checkout_request_id!)
      await sim.waitForCallbacks(1) // delivered to nowhere: lost
      tick(20_000)
      await Promise.all([service.pollDue(), service.pollDue()])
      const after = await service.getPaymentBySession("payses_query")
      expect(after).toMatchObject({ state: "paid", result_code: "0" })
      expect(emitted.filter((e) => e.name === MPESA_PAYMENT_CAPTURED)).toHaveLength(1)
    })

    it("expires a push nobody answers after one last query, then accepts money that still arrives", async () => {
      const view = await push("payses_expire")
      tick(180_000)
      const summary = await service.pollDue()
      expect(summary.expired).toBe(1)
      const expired = await service.getPaymentBySession("payses_expire")
      expect(expired?.state).toBe("expired")
      expect(expired?.message).toMatch(/expired/)

      // Our timer is not Daraja's verdict: a confirmed late payment still counts.
      sim.approve(view.checkout_request_id!)
      const [delivery] = await sim.waitForCallbacks(1)
      const { id } = await service.recordCallback({ payload: delivery.payload, sourceIp: null })
      const outcome = await service.processCallback(id)
      expect(outcome).toMatchObject({ status: "applied", captured: true })
      expect((await service.getPaymentBySession("payses_expire"))?.state).toBe("paid")
    })

    it("expires a push whose outcome is unknown and has no CheckoutRequestID", async () => {
      sim.setFaults({ pushResponse: "reset" })
      const view = await push("payses_unknown", "0722000131")
      expect(view.state).toBe("indeterminate")
      expect(view.message).toMatch(/do not pay twice/)
      tick(181_000)
      expect((await service.pollDue()).expired).toBe(1)
      expect((await service.getPaymentBySession("payses_unknown"))?.state).toBe("expired")
    })

    it("applies a callback once however many times it is processed, and refuses a receipt reused elsewhere", async () => {
      const a = await push("payses_dup_a", "0722000141")
      const b = await push("payses_dup_b", "0722000142")
      sim.approve(a.checkout_request_id!)
      sim.approve(b.checkout_request_id!)
      await sim.waitForCallbacks(2)
      const body = successCallback(a.checkout_request_id!, 1250, "RCPT000001")
      const ids = await Promise.all([1, 2, 3].map(() => service.recordCallback({ payload: body, sourceIp: null })))
      const outcomes = await Promise.all(ids.map(({ id }) => service.processCallback(id)))
      expect(outcomes.filter((o) => o?.captured)).toHaveLength(1)
      expect(outcomes.map((o) => o?.status).sort()).toEqual(["applied", "duplicate", "duplicate"])
      // Processing an already processed callback is a no-op.
      expect(await service.processCallback(ids[0].id)).toBeNull()

      const stolen = await service.recordCallback({
        payload: successCallback(b.checkout_request_id!, 1250, "RCPT000001"),
        sourceIp: null,
      })
      expect(await service.processCallback(stolen.id)).toMatchObject({ status: "suspicious", captured: false })
      expect((await service.getPaymentBySession("payses_dup_b"))?.state).toBe("pending")
    })

    it("keeps money that arrives after Medusa closed the session as an unmatched payment", async () => {
      const view = await push("payses_closed", "0722000151")
      await service.closeSession("payses_closed")
      sim.approve(view.checkout_request_id!)
      const [delivery] = await sim.waitForCallbacks(1)
      const { id } = await service.recordCallback({ payload: delivery.payload, sourceIp: null })
      expect(await service.processCallback(id)).toMatchObject({ status: "applied", captured: false })
      const after = await service.getPaymentBySession("payses_closed")
      expect(after).toMatchObject({ state: "paid", unmatched: true })
      expect(emitted).toHaveLength(0)
    })

    it("trusts the callback alone when confirmWithQuery is off", async () => {
      service.setConfig({ ...config(), confirmWithQuery: false })
      const view = await push("payses_trust", "0722000161")
      const { id } = await service.recordCallback({
        payload: successCallback(view.checkout_request_id!, 1250, "RCPT000002"),
        sourceIp: null,
      })
      expect(await service.processCallback(id)).toMatchObject({ status: "applied", captured: true })
      expect(sim.stats().calls.stkQuery).toBe(0)
    })

    it("records a callback that is not an STK callback as invalid", async () => {
      const { id, valid } = await service.recordCallback({ payload: { hello: "world" }, sourceIp: "10.0.0.1" })
      expect(valid).toBe(false)
      const [row] = await service.listMpesaCallbacks({ id })
      expect(row.status).toBe("invalid")
      expect(row.processed_at).toBeTruthy()
    })

    it("shares one Daraja token between processes through the database", async () => {
      const knex = (service as unknown as { container_: { __pg_connection__: any } }).container_.__pg_connection__
      const makeClient = () =>
        new DarajaClient({
          baseUrl: sim.url,
          consumerKey: "simulator-consumer-key",
          consumerSecret: "simulator-consumer-secret",
          tokenCache: new DatabaseTokenCache(() => knex, "shared"),
        })
      const server = makeClient()
      const worker = makeClient()
      const tokens = await Promise.all([...Array(10)].flatMap(() => [server.getAccessToken(), worker.getAccessToken()]))
      expect(new Set(tokens).size).toBe(1)
      expect(sim.stats().calls.oauth).toBe(1)
    })
  },
})
