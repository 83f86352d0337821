import { moduleIntegrationTestRunner } from "@medusajs/test-utils"
import path from "path"
import { DarajaClient } from "../../../lib/daraja"
import { DatabaseTokenCache } from "../stores/token-store"
import type MpesaModuleService from "../service"
import { MPESA_PAYMENT_CAPTURED } from "../events"
import { successCallbackBody } from "../../../../integration-tests/helpers/stk-callback"
import { freePortSync, MIGRATIONS, moduleOptions, quietLogger, useStrictSimulator, recordingEventBus, testClock } from "./helpers"

jest.setTimeout(60_000)

const SIM_PORT = freePortSync()
const time = testClock()
const bus = recordingEventBus()

function successCallback(checkoutRequestId: string, amount: number, receipt: string, phone = 254722000111) {
  return successCallbackBody({ checkoutRequestId, amount, receipt, merchantRequestId: "m-1", phone })
}

const simulator = useStrictSimulator(SIM_PORT)

moduleIntegrationTestRunner<MpesaModuleService>({
  moduleName: "mpesa",
  resolve: path.join(__dirname, ".."),
  pathToMigrations: MIGRATIONS,
  moduleOptions: moduleOptions(SIM_PORT),
  injectedDependencies: { event_bus: bus, mpesaClock: time.clock, logger: quietLogger },
  // Medusa passes a module only the registrations it declares; the clock is one.
  moduleDependencies: ["mpesaClock"],
  testSuite: ({ service }) => {
    beforeEach(() => {
      simulator().reset()
      bus.emitted.length = 0
      time.reset()
    })
    const tick = time.tick
    const captures = () => bus.emitted.filter((e) => e.name === MPESA_PAYMENT_CAPTURED)

    async function push(sessionId: string, phone = "0722000111", amount = 1250, paymentCollectionId: string | null = null) {
      return service.initiateStkPush({ sessionId, paymentCollectionId, amount, currencyCode: "kes", phone })
    }
    async function deliver(transactionId: string, payload: unknown) {
      const { id } = await service.recordCallback({ payload, sourceIp: null, transactionId })
      return service.processCallback(id)
    }
    async function row(sessionId: string) {
      const [r] = await service.listLedger({ sessionIds: [sessionId] })
      return r
    }
    async function rowById(id: string) {
      return (await service.listLedger({}, { take: 500 })).find((r) => r.id === id)!
    }

    describe("the basics", () => {
      it("pushes once per payment session, however often it is asked", async () => {
        const first = await push("payses_once")
        const again = await push("payses_once")
        expect(first.state).toBe("pending")
        expect(again.transaction_id).toBe(first.transaction_id)
        expect(simulator().stats().calls.stkPush).toBe(1)
        expect(await row("payses_once")).toMatchObject({ phone: "254722000111", amount: 1250, status: "pending" })
      })

      it("rounds to whole shillings half up and keeps Medusa's amount", async () => {
        const view = await push("payses_round", "0722000111", 99.5)
        expect(view.amount).toBe(100)
        expect((await row("payses_round")).medusa_amount).toBe("99.5")
        const down = await push("payses_round_down", "0722000112", 99.49)
        expect(down.amount).toBe(99)
      })

      it("does not query before the callback is overdue, then backs off, one query per due row", async () => {
        await push("payses_poll")
        expect((await service.pollDue()).queried).toBe(0)
        tick(20_000)
        expect((await service.pollDue()).queried).toBe(1)
        expect((await service.pollDue()).queried).toBe(0)
        tick(15_000)
        expect((await service.pollDue()).queried).toBe(1)
        tick(15_000)
        expect((await service.pollDue()).queried).toBe(0)
        tick(15_000)
        expect((await service.pollDue()).queried).toBe(1)
        expect(simulator().stats().calls.stkQuery).toBe(3)
      })

      it("lets one worker query a row at a time", async () => {
        await push("payses_a", "0722000121")
        await push("payses_b", "0722000122")
        await push("payses_c", "0722000123")
        tick(21_000)
        const results = await Promise.all([service.pollDue(), service.pollDue(), service.pollDue()])
        expect(results.reduce((n, r) => n + r.queried, 0)).toBe(3)
        expect(simulator().stats().calls.stkQuery).toBe(3)
      })

      it("settles a lost callback by query, emitting the capture once", async () => {
        const view = await push("payses_query")
        simulator().approve(view.checkout_request_id!)
        await simulator().waitForCallbacks(1) // delivered to nowhere: lost
        tick(20_000)
        await Promise.all([service.pollDue(), service.pollDue()])
        expect(await service.getPaymentBySession("payses_query")).toMatchObject({ state: "paid", result_code: "0" })
        expect(captures()).toHaveLength(1)
      })

      it("expires a push nobody answers after one last query, then accepts money that still arrives", async () => {
        const view = await push("payses_expire")
        tick(180_000)
        expect((await service.pollDue()).expired).toBe(1)
        const expired = await service.getPaymentBySession("payses_expire")
        expect(expired?.state).toBe("expired")
        expect(expired?.message).toMatch(/expired/)
        simulator().approve(view.checkout_request_id!)
        const [delivery] = await simulator().waitForCallbacks(1)
        expect(await deliver(view.transaction_id, delivery.payload)).toMatchObject({ status: "applied", captured: true })
        expect((await service.getPaymentBySession("payses_expire"))?.state).toBe("paid")
      })

      it("applies a callback once however many times it is processed, and refuses a receipt reused elsewhere", async () => {
        const a = await push("payses_dup_a", "0722000141")
        const b = await push("payses_dup_b", "0722000142")
        simulator().approve(a.checkout_request_id!)
        simulator().approve(b.checkout_request_id!)
        await simulator().waitForCallbacks(2)
        const body = successCallback(a.checkout_request_id!, 1250, "RCPT000001", 254722000141)
        const ids = await Promise.all([1, 2, 3].map(() => service.recordCallback({ payload: body, sourceIp: null, transactionId: a.transaction_id })))
        const outcomes = await Promise.all(ids.map(({ id }) => service.processCallback(id)))
        expect(outcomes.filter((o) => o?.captured)).toHaveLength(1)
        expect(outcomes.map((o) => o?.status).sort()).toEqual(["applied", "duplicate", "duplicate"])
        expect(await service.processCallback(ids[0].id)).toBeNull()

        const stolen = await deliver(b.transaction_id, successCallback(b.checkout_request_id!, 1250, "RCPT000001", 254722000142))
        expect(stolen).toMatchObject({ status: "suspicious", captured: false })
        expect((await service.getPaymentBySession("payses_dup_b"))?.state).toBe("pending")
      })

      it("keeps money that arrives after Medusa closed the session as an unmatched payment", async () => {
        const view = await push("payses_closed", "0722000151")
        await service.closeSession("payses_closed")
        simulator().approve(view.checkout_request_id!)
        const [delivery] = await simulator().waitForCallbacks(1)
        expect(await deliver(view.transaction_id, delivery.payload)).toMatchObject({ status: "applied", captured: false })
        expect(await service.getPayment(view.transaction_id)).toMatchObject({ state: "paid", unmatched: true })
        expect(captures()).toHaveLength(0)
      })

      it("records a callback that is not an STK callback as invalid", async () => {
        const view = await push("payses_invalid", "0722000161")
        const { id, valid } = await service.recordCallback({ payload: { hello: "world" }, sourceIp: "10.0.0.1", transactionId: view.transaction_id })
        expect(valid).toBe(false)
        const [cb] = (await service.listCallbacks({})).filter((c) => c.id === id)
        expect(cb.status).toBe("invalid")
        expect(cb.processed_at).toBeTruthy()
      })

      it("shares one Daraja token between processes through the database", async () => {
        const knex = (service as unknown as { baseRepository_: { getFreshManager(): { getKnex(): any } } }).baseRepository_.getFreshManager().getKnex()
        const makeClient = () =>
          new DarajaClient({
            baseUrl: simulator().url,
            consumerKey: "simulator-consumer-key",
            consumerSecret: "simulator-consumer-secret",
            tokenCache: new DatabaseTokenCache(() => knex, "shared"),
          })
        const server = makeClient()
        const worker = makeClient()
        const tokens = await Promise.all([...Array(10)].flatMap(() => [server.getAccessToken(), worker.getAccessToken()]))
        expect(new Set(tokens).size).toBe(1)
        expect(simulator().stats().calls.oauth).toBe(1)
      })
    })

    describe("scenario 1: a push whose answer never came, then the shopper pays", () => {
      it("tells the truth, offers no new prompt, and a later success completes the order — before our expiry", async () => {
        simulator().setFaults({ pushResponse: "reset" })
        const view = await push("payses_unknown1", "0722000201", 1250, "paycol_s1")
        expect(view).toMatchObject({ state: "indeterminate", retryable: false, checkout_request_id: null })
        expect(view.message).toMatch(/do not pay twice/i)
        simulator().setFaults({ pushResponse: "normal" })
        const [prompt] = simulator().prompts()
        simulator().approve(prompt.checkoutRequestId)
        const [delivery] = await simulator().waitForCallbacks(1)
        const outcome = await deliver(view.transaction_id, delivery.payload)
        expect(outcome).toMatchObject({ status: "applied", captured: true })
        expect(await service.getPayment(view.transaction_id)).toMatchObject({
          state: "paid",
          checkout_request_id: prompt.checkoutRequestId,
          unmatched: false,
        })
        // Confirmed by STK Push Query before anything was written.
        expect(simulator().stats().calls.stkQuery).toBe(1)
        expect(captures()).toHaveLength(1)
      })

      it("a success after our own expiry still completes the order (never parked as suspicious)", async () => {
        simulator().setFaults({ pushResponse: "reset" })
        const view = await push("payses_unknown2", "0722000202", 1250, "paycol_s1b")
        simulator().setFaults({ pushResponse: "normal" })
        tick(181_000)
        expect((await service.pollDue()).expired).toBe(1)
        const [prompt] = simulator().prompts()
        simulator().approve(prompt.checkoutRequestId)
        const [delivery] = await simulator().waitForCallbacks(1)
        tick(20 * 60_000) // long after: there is no orphan timeout any more
        expect(await deliver(view.transaction_id, delivery.payload)).toMatchObject({ status: "applied", captured: true })
        expect((await service.getPayment(view.transaction_id))?.state).toBe("paid")
      })

      it("keeps it as an unmatched payment when the cart changed meanwhile", async () => {
        simulator().setFaults({ pushResponse: "reset" })
        const view = await push("payses_unknown3", "0722000203", 1250, "paycol_s1c")
        simulator().setFaults({ pushResponse: "normal" })
        await service.closeSession("payses_unknown3") // cart edited: Medusa deleted the session
        const [prompt] = simulator().prompts()
        simulator().approve(prompt.checkoutRequestId)
        const [delivery] = await simulator().waitForCallbacks(1)
        expect(await deliver(view.transaction_id, delivery.payload)).toMatchObject({ status: "applied", captured: false })
        expect(await service.getPayment(view.transaction_id)).toMatchObject({ state: "paid", unmatched: true })
      })

      it("never takes over a CheckoutRequestID another push owns, and checks phone and amount", async () => {
        const other = await push("payses_owner", "0722000204")
        simulator().setFaults({ pushResponse: "reset" })
        const view = await push("payses_unknown4", "0722000205", 1250)
        simulator().setFaults({ pushResponse: "normal" })
        const stolen = await deliver(view.transaction_id, successCallback(other.checkout_request_id!, 1250, "RCPTS10001", 254722000205))
        expect(stolen?.status).toBe("suspicious")
        const [, prompt] = simulator().prompts()
        const wrongPhone = await deliver(view.transaction_id, successCallback(prompt.checkoutRequestId, 1250, "RCPTS10002", 254799999999))
        expect(wrongPhone?.status).toBe("suspicious")
        const wrongAmount = await deliver(view.transaction_id, successCallback(prompt.checkoutRequestId, 1, "RCPTS10003", 254722000205))
        expect(wrongAmount?.status).toBe("suspicious")
        expect((await service.getPayment(view.transaction_id))?.state).toBe("indeterminate")
        expect(simulator().stats().calls.stkQuery).toBe(0)
      })
    })

    describe("scenario 2: a second prompt for the same cart", () => {
      it("re-attaches a re-created session to the open push instead of prompting again", async () => {
        const a = await push("payses_roll_a", "0722000301", 1700, "paycol_s2")
        await service.closeSession("payses_roll_a") // Medusa deleted it in parallel with a new session…
        // …whose push failed, so Medusa re-creates the old session through initiatePayment.
        const again = await push("payses_roll_a2", "0722000301", 1700, "paycol_s2")
        expect(again.transaction_id).toBe(a.transaction_id)
        expect(again.session_id).toBe("payses_roll_a2")
        expect(simulator().stats().calls.stkPush).toBe(1)
        simulator().approve(a.checkout_request_id!)
        const [delivery] = await simulator().waitForCallbacks(1)
        expect(await deliver(a.transaction_id, delivery.payload)).toMatchObject({ status: "applied", captured: true })
        expect(await service.getPaymentBySession("payses_roll_a2")).toMatchObject({ state: "paid", unmatched: false })
      })

      it("does not re-attach across carts, phones or amounts", async () => {
        const first = await push("payses_x1", "0722000302", 1700, "paycol_x")
        await push("payses_x2", "0722000303", 1700, "paycol_x") // another phone
        // Another cart and amount on the same phone: a new push (Daraja refuses it while the first prompt is open).
        simulator().decline(first.checkout_request_id!)
        await simulator().waitForCallbacks(1)
        await push("payses_x3", "0722000302", 1800, "paycol_y")
        expect(simulator().stats().calls.stkPush).toBe(3)
      })

      it("money paid on an older prompt completes the cart on its current session; the newer prompt paid too is unmatched", async () => {
        const a = await push("payses_old", "0722000304", 1700, "paycol_s2b")
        await service.closeSession("payses_old")
        const b = await push("payses_new", "0722000305", 1700, "paycol_s2b")
        simulator().approve(a.checkout_request_id!)
        const [da] = await simulator().waitForCallbacks(1)
        expect(await deliver(a.transaction_id, da.payload)).toMatchObject({ status: "applied", captured: true })
        // The cart's current session now carries the paid push A.
        expect(await service.getPaymentBySession("payses_new")).toMatchObject({ transaction_id: a.transaction_id, state: "paid" })
        simulator().approve(b.checkout_request_id!)
        const deliveries = await simulator().waitForCallbacks(2)
        expect(await deliver(b.transaction_id, deliveries[1].payload)).toMatchObject({ status: "applied", captured: false })
        expect(await service.getPayment(b.transaction_id)).toMatchObject({ state: "paid", unmatched: true, session_id: null })
        expect(captures().map((c) => c.data.id)).toEqual([a.transaction_id])
      })
    })

    describe("scenario 3: session deleted or cart changed around the payment", () => {
      it("decides matched or unmatched from the row at the final write, not from a copy read before the query", async () => {
        const view = await push("payses_race", "0722000401", 1250, "paycol_s3")
        simulator().approve(view.checkout_request_id!)
        const [delivery] = await simulator().waitForCallbacks(1)
        simulator().setFaults({ latencyMs: 600 }) // the confirming query is slow…
        const processing = deliver(view.transaction_id, delivery.payload)
        await new Promise((r) => setTimeout(r, 250))
        await service.closeSession("payses_race") // …and the cart changes meanwhile
        expect(await processing).toMatchObject({ status: "applied", captured: false })
        expect(await service.getPayment(view.transaction_id)).toMatchObject({ state: "paid", unmatched: true })
        expect(captures()).toHaveLength(0)
      })

      it("never lets money for an amount the cart no longer costs pay the new total", async () => {
        const a = await push("payses_amt_a", "0722000402", 1700, "paycol_s3b")
        await service.closeSession("payses_amt_a") // cart edited: new total 1900
        await push("payses_amt_b", "0722000403", 1900, "paycol_s3b")
        simulator().approve(a.checkout_request_id!)
        const [d] = await simulator().waitForCallbacks(1)
        expect(await deliver(a.transaction_id, d.payload)).toMatchObject({ status: "applied", captured: false })
        expect(await service.getPayment(a.transaction_id)).toMatchObject({ unmatched: true })
        expect(await service.getPaymentBySession("payses_amt_b")).toMatchObject({ state: "pending", amount: 1900 })
      })

      it("a paid payment whose session vanished before its order moves to the cart's current session or is kept unmatched", async () => {
        const a = await push("payses_gone", "0722000404", 1700, "paycol_s3c")
        simulator().approve(a.checkout_request_id!)
        const [d] = await simulator().waitForCallbacks(1)
        await deliver(a.transaction_id, d.payload)
        await service.closeSession("payses_gone")
        expect(await service.rematchPaid(a.transaction_id)).toMatchObject({ unmatched: true })
      })
    })

    describe("scenario 5: completion that keeps failing", () => {
      it("retries with growing back-off for hours and flags the paid cart as needing attention", async () => {
        const view = await push("payses_stuck", "0722000501")
        simulator().approve(view.checkout_request_id!)
        const [d] = await simulator().waitForCallbacks(1)
        await deliver(view.transaction_id, d.payload)
        const delays: number[] = []
        for (let i = 0; i < 14; i++) {
          const due = await service.listDueForCompletion()
          expect(due.map((p) => p.transaction_id)).toContain(view.transaction_id)
          expect(await service.claimCompletion(view.transaction_id)).not.toBeNull()
          const r = await service.markCompletionFailed(view.transaction_id, "could not acquire lock")
          expect(r?.nextAttemptAt).not.toBeNull()
          const wait = new Date(r!.nextAttemptAt!).getTime() - time.clock.now().getTime()
          delays.push(wait)
          tick(wait)
        }
        // 10 s, 20 s, 40 s … capped at 30 min: still retrying after 14 tries (old code: gave up after 10).
        expect(delays.slice(0, 3)).toEqual([10_000, 20_000, 40_000])
        expect(Math.max(...delays)).toBe(30 * 60_000)
        const flagged = await service.listPaymentsNeedingAttention()
        expect(flagged.find((p) => p.transaction_id === view.transaction_id)?.needs_attention).toMatch(/no order yet/)
        // Past the 48 h horizon automatic retries stop, and the payment stays visible.
        tick(48 * 60 * 60_000)
        const last = await service.markCompletionFailed(view.transaction_id, "still failing")
        expect(last).toMatchObject({ nextAttemptAt: null, needsAttention: true })
        expect((await service.listPaymentsNeedingAttention()).map((p) => p.transaction_id)).toContain(view.transaction_id)
      })
    })

    describe("scenario 6: queries are bounded", () => {
      it("a push whose status queries keep failing makes at most 6 queries and still expires", async () => {
        await push("payses_qfail", "0722000601")
        simulator().setFaults({ rejectQuery: "internal_error" })
        for (let t = 0; t < 200_000; t += 5_000) {
          tick(5_000)
          await service.pollDue()
        }
        expect(simulator().stats().calls.stkQuery).toBeLessThanOrEqual(6)
        expect((await service.getPaymentBySession("payses_qfail"))?.state).toBe("expired")
      })

      it("treats 400.002.02 Invalid CheckoutRequestID as the end of querying for that push", async () => {
        await push("payses_qunknown", "0722000602")
        simulator().reset() // Daraja no longer knows the id (nor our token: the first call refreshes it once)
        tick(20_000)
        await service.pollDue()
        const afterFirstQuery = simulator().stats().calls.stkQuery
        for (let t = 0; t < 170_000; t += 5_000) {
          tick(5_000)
          await service.pollDue()
        }
        expect(simulator().stats().calls.stkQuery).toBe(afterFirstQuery)
        expect((await service.getPaymentBySession("payses_qunknown"))?.state).toBe("expired")
      })

      it("re-checks a callback Daraja cannot confirm a bounded number of times, then keeps it as unconfirmed", async () => {
        const view = await push("payses_cbfail", "0722000603")
        simulator().setFaults({ rejectQuery: "internal_error" })
        const { id } = await service.recordCallback({
          payload: successCallback(view.checkout_request_id!, 1250, "RCPTQ00001", 254722000603),
          sourceIp: null,
          transactionId: view.transaction_id,
        })
        await service.processCallback(id)
        for (let i = 0; i < 40; i++) {
          tick(60_000)
          await service.pollDue()
        }
        const [cb] = (await service.listCallbacks({ transactionId: view.transaction_id })).filter((c) => c.id === id)
        expect(cb.status).toBe("unconfirmed")
        expect(cb.attempts).toBeLessThanOrEqual(8)
        expect(simulator().stats().calls.stkQuery).toBeLessThanOrEqual(6 + 8)
        expect((await service.getPayment(view.transaction_id))?.needs_attention).toMatch(/never confirmed/)
      })
    })

    describe("scenario 7: a forged callback cannot write data onto a genuine payment", () => {
      it("records the receipt once from the push's own confirmed callback and flags a second, different one", async () => {
        const view = await push("payses_receipt", "0722000701")
        simulator().approve(view.checkout_request_id!)
        const [delivery] = await simulator().waitForCallbacks(1) // lost
        tick(20_000)
        await service.pollDue() // paid by query: no receipt yet
        expect(await service.getPayment(view.transaction_id)).toMatchObject({ state: "paid", mpesa_receipt_number: null })
        const forgedPhone = await deliver(view.transaction_id, successCallback(view.checkout_request_id!, 1250, "FORGED0001", 254799999999))
        expect(forgedPhone?.status).toBe("suspicious")
        const forgedAmount = await deliver(view.transaction_id, successCallback(view.checkout_request_id!, 5, "FORGED0002", 254722000701))
        expect(forgedAmount?.status).toBe("suspicious")
        expect((await service.getPayment(view.transaction_id))?.mpesa_receipt_number).toBeNull()
        await deliver(view.transaction_id, delivery.payload) // the genuine one, late
        const genuine = (await service.getPayment(view.transaction_id))!.mpesa_receipt_number
        expect(genuine).toMatch(/^[A-Z0-9]{10}$/)
        const second = await deliver(view.transaction_id, successCallback(view.checkout_request_id!, 1250, "OTHER00001", 254722000701))
        expect(second?.status).toBe("suspicious")
        const after = await service.getPayment(view.transaction_id)
        expect(after?.mpesa_receipt_number).toBe(genuine)
        expect(after?.needs_attention).toMatch(/second, different receipt/)
      })
    })

    describe("the data layer", () => {
      it("offers no generated CRUD that could change a payment around the guarded transitions", () => {
        const api = service as unknown as Record<string, unknown>
        for (const name of ["updateMpesaTransactions", "createMpesaTransactions", "deleteMpesaTransactions", "softDeleteMpesaTransactions", "restoreMpesaTransactions"]) {
          expect(api[name]).toBeUndefined()
        }
      })

      it("moves nothing backwards: a paid push cannot be expired, failed or re-opened", async () => {
        const view = await push("payses_guard", "0722000801")
        simulator().approve(view.checkout_request_id!)
        const [d] = await simulator().waitForCallbacks(1)
        await deliver(view.transaction_id, d.payload)
        const failure = await deliver(view.transaction_id, {
          Body: { stkCallback: { MerchantRequestID: "m", CheckoutRequestID: view.checkout_request_id, ResultCode: 1032, ResultDesc: "Request cancelled by user" } },
        })
        expect(failure?.status).toBe("suspicious")
        tick(400_000)
        await service.pollDue()
        expect((await rowById(view.transaction_id)).status).toBe("paid")
      })
    })
  },
})
