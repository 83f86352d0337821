import { startDarajaSimulator, type DarajaSimulator, type DarajaSimulatorOptions } from "../index"
import { nairobiTimestamp } from "../clock"
import { stkPassword } from "../merchant-auth"
import { SANDBOX_PASSKEY } from "../options"
import { call, credentials, errorBody, FAST, PAYBILL, push, pushBody, query, STORE, token } from "./helpers"

const PUSH = "/mpesa/stkpush/v1/processrequest"
/** Outside the outcome table, so accepted pushes just wait and send no callbacks. */
const MANUAL_PHONE = "254711000000"

function withTimestamp(at: Date, shortcode = PAYBILL) {
  const Timestamp = nairobiTimestamp(at)
  return { BusinessShortCode: shortcode, Timestamp, Password: stkPassword(shortcode, SANDBOX_PASSKEY, Timestamp) }
}

/** What clients that format `new Date().toISOString()` send: UTC wall time, 3 h behind Nairobi. */
function withUtcTimestamp(at = new Date(), shortcode = PAYBILL) {
  const Timestamp = at.toISOString().replace(/[^0-9]/g, "").slice(0, 14)
  return { BusinessShortCode: shortcode, Timestamp, Password: stkPassword(shortcode, SANDBOX_PASSKEY, Timestamp) }
}

const HOUR = 60 * 60 * 1000
const THIRTY_CHARS = "Payment for order 123456789012"

const bad = (field: string) => ({ status: 400, body: errorBody("400.002.02", `Bad Request - Invalid ${field}`) })
const ok = { status: 200 }

