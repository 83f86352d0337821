import { startDarajaSimulator, OUTCOME_TABLE, RESULT_DESCRIPTIONS, type DarajaSimulator } from "../index"
import { nairobiTimestamp, parseNairobiTimestamp } from "../clock"
import { errorBody, FAST, push, pushBody, query, STORE, TILL, tillPushBody, token, type Receiver, useSimulatorWithReceiver } from "./helpers"

interface StkCallback {
  Body: {
    stkCallback: {
      MerchantRequestID: string
      CheckoutRequestID: string
      ResultCode: number
      ResultDesc: string
      CallbackMetadata?: { Item: Array<{ Name: string; Value: number | string }> }
    }
  }
}

const MANUAL_PHONE = "254711000000"

describe("Daraja simulator: outcomes, callbacks and STK query", () => {
  let sim: DarajaSimulator
  let receiver: Receiver
  let bearer: string
  const env = useSimulatorWithReceiver()
  beforeEach(() => ({ sim, receiver, bearer } = env))

  const successes = Object.entries(OUTCOME_TABLE).filter(([, rule]) => rule.resultCode === 0)
  const failures = Object.entries(OUTCOME_TABLE).filter(([, rule]) => rule.resultCode !== 0)

  it.each(successes)("%s pays: callback with metadata, query agrees", async (phone) => {
    const before = nairobiTimestamp()
    const accepted = await push(sim, bearer, pushBody({ PhoneNumber: phone, PartyA: phone, Amount: 1250 }, receiver.url + "/cb?secret=s3cret"))
    const [received] = await receiver.waitFor(1)
    expect(received.path).toBe("/cb?secret=s3cret")
    expect(received.body).toEqual({
      Body: {
        stkCallback: {
          MerchantRequestID: accepted.MerchantRequestID,
          CheckoutRequestID: accepted.CheckoutRequestID,
          ResultCode: 0,
          ResultDesc: "The service request is processed successfully.",
          CallbackMetadata: {
            Item: [
              { Name: "Amount", Value: 1250 },
              { Name: "MpesaReceiptNumber", Value: expect.stringMatching(/^[A-Z0-9]{10}$/) },
              { Name: "TransactionDate", Value: expect.any(Number) },
              { Name: "PhoneNumber", Value: Number(phone) },
            ],
          },
        },
      },
    })
    const items = (received.body as StkCallback).Body.stkCallback.CallbackMetadata!.Item
    const date = String(items[2].Value)
    expect(parseNairobiTimestamp(date)).not.toBeNull()
    expect(date >= before && date <= nairobiTimestamp()).toBe(true)

    const res = await query(sim, bearer, accepted.CheckoutRequestID)
    expect(res.status).toBe(200)
    expect(res.body).toEqual({
      ResponseCode: "0",
      ResponseDescription: "The service request has been accepted successsfully",
      MerchantRequestID: accepted.MerchantRequestID,
      CheckoutRequestID: accepted.CheckoutRequestID,
      ResultCode: "0",
      ResultDesc: "The service request is processed successfully.",
    })
    const prompt = sim.prompts()[0]
    expect(prompt).toMatchObject({ state: "completed", resultCode: 0, outcomeSource: "table", mpesaReceiptNumber: items[1].Value })
  })

  it.each(failures)("%s fails: callback without metadata, query agrees", async (phone, rule) => {
    const accepted = await push(sim, bearer, pushBody({ PhoneNumber: phone, PartyA: phone }, receiver.url + "/cb"))
    const [received] = await receiver.waitFor(1)
    expect(received.body).toEqual({
      Body: {
        stkCallback: {
          MerchantRequestID: accepted.MerchantRequestID,
          CheckoutRequestID: accepted.CheckoutRequestID,
          ResultCode: rule.resultCode,
          ResultDesc: RESULT_DESCRIPTIONS[rule.resultCode],
        },
      },
    })
    expect((received.body as StkCallback).Body.stkCallback).not.toHaveProperty("CallbackMetadata")
    const res = await query(sim, bearer, accepted.CheckoutRequestID)
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ ResultCode: String(rule.resultCode), ResultDesc: RESULT_DESCRIPTIONS[rule.resultCode] })
  })

  it("uses Safaricom's wording for the common failures", () => {
    expect(RESULT_DESCRIPTIONS[1032]).toBe("Request cancelled by user")
    expect(RESULT_DESCRIPTIONS[1037]).toBe("DS timeout user cannot be reached")
    expect(RESULT_DESCRIPTIONS[1]).toBe("The balance is insufficient for the transaction.")
    expect(RESULT_DESCRIPTIONS[2001]).toBe("The initiator information is invalid.")
  })

  it("issues unique receipts", async () => {
    // Distinct amounts: the same phone and amount again within 2 minutes would end with ResultCode 17.
    for (let i = 0; i < 10; i++) await push(sim, bearer, pushBody({ Amount: 100 + i }, receiver.url))
    await receiver.waitFor(10)
    const receipts = receiver.received.map((r) => (r.body as StkCallback).Body.stkCallback.CallbackMetadata!.Item[1].Value)
    expect(new Set(receipts).size).toBe(10)
  })

  it("answers 'being processed' while the customer has not answered, then the result", async () => {
    const accepted = await push(sim, bearer, pushBody({ PhoneNumber: MANUAL_PHONE, PartyA: MANUAL_PHONE }, receiver.url))
    const pending = await query(sim, bearer, accepted.CheckoutRequestID)
    expect(pending.status).toBe(500)
    expect(pending.body).toEqual(errorBody("500.001.1001", "The transaction is being processed"))
    expect(sim.prompts()[0]).toMatchObject({ state: "awaiting_customer", resultCode: null, expiresAt: expect.any(String) })

    sim.approve(accepted.CheckoutRequestID)
    // Decided but not yet completed: still pending until the callback leaves.
    expect((await query(sim, bearer, accepted.CheckoutRequestID)).status).toBe(500)
    await receiver.waitFor(1)
    const done = await query(sim, bearer, accepted.CheckoutRequestID)
    expect(done.body).toMatchObject({ ResultCode: "0" })
    expect(sim.prompts()[0]).toMatchObject({ state: "completed", outcomeSource: "customer" })
  })

  it.each([
    ["decline() defaults to 1032", (id: string) => sim.decline(id), 1032],
    ["decline(id, 2001) is a wrong PIN", (id: string) => sim.decline(id, 2001), 2001],
    ["decline(id, 1) is insufficient funds", (id: string) => sim.decline(id, 1), 1],
    ["timeout() is 1037", (id: string) => sim.timeout(id), 1037],
  ])("manual prompts: %s", async (_name, act, code) => {
    const accepted = await push(sim, bearer, pushBody({ PhoneNumber: MANUAL_PHONE, PartyA: MANUAL_PHONE }, receiver.url))
    const prompt = await sim.waitForPrompt()
    expect(prompt.checkoutRequestId).toBe(accepted.CheckoutRequestID)
    act(accepted.CheckoutRequestID)
    const [received] = await receiver.waitFor(1)
    expect((received.body as StkCallback).Body.stkCallback).toEqual({
      MerchantRequestID: accepted.MerchantRequestID,
      CheckoutRequestID: accepted.CheckoutRequestID,
      ResultCode: code,
      ResultDesc: RESULT_DESCRIPTIONS[code],
    })
  })

  it("refuses to answer a prompt twice, or one that does not exist", async () => {
    const accepted = await push(sim, bearer, pushBody({ PhoneNumber: MANUAL_PHONE }, receiver.url))
    sim.approve(accepted.CheckoutRequestID)
    expect(() => sim.decline(accepted.CheckoutRequestID)).toThrow("not waiting for the customer")
    expect(() => sim.approve("ws_CO_nope")).toThrow("No STK prompt")
    expect(() => sim.decline(accepted.CheckoutRequestID, 0)).toThrow("non-zero")
    const table = await push(sim, bearer, pushBody({ PhoneNumber: "254700000001" }, receiver.url))
    expect(() => sim.approve(table.CheckoutRequestID)).toThrow("not waiting for the customer")
  })

  it("ends an unanswered prompt with 1037 after promptTimeoutMs × timeScale", async () => {
    const started = Date.now()
    await push(sim, bearer, pushBody({ PhoneNumber: MANUAL_PHONE }, receiver.url))
    const [received] = await receiver.waitFor(1, 3000)
    const elapsed = received.at - started
    expect((received.body as StkCallback).Body.stkCallback.ResultCode).toBe(1037)
    expect(elapsed).toBeGreaterThanOrEqual(550) // 60 000 ms × 0.01 + 20 ms callback delay
    expect(elapsed).toBeLessThan(2000)
    expect(sim.prompts()[0]).toMatchObject({ outcomeSource: "timeout" })
  })

  it("sends the callback callbackDelayMs × timeScale after the push", async () => {
    const slow = await startDarajaSimulator({ timeScale: 0.1, callbackDelayMs: 2000 })
    try {
      const t = await token(slow)
      const started = Date.now()
      await push(slow, t, pushBody({}, receiver.url))
      const [received] = await receiver.waitFor(1)
      expect(received.at - started).toBeGreaterThanOrEqual(190)
      expect(received.at - started).toBeLessThan(1000)
    } finally {
      await slow.close()
    }
  })

  it("pays unknown phones at once with defaultOutcome 'success'", async () => {
    const auto = await startDarajaSimulator({ ...FAST, defaultOutcome: "success" })
    try {
      const t = await token(auto)
      await push(auto, t, pushBody({ PhoneNumber: MANUAL_PHONE, PartyA: MANUAL_PHONE }, receiver.url))
      const [received] = await receiver.waitFor(1)
      expect((received.body as StkCallback).Body.stkCallback.ResultCode).toBe(0)
      expect(auto.prompts()[0].outcomeSource).toBe("default")
    } finally {
      await auto.close()
    }
  })

  it("pays a till: store number as BusinessShortCode, till as PartyB, CustomerBuyGoodsOnline", async () => {
    const accepted = await push(sim, bearer, tillPushBody({}, receiver.url))
    const [received] = await receiver.waitFor(1)
    expect((received.body as StkCallback).Body.stkCallback.ResultCode).toBe(0)
    expect(sim.prompts()[0]).toMatchObject({ shortcode: STORE, partyB: TILL, transactionType: "CustomerBuyGoodsOnline" })
    expect((await query(sim, bearer, accepted.CheckoutRequestID, STORE)).body).toMatchObject({ ResultCode: "0" })
  })

  it.each([
    ["a paybill push whose PartyB is not the paybill", pushBody({ PartyB: TILL })],
    ["a till push whose PartyB is the store number, not a till", tillPushBody({ PartyB: STORE })],
    ["a till push to the paybill, which has no tills", pushBody({ TransactionType: "CustomerBuyGoodsOnline", PartyB: TILL })],
  ])("fails %s with 2028 (product assignment), whatever the phone", async (_name, body) => {
    const accepted = await push(sim, bearer, { ...body, CallBackURL: receiver.url })
    const [received] = await receiver.waitFor(1)
    expect((received.body as StkCallback).Body.stkCallback).toEqual({
      MerchantRequestID: accepted.MerchantRequestID,
      CheckoutRequestID: accepted.CheckoutRequestID,
      ResultCode: 2028,
      ResultDesc: "The request is not permitted according to product assignment.",
    })
    expect(sim.prompts()[0].outcomeSource).toBe("product_assignment")
  })

  it("records each delivery with the receiver's HTTP status", async () => {
    receiver.status = 500
    await push(sim, bearer, pushBody({}, receiver.url))
    const [delivery] = await sim.waitForCallbacks(1)
    expect(delivery).toMatchObject({ kind: "stk", outcome: "failed", httpStatus: 500, copy: 1, url: receiver.url })
    expect(sim.stats()).toMatchObject({ callbacksDelivered: 0, callbacksFailed: 1 })
    // Never retried silently.
    await new Promise((r) => setTimeout(r, 100))
    expect(receiver.received).toHaveLength(1)
  })

  it("records an unreachable callback URL as a failed delivery", async () => {
    await push(sim, bearer, pushBody({}, "http://127.0.0.1:9/unreachable"))
    const [delivery] = await sim.waitForCallbacks(1)
    expect(delivery).toMatchObject({ outcome: "failed", httpStatus: null, error: expect.any(String) })
  })

  it("waitForPrompt resolves for prompts created later and filters by predicate", async () => {
    const waiting = sim.waitForPrompt((p) => p.phoneNumber === "254722000000")
    await push(sim, bearer, pushBody({ PhoneNumber: MANUAL_PHONE }, receiver.url))
    await push(sim, bearer, pushBody({ PhoneNumber: "254722000000", PartyA: "254722000000", Amount: 99 }, receiver.url))
    await expect(waiting).resolves.toMatchObject({ phoneNumber: "254722000000", amount: 99, state: "awaiting_customer" })
    await expect(sim.waitForPrompt((p) => p.amount === 7, 50)).rejects.toThrow("Timed out")
    await expect(sim.waitForCallbacks(1, 50)).rejects.toThrow("Timed out")
  })
})
