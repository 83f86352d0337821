import { startDarajaSimulator, type DarajaSimulator, type StkPrompt } from "../index"
import { DUPLICATE_WINDOW_MS } from "../duplicate-rules"
import {
  call,
  errorBody,
  FAST,
  PAYBILL,
  push,
  pushBody,
  query,
  STORE,
  tillPushBody,
  token,
  type Receiver,
  useSimulatorWithReceiver,
} from "./helpers"

interface StkCallback {
  Body: { stkCallback: { MerchantRequestID: string; CheckoutRequestID: string; ResultCode: number; ResultDesc: string; CallbackMetadata?: unknown } }
}

const PUSH = "/mpesa/stkpush/v1/processrequest"
/** Outside the outcome table: the prompt stays open until answered or timed out. */
const MANUAL_PHONE = "254711000000"
/** Safaricom's sandbox MSISDN: pays at once, so its prompts never stay open. */
const PAYING_PHONE = "254708374149"
const LOCKED = errorBody("500.001.1001", "Unable to lock subscriber, a transaction is already in process for the current subscriber")

const stk = (body: unknown) => (body as StkCallback).Body.stkCallback
const to = (phone: string, extra: Record<string, unknown> = {}) => ({ PhoneNumber: phone, PartyA: phone, ...extra })