describe("Daraja simulator: STK push validation", () => {
  let sim: DarajaSimulator
  let bearer: string

  beforeAll(async () => {
    sim = await startDarajaSimulator(FAST)
  })
  afterAll(() => sim.close())
  beforeEach(async () => {
    sim.reset()
    bearer = await token(sim)
  })

  // Rules that hold in every profile; the profile-dependent ones are below.
  const cases: Array<[string, Record<string, unknown>, { status: number; body?: unknown }]> = [
    ["a valid paybill push", {}, ok],
    ["numbers where Daraja's sample has strings", { BusinessShortCode: 174379, Amount: 1, PartyA: 254711000000, PartyB: 174379, PhoneNumber: 254711000000 }, ok],
    ["Amount as a digit string", { Amount: "1" }, ok],
    ["the maximum Amount 250000", { Amount: 250000 }, ok],
    ["a 2541… number", { PartyA: "254110000000", PhoneNumber: "254110000000" }, ok],
    ["no TransactionDesc (the one optional field)", { TransactionDesc: undefined }, ok],
    ["a 12-character AccountReference", { AccountReference: "ABCDEFGHIJKL" }, ok],
    ["a non-numeric BusinessShortCode", { BusinessShortCode: "abc" }, bad("BusinessShortCode")],
    ["a missing BusinessShortCode", { BusinessShortCode: undefined }, bad("BusinessShortCode")],
    ["an unknown merchant", withTimestamp(new Date(), "600000"), { status: 500, body: errorBody("500.001.1001", "Merchant does not exist") }],
    ["a malformed Timestamp", { Timestamp: "2024-01-01 10:00" }, bad("Timestamp")],
    ["an impossible date", { Timestamp: "20240230120000" }, bad("Timestamp")],
    ["a 13-digit Timestamp", { Timestamp: "2024010112000" }, bad("Timestamp")],
    ["a wrong Password", { Password: Buffer.from("nope").toString("base64") }, { status: 500, body: errorBody("500.001.1001", "Wrong credentials") }],
    ["a missing Password", { Password: undefined }, { status: 500, body: errorBody("500.001.1001", "Wrong credentials") }],
    [
      "a Password made with another timestamp",
      { Password: stkPassword(PAYBILL, SANDBOX_PASSKEY, nairobiTimestamp(new Date(Date.now() - 60_000))) },
      { status: 500, body: errorBody("500.001.1001", "Wrong credentials") },
    ],
    ["a TransactionType with a trailing space", { TransactionType: "CustomerPayBillOnline " }, bad("TransactionType")],
    ["an unknown TransactionType", { TransactionType: "BusinessPayBill" }, bad("TransactionType")],
    ["Amount 0", { Amount: 0 }, bad("Amount")],
    ["Amount above 250000", { Amount: 250001 }, bad("Amount")],
    ["a fractional Amount", { Amount: 10.5 }, bad("Amount")],
    ["a fractional Amount string", { Amount: "10.50" }, bad("Amount")],
    ["a negative Amount", { Amount: -5 }, bad("Amount")],
    ["a missing Amount", { Amount: undefined }, bad("Amount")],
    ["PartyA in local format", { PartyA: "0711000000" }, bad("PartyA")],
    ["PhoneNumber in local format", { PhoneNumber: "0711000000" }, bad("PhoneNumber")],
    ["PhoneNumber with a plus", { PhoneNumber: "+254711000000" }, bad("PhoneNumber")],
    ["PhoneNumber too short", { PhoneNumber: "2547110000" }, bad("PhoneNumber")],
    ["PhoneNumber not 2547/2541", { PhoneNumber: "254811000000" }, bad("PhoneNumber")],
    ["a non-numeric PartyB", { PartyB: "paybill" }, bad("PartyB")],
    ["a relative CallBackURL", { CallBackURL: "/callback" }, bad("CallBackURL")],
    ["a non-http CallBackURL", { CallBackURL: "ftp://example.com/cb" }, bad("CallBackURL")],
    ["a CallBackURL with a stray space", { CallBackURL: " https://example.com/cb" }, bad("CallBackURL")],
    ["a missing CallBackURL", { CallBackURL: undefined }, bad("CallBackURL")],
    ["an empty AccountReference", { AccountReference: "" }, bad("AccountReference")],
    ["a 13-character AccountReference", { AccountReference: "ABCDEFGHIJKLM" }, bad("AccountReference")],
    ["a 13-character TransactionDesc", { TransactionDesc: "ABCDEFGHIJKLM" }, ok],
    ["a null TransactionDesc", { TransactionDesc: null }, bad("Remarks")],
    ["a numeric TransactionDesc", { TransactionDesc: 123 }, bad("Remarks")],
    ["several bad fields: the first in request order is reported", { Amount: 0, PhoneNumber: "07", CallBackURL: "x" }, bad("Amount")],
  ]

  it.each(cases)("push with %s", async (_name, overrides, expected) => {
    const body = pushBody({ PhoneNumber: MANUAL_PHONE, PartyA: MANUAL_PHONE, ...overrides })
    const res = await call(sim, PUSH, { token: bearer, body })
    expect(res.status).toBe(expected.status)
    if (expected.body) expect(res.body).toEqual(expected.body)
    expect(sim.prompts()).toHaveLength(expected.status === 200 ? 1 : 0)
  })

  it("answers a valid push exactly like Daraja", async () => {
    const res = await call(sim, PUSH, { token: bearer, body: pushBody({ PhoneNumber: MANUAL_PHONE }) })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({
      MerchantRequestID: expect.stringMatching(/^[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\d{4}$/),
      CheckoutRequestID: expect.stringMatching(/^ws_CO_\d+$/),
      ResponseCode: "0",
      ResponseDescription: "Success. Request accepted for processing",
      CustomerMessage: "Success. Request accepted for processing",
    })
  })

  it("issues a unique CheckoutRequestID per push", async () => {
    const ids = new Set<string>()
    // One phone each: a second push to a phone whose prompt is open would be refused (subscriber lock).
    for (let i = 0; i < 20; i++) {
      const phone = `2547110000${String(i).padStart(2, "0")}`
      ids.add((await push(sim, bearer, pushBody({ PhoneNumber: phone, PartyA: phone }))).CheckoutRequestID)
    }
    expect(ids.size).toBe(20)
  })

  it("blames BusinessShortCode for a body that is not JSON, as Daraja's FAQ describes", async () => {
    const notJson = await call(sim, PUSH, { token: bearer, body: "BusinessShortCode=174379", headers: { "content-type": "application/json" } })
    expect(notJson.body).toEqual(bad("BusinessShortCode").body)
    const formEncoded = await call(sim, PUSH, {
      token: bearer,
      body: JSON.stringify(pushBody()),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    })
    expect(formEncoded.status).toBe(400)
    expect(formEncoded.body).toEqual(bad("BusinessShortCode").body)
    const array = await call(sim, PUSH, { token: bearer, body: [pushBody()] })
    expect(array.body).toEqual(bad("BusinessShortCode").body)
  })
})

describe("Daraja simulator: STK push validation by profile", () => {
  const profiles: Array<[string, DarajaSimulatorOptions["strict"]]> = [
    ["lenient (default)", undefined],
    ["strict", true],
    ["strict timestampWindow only", { timestampWindow: true }],
    ["strict transactionDescLength only", { transactionDescLength: true }],
  ]
  const sims = new Map<string, DarajaSimulator>()
  let bearers: Map<string, string>

  beforeAll(async () => {
    for (const [name, strict] of profiles) sims.set(name, await startDarajaSimulator({ ...FAST, strict }))
  })
  afterAll(async () => {
    for (const sim of sims.values()) await sim.close()
  })
  beforeEach(async () => {
    bearers = new Map()
    for (const [name, sim] of sims) {
      sim.reset()
      bearers.set(name, await token(sim))
    }
  })

  async function pushWith(profile: string, overrides: Record<string, unknown>) {
    const sim = sims.get(profile)!
    return call(sim, PUSH, { token: bearers.get(profile), body: pushBody({ PhoneNumber: MANUAL_PHONE, PartyA: MANUAL_PHONE, ...overrides }) })
  }

  // [case, overrides, whether the rule that rejects it is timestampWindow or transactionDescLength, reply when it does]
  const ruled: Array<[string, Record<string, unknown>, "timestampWindow" | "transactionDescLength", ReturnType<typeof bad>]> = [
    ["a UTC timestamp (3 h behind Nairobi)", withUtcTimestamp(), "timestampWindow", bad("Timestamp")],
    ["a Nairobi timestamp 3 h old", withTimestamp(new Date(Date.now() - 3 * HOUR)), "timestampWindow", bad("Timestamp")],
    ["a 10-minute-old timestamp", withTimestamp(new Date(Date.now() - 10 * 60 * 1000)), "timestampWindow", bad("Timestamp")],
    ["a timestamp from 2019", withTimestamp(new Date("2019-12-19T07:21:15Z")), "timestampWindow", bad("Timestamp")],
    ["a 14-character TransactionDesc", { TransactionDesc: "ABCDEFGHIJKLMN" }, "transactionDescLength", bad("Remarks")],
    ["a 30-character TransactionDesc", { TransactionDesc: THIRTY_CHARS }, "transactionDescLength", bad("Remarks")],
    ["Safaricom's sample library's default TransactionDesc", { TransactionDesc: "Lipa na mpesa online" }, "transactionDescLength", bad("Remarks")],
  ]

  for (const [profile, strict] of profiles) {
    const on = (rule: "timestampWindow" | "transactionDescLength") => strict === true || (typeof strict === "object" && strict[rule] === true)
    it.each(ruled)(`${profile}: push with %s`, async (_name, overrides, rule, rejected) => {
      const res = await pushWith(profile, overrides)
      const sim = sims.get(profile)!
      if (on(rule)) {
        expect(res.status).toBe(rejected.status)
        expect(res.body).toEqual(rejected.body)
        expect(sim.prompts()).toHaveLength(0)
      } else {
        expect(res.status).toBe(200)
        expect(sim.prompts()).toHaveLength(1)
      }
    })

    it(`${profile}: still requires the Password to be built from the Timestamp sent`, async () => {
      // Password from the UTC timestamp, Timestamp field in Nairobi time: a mismatch in every profile.
      const utc = withUtcTimestamp()
      const res = await pushWith(profile, { Password: utc.Password })
      expect(res.status).toBe(500)
      expect(res.body).toEqual(errorBody("500.001.1001", "Wrong credentials"))
    })
  }

  it("lenient: records a long TransactionDesc as sent", async () => {
    await pushWith("lenient (default)", { TransactionDesc: THIRTY_CHARS })
    expect(sims.get("lenient (default)")!.prompts()[0].transactionDesc).toBe(THIRTY_CHARS)
  })

  it("reports the profile in the resolved options", () => {
    expect(sims.get("lenient (default)")!.options.strict).toEqual({ timestampWindow: false, transactionDescLength: false, singleActiveToken: false })
    expect(sims.get("strict")!.options.strict).toEqual({ timestampWindow: true, transactionDescLength: true, singleActiveToken: true })
    expect(sims.get("strict timestampWindow only")!.options.strict).toEqual({
      timestampWindow: true,
      transactionDescLength: false,
      singleActiveToken: false,
    })
  })
})

describe("Daraja simulator: STK query validation", () => {
  let sim: DarajaSimulator
  let bearer: string

  beforeAll(async () => {
    sim = await startDarajaSimulator(FAST)
  })
  afterAll(() => sim.close())
  beforeEach(async () => {
    sim.reset()
    bearer = await token(sim)
  })

  const QUERY = "/mpesa/stkpushquery/v1/query"

  it("rejects an unknown CheckoutRequestID", async () => {
    const res = await query(sim, bearer, "ws_CO_000000000000000")
    expect(res.status).toBe(400)
    expect(res.body).toEqual(bad("CheckoutRequestID").body)
  })

  it("rejects a missing CheckoutRequestID", async () => {
    const res = await call(sim, QUERY, { token: bearer, body: credentials() })
    expect(res.body).toEqual(bad("CheckoutRequestID").body)
  })

  it("checks Password and Timestamp like push", async () => {
    const { CheckoutRequestID } = await push(sim, bearer, pushBody({ PhoneNumber: MANUAL_PHONE }))
    const wrongPassword = await call(sim, QUERY, { token: bearer, body: { ...credentials(), Password: "eA==", CheckoutRequestID } })
    expect(wrongPassword.status).toBe(500)
    expect(wrongPassword.body).toEqual(errorBody("500.001.1001", "Wrong credentials"))
    const malformed = await call(sim, QUERY, { token: bearer, body: { ...credentials(), Timestamp: "20240230120000", CheckoutRequestID } })
    expect(malformed.body).toEqual(bad("Timestamp").body)
    const unknownMerchant = await call(sim, QUERY, { token: bearer, body: { ...withTimestamp(new Date(), "600000"), CheckoutRequestID } })
    expect(unknownMerchant.body).toEqual(errorBody("500.001.1001", "Merchant does not exist"))
  })

  it("accepts a UTC or stale Timestamp when lenient (the default)", async () => {
    const { CheckoutRequestID } = await push(sim, bearer, pushBody({ PhoneNumber: MANUAL_PHONE }))
    for (const stamp of [withUtcTimestamp(), withTimestamp(new Date(Date.now() - 3 * HOUR))]) {
      const res = await call(sim, QUERY, { token: bearer, body: { ...stamp, CheckoutRequestID } })
      // Authenticated: the prompt is simply still pending.
      expect(res.body).toEqual(errorBody("500.001.1001", "The transaction is being processed"))
    }
  })

  it("rejects a Timestamp outside ±5 minutes of Nairobi time under strict timestampWindow", async () => {
    const strict = await startDarajaSimulator({ ...FAST, strict: { timestampWindow: true } })
    try {
      const t = await token(strict)
      const { CheckoutRequestID } = await push(strict, t, pushBody({ PhoneNumber: MANUAL_PHONE }))
      for (const stamp of [withUtcTimestamp(), withTimestamp(new Date(Date.now() - 3 * HOUR))]) {
        const res = await call(strict, QUERY, { token: t, body: { ...stamp, CheckoutRequestID } })
        expect(res.body).toEqual(bad("Timestamp").body)
      }
      const fresh = await call(strict, QUERY, { token: t, body: { ...withTimestamp(new Date(Date.now() - 4 * 60_000)), CheckoutRequestID } })
      expect(fresh.body).toEqual(errorBody("500.001.1001", "The transaction is being processed"))
    } finally {
      await strict.close()
    }
  })

  it("does not reveal another merchant's prompt", async () => {
    const { CheckoutRequestID } = await push(sim, bearer, pushBody({ PhoneNumber: MANUAL_PHONE }))
    const res = await query(sim, bearer, CheckoutRequestID, STORE)
    expect(res.body).toEqual(bad("CheckoutRequestID").body)
  })
})