describe("Daraja simulator: duplicate rules", () => {
  let sim: DarajaSimulator
  let receiver: Receiver
  let bearer: string
  const env = useSimulatorWithReceiver()
  beforeEach(() => ({ sim, receiver, bearer } = env))
  afterEach(() => jest.useRealTimers())

  /** Starts a second simulator for one test and always closes it. */
  async function withSim(options: Parameters<typeof startDarajaSimulator>[0], body: (other: DarajaSimulator, t: string) => Promise<void>) {
    const other = await startDarajaSimulator(options)
    try {
      await body(other, await token(other))
    } finally {
      await other.close()
    }
  }

  it("uses Daraja's 2-minute window", () => {
    expect(DUPLICATE_WINDOW_MS).toBe(120_000)
  })

  describe("subscriber lock", () => {
    it("refuses a push to a phone whose prompt is open with Daraja's exact error, and creates no prompt", async () => {
      const first = await push(sim, bearer, pushBody(to(MANUAL_PHONE), receiver.url))
      // Another amount, and even another merchant: the lock is the subscriber's.
      for (const body of [pushBody(to(MANUAL_PHONE, { Amount: 99 }), receiver.url), tillPushBody(to(MANUAL_PHONE), receiver.url)]) {
        const res = await call(sim, PUSH, { token: bearer, body })
        expect(res.status).toBe(500)
        expect(res.body).toEqual(LOCKED)
        expect(Object.keys(res.body as object).sort()).toEqual(["errorCode", "errorMessage", "requestId"])
      }
      expect(sim.prompts().map((p) => p.checkoutRequestId)).toEqual([first.CheckoutRequestID])
      expect(sim.stats().calls.stkPush).toBe(3)
      // The control API and virtual phone see the one prompt only.
      const listed = (await call(sim, "/simulator/prompts")).body as { prompts: StkPrompt[] }
      expect(listed.prompts).toEqual([expect.objectContaining({ checkoutRequestId: first.CheckoutRequestID, state: "awaiting_customer" })])
      // Other phones are not affected.
      expect((await call(sim, PUSH, { token: bearer, body: pushBody(to("254711000009"), receiver.url) })).status).toBe(200)
    })

    it("checks the lock only for valid, authenticated pushes", async () => {
      await push(sim, bearer, pushBody(to(MANUAL_PHONE), receiver.url))
      const invalid = await call(sim, PUSH, { token: bearer, body: pushBody(to(MANUAL_PHONE, { Amount: 0 }), receiver.url) })
      expect(invalid.body).toEqual(errorBody("400.002.02", "Bad Request - Invalid Amount"))
      const wrongPassword = await call(sim, PUSH, { token: bearer, body: pushBody(to(MANUAL_PHONE, { Password: "eA==" }), receiver.url) })
      expect(wrongPassword.body).toEqual(errorBody("500.001.1001", "Wrong credentials"))
    })

    it.each([
      ["approves", (s: DarajaSimulator, id: string) => s.approve(id)],
      ["declines", (s: DarajaSimulator, id: string) => s.decline(id)],
    ])("releases the lock once the customer %s", async (_name, answer) => {
      const first = await push(sim, bearer, pushBody(to(MANUAL_PHONE), receiver.url))
      answer(sim, first.CheckoutRequestID)
      const next = await call(sim, PUSH, { token: bearer, body: pushBody(to(MANUAL_PHONE, { Amount: 99 }), receiver.url) })
      expect(next.status).toBe(200)
      expect(sim.prompts()[1]).toMatchObject({ amount: 99, state: "awaiting_customer" })
    })

    it("releases the lock when the prompt times out (promptTimeoutMs × timeScale)", async () => {
      await withSim({ timeScale: 0.002 }, async (other, t) => {
        await push(other, t, pushBody(to(MANUAL_PHONE), receiver.url))
        expect((await call(other, PUSH, { token: t, body: pushBody(to(MANUAL_PHONE, { Amount: 99 }), receiver.url) })).body).toEqual(LOCKED)
        await other.waitForPrompt((p) => p.resultCode === 1037, 2000) // 60 000 ms × 0.002 = 120 ms
        const next = await call(other, PUSH, { token: t, body: pushBody(to(MANUAL_PHONE, { Amount: 98 }), receiver.url) })
        expect(next.status).toBe(200)
      })
    })

    it("never locks a phone whose outcome is decided at push time", async () => {
      await push(sim, bearer, pushBody(to(PAYING_PHONE, { Amount: 1250 }), receiver.url))
      await push(sim, bearer, pushBody(to(PAYING_PHONE, { Amount: 1300 }), receiver.url))
      const received = await receiver.waitFor(2)
      expect(received.map((r) => stk(r.body).ResultCode)).toEqual([0, 0])
    })
  })

  describe("ResultCode 17 (rule limited)", () => {
    it("accepts a repeat of the same phone, amount and shortcode, then ends it with 17 and no prompt on the phone", async () => {
      await push(sim, bearer, pushBody(to(PAYING_PHONE), receiver.url))
      await receiver.waitFor(1)
      const repeat = await call(sim, PUSH, { token: bearer, body: pushBody(to(PAYING_PHONE), receiver.url) })
      expect(repeat.status).toBe(200)
      expect(repeat.body).toMatchObject({ ResponseCode: "0", ResponseDescription: "Success. Request accepted for processing" })
      const { CheckoutRequestID, MerchantRequestID } = repeat.body as { CheckoutRequestID: string; MerchantRequestID: string }

      const [, received] = await receiver.waitFor(2)
      expect(received.body).toEqual({
        Body: { stkCallback: { MerchantRequestID, CheckoutRequestID, ResultCode: 17, ResultDesc: "Rule limited." } },
      })
      expect(sim.prompts()[1]).toMatchObject({ checkoutRequestId: CheckoutRequestID, resultCode: 17, outcomeSource: "rule_limited", expiresAt: null })
      // Nothing ever waited for the customer.
      await expect(sim.waitForPrompt(undefined, 50)).rejects.toThrow("Timed out")
      expect((await query(sim, bearer, CheckoutRequestID)).body).toMatchObject({ ResultCode: "17", ResultDesc: "Rule limited." })
    })

    it("answers the lock while the earlier prompt is open, and 17 once it has been answered", async () => {
      const first = await push(sim, bearer, pushBody(to(MANUAL_PHONE), receiver.url))
      expect((await call(sim, PUSH, { token: bearer, body: pushBody(to(MANUAL_PHONE), receiver.url) })).body).toEqual(LOCKED)
      sim.approve(first.CheckoutRequestID)
      await receiver.waitFor(1)
      const repeat = await push(sim, bearer, pushBody(to(MANUAL_PHONE), receiver.url))
      const [paid, limited] = await receiver.waitFor(2)
      expect(stk(paid.body)).toMatchObject({ CheckoutRequestID: first.CheckoutRequestID, ResultCode: 0 })
      expect(stk(limited.body)).toMatchObject({ CheckoutRequestID: repeat.CheckoutRequestID, ResultCode: 17 })
      expect(stk(limited.body)).not.toHaveProperty("CallbackMetadata")
      expect(sim.prompts()).toHaveLength(2)
    })

    it("applies whatever the earlier push's result was", async () => {
      await push(sim, bearer, pushBody(to("254700000001"), receiver.url)) // cancelled by the customer (1032)
      await push(sim, bearer, pushBody(to("254700000001"), receiver.url))
      const received = await receiver.waitFor(2)
      expect(received.map((r) => stk(r.body).ResultCode).sort()).toEqual([1032, 17])
    })

    it("does not apply to another amount, another shortcode or another phone", async () => {
      await push(sim, bearer, pushBody(to(PAYING_PHONE), receiver.url))
      await push(sim, bearer, pushBody(to(PAYING_PHONE, { Amount: 1251 }), receiver.url))
      await push(sim, bearer, tillPushBody(to(PAYING_PHONE), receiver.url)) // store 174380, same amount
      await push(sim, bearer, pushBody(to("254700000000"), receiver.url))
      const received = await receiver.waitFor(4)
      expect(received.map((r) => stk(r.body).ResultCode)).toEqual([0, 0, 0, 0])
      expect(sim.prompts().map((p) => p.shortcode)).toEqual([PAYBILL, PAYBILL, STORE, PAYBILL])
    })

    it("lets a misconfigured PartyB fail with 2028 first", async () => {
      for (let i = 0; i < 2; i++) await push(sim, bearer, pushBody(to(PAYING_PHONE, { PartyB: "5123456" }), receiver.url))
      const received = await receiver.waitFor(2)
      expect(received.map((r) => stk(r.body).ResultCode)).toEqual([2028, 2028])
    })

    it("measures the 2 minutes in simulated time (× timeScale), counting rule-limited pushes too", async () => {
      // Window: 120 000 ms × 0.005 = 600 ms.
      // The window is a wall-clock rule (Date.now): only Date is faked, so the steps below are exact
      // however slow the machine is, while sockets and the 10 ms callback timers stay real.
      jest.useFakeTimers({
        doNotFake: ["nextTick", "setImmediate", "clearImmediate", "setTimeout", "clearTimeout", "setInterval", "clearInterval", "queueMicrotask", "hrtime", "performance"],
      })
      const advance = (ms: number) => jest.setSystemTime(Date.now() + ms)
      await withSim({ timeScale: 0.005 }, async (other, t) => {
        const results = async () => {
          await other.waitForPrompt(() => other.prompts().every((p) => p.resultCode !== null && p.resultCode !== undefined), 2000)
          return other.prompts().map((p) => p.resultCode)
        }
        await push(other, t, pushBody(to(PAYING_PHONE), receiver.url)) // t = 0
        advance(400)
        await push(other, t, pushBody(to(PAYING_PHONE), receiver.url)) // t = 400: within 600 ms of the first
        expect(await results()).toEqual([0, 17])
        advance(400)
        await push(other, t, pushBody(to(PAYING_PHONE), receiver.url)) // t = 800: > 600 after the first, < 600 after the second
        expect(await results()).toEqual([0, 17, 17])
        advance(750)
        await push(other, t, pushBody(to(PAYING_PHONE), receiver.url)) // t = 1550: > 600 after every earlier push
        expect(await results()).toEqual([0, 17, 17, 0])
      })
    })
  })

  describe("reset and options", () => {
    it("reset() forgets open prompts and the duplicate history, also over HTTP", async () => {
      await push(sim, bearer, pushBody(to(MANUAL_PHONE), receiver.url))
      await push(sim, bearer, pushBody(to(PAYING_PHONE), receiver.url))
      sim.reset()
      receiver.reset()
      let t = await token(sim)
      expect((await call(sim, PUSH, { token: t, body: pushBody(to(MANUAL_PHONE), receiver.url) })).status).toBe(200)
      await push(sim, t, pushBody(to(PAYING_PHONE), receiver.url))
      expect(stk((await receiver.waitFor(1))[0].body).ResultCode).toBe(0)

      expect((await call(sim, "/simulator/reset", { method: "POST" })).body).toEqual({ ok: true })
      receiver.reset()
      t = await token(sim)
      expect((await call(sim, PUSH, { token: t, body: pushBody(to(MANUAL_PHONE), receiver.url) })).status).toBe(200)
      await push(sim, t, pushBody(to(PAYING_PHONE), receiver.url))
      expect(stk((await receiver.waitFor(1))[0].body).ResultCode).toBe(0)
    })

    it("duplicateRules: false turns both rules off (load tests pushing to one phone)", async () => {
      await withSim({ ...FAST, duplicateRules: false }, async (other, t) => {
        expect(other.options.duplicateRules).toBe(false)
        for (let i = 0; i < 3; i++) expect((await call(other, PUSH, { token: t, body: pushBody(to(MANUAL_PHONE), receiver.url) })).status).toBe(200)
        expect(other.prompts().filter((p) => p.state === "awaiting_customer")).toHaveLength(3)
        await push(other, t, pushBody(to(PAYING_PHONE), receiver.url))
        await push(other, t, pushBody(to(PAYING_PHONE), receiver.url))
        const received = await receiver.waitFor(2)
        expect(received.map((r) => stk(r.body).ResultCode)).toEqual([0, 0])
      })
    })

    it("keeps both rules on in the strict profile", async () => {
      await withSim({ ...FAST, strict: true }, async (other, t) => {
        await push(other, t, pushBody(to(MANUAL_PHONE), receiver.url))
        expect((await call(other, PUSH, { token: t, body: pushBody(to(MANUAL_PHONE), receiver.url) })).body).toEqual(LOCKED)
        await push(other, t, pushBody(to(PAYING_PHONE), receiver.url))
        await push(other, t, pushBody(to(PAYING_PHONE), receiver.url))
        const received = await receiver.waitFor(2)
        expect(received.map((r) => stk(r.body).ResultCode).sort()).toEqual([0, 17])
      })
    })
  })
})
