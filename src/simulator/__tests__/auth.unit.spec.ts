import { startDarajaSimulator, type DarajaSimulator } from "../index"
import { IdFactory } from "../ids"
import { TokenStore } from "../oauth"
import { basic, call, errorBody, FAST, pushBody, token } from "./helpers"

const OAUTH = "/oauth/v1/generate?grant_type=client_credentials"
const PUSH = "/mpesa/stkpush/v1/processrequest"

/**
 * Token lifetimes are wall-clock rules (Date.now). Faking only Date lets a test step the clock
 * exactly, while sockets and timers stay real: real sleeps made these tests fail on a busy machine.
 */
function wallClock() {
  jest.useFakeTimers({
    doNotFake: ["nextTick", "setImmediate", "clearImmediate", "setTimeout", "clearTimeout", "setInterval", "clearInterval", "queueMicrotask", "hrtime", "performance"],
  })
  return { advance: (ms: number) => jest.setSystemTime(Date.now() + ms) }
}
afterEach(() => jest.useRealTimers())

describe("Daraja simulator: OAuth and routing", () => {
  let sim: DarajaSimulator

  beforeAll(async () => {
    sim = await startDarajaSimulator(FAST)
  })
  afterAll(() => sim.close())
  beforeEach(() => sim.reset())

  it("issues a token for the right Basic credentials, with expires_in as a string like Daraja", async () => {
    const res = await call(sim, OAUTH, { headers: { authorization: basic() } })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ access_token: expect.stringMatching(/^[A-Za-z0-9]{28}$/), expires_in: "3599" })
    expect(sim.stats().tokensIssued).toBe(1)
  })

  it("rejects a wrong grant_type with 400.008.02", async () => {
    const res = await call(sim, "/oauth/v1/generate?grant_type=password", { headers: { authorization: basic() } })
    expect(res.status).toBe(400)
    expect(res.body).toEqual(errorBody("400.008.02", "Invalid grant type passed"))
  })

  it.each([
    ["wrong secret", basic("simulator-consumer-key", "nope")],
    ["wrong key", basic("nope", "simulator-consumer-secret")],
    ["missing header", undefined],
    ["not Basic", "Bearer abc"],
    ["no colon", "Basic " + Buffer.from("justakey").toString("base64")],
  ])("rejects bad client credentials (%s) with 400.008.01", async (_name, authorization) => {
    const res = await call(sim, OAUTH, { headers: authorization ? { authorization } : {} })
    expect(res.status).toBe(400)
    expect(res.body).toEqual(errorBody("400.008.01", "Invalid Authentication passed"))
    expect(sim.stats().tokensIssued).toBe(0)
  })

  it("uses configured consumer credentials", async () => {
    const custom = await startDarajaSimulator({ ...FAST, consumerKey: "k", consumerSecret: "s" })
    try {
      expect((await call(custom, OAUTH, { headers: { authorization: basic() } })).status).toBe(400)
      expect((await call(custom, OAUTH, { headers: { authorization: basic("k", "s") } })).status).toBe(200)
    } finally {
      await custom.close()
    }
  })

  it.each([
    ["missing", null],
    ["unknown", "notARealToken"],
  ])("answers 404.001.03 for a %s bearer token", async (_name, bearer) => {
    const res = await call(sim, PUSH, { token: bearer, body: pushBody() })
    expect(res.status).toBe(404)
    expect(res.body).toEqual(errorBody("404.001.03", "Invalid Access Token"))
    expect(sim.prompts()).toHaveLength(0)
  })

  it("keeps earlier unexpired tokens valid when a new one is issued (lenient, the default)", async () => {
    const first = await token(sim)
    const second = await token(sim)
    const third = await token(sim)
    expect(new Set([first, second, third]).size).toBe(3)
    // Distinct amounts, so no push repeats another (that would be rule-limited, though still HTTP 200).
    expect((await call(sim, PUSH, { token: first, body: pushBody({ Amount: 1 }) })).status).toBe(200)
    expect((await call(sim, PUSH, { token: third, body: pushBody({ Amount: 2 }) })).status).toBe(200)
    expect((await call(sim, PUSH, { token: second, body: pushBody({ Amount: 3 }) })).status).toBe(200)
    expect((await call(sim, PUSH, { token: first, body: pushBody({ Amount: 4 }) })).status).toBe(200)
    expect(sim.stats().tokensIssued).toBe(3)
  })

  it("invalidates the previous token when a new one is issued under strict singleActiveToken, as Safaricom's FAQ says", async () => {
    for (const strict of [true, { singleActiveToken: true }] as const) {
      const strictSim = await startDarajaSimulator({ ...FAST, strict })
      try {
        const first = await token(strictSim)
        expect((await call(strictSim, PUSH, { token: first, body: pushBody({ Amount: 1 }) })).status).toBe(200)
        const second = await token(strictSim)
        expect(second).not.toBe(first)
        expect((await call(strictSim, PUSH, { token: first, body: pushBody({ Amount: 2 }) })).body).toEqual(
          errorBody("404.001.03", "Invalid Access Token"),
        )
        expect((await call(strictSim, PUSH, { token: second, body: pushBody({ Amount: 3 }) })).status).toBe(200)
      } finally {
        await strictSim.close()
      }
    }
  })

  it("still expires older tokens after tokenTtlSeconds when lenient", async () => {
    const clock = wallClock()
    const shortLived = await startDarajaSimulator({ ...FAST, tokenTtlSeconds: 0.2 })
    try {
      const old = await token(shortLived)
      clock.advance(120)
      const newer = await token(shortLived)
      clock.advance(120)
      // 240 ms after the first token and 120 ms after the second, however slow the machine is.
      expect((await call(shortLived, PUSH, { token: old, body: pushBody({ Amount: 1 }) })).status).toBe(404)
      expect((await call(shortLived, PUSH, { token: newer, body: pushBody({ Amount: 2 }) })).status).toBe(200)
    } finally {
      await shortLived.close()
    }
  })

  it("expires tokens after tokenTtlSeconds", async () => {
    const clock = wallClock()
    const shortLived = await startDarajaSimulator({ ...FAST, tokenTtlSeconds: 0.2 })
    try {
      const t = await token(shortLived)
      expect((await call(shortLived, PUSH, { token: t, body: pushBody({ Amount: 1 }) })).status).toBe(200)
      clock.advance(250)
      expect((await call(shortLived, PUSH, { token: t, body: pushBody({ Amount: 2 }) })).status).toBe(404)
    } finally {
      await shortLived.close()
    }
  })

  it("reset() forgets issued tokens, all of them", async () => {
    const t = await token(sim)
    const u = await token(sim)
    sim.reset()
    expect((await call(sim, PUSH, { token: t, body: pushBody() })).status).toBe(404)
    expect((await call(sim, PUSH, { token: u, body: pushBody() })).status).toBe(404)
  })

  it.each([
    "/mpesa/stkpush/v1/processrequest",
    "/mpesa/stkpushquery/v1/query",
    "/mpesa/reversal/v1/request",
    "/mpesa/transactionstatus/v1/query",
  ])("answers GET %s with 405.001", async (path) => {
    const res = await call(sim, path, { token: await token(sim) })
    expect(res.status).toBe(405)
    expect(res.body).toEqual(errorBody("405.001", "Method Not Allowed (GET Method Not Allowed)"))
  })

  it("answers an unknown path with 404.001.01", async () => {
    const res = await call(sim, "/mpesa/b2c/v1/paymentrequest", { body: {} })
    expect(res.status).toBe(404)
    expect(res.body).toEqual(errorBody("404.001.01", "Resource not found"))
  })

  it("counts calls per endpoint, rejected ones included", async () => {
    const t = await token(sim)
    // A phone outside the outcome table waits for the customer, so no callback muddles the counts.
    const manual = pushBody({ PhoneNumber: "254711000000" })
    await call(sim, PUSH, { token: t, body: manual })
    await call(sim, PUSH, { token: "bad", body: manual })
    await call(sim, "/mpesa/stkpushquery/v1/query", { token: t, body: {} })
    await call(sim, "/mpesa/reversal/v1/request", { token: t, body: {} })
    await call(sim, "/mpesa/transactionstatus/v1/query", { token: t, body: {} })
    expect(sim.stats()).toEqual({
      calls: { oauth: 1, stkPush: 2, stkQuery: 1, reversal: 1, transactionStatus: 1 },
      tokensIssued: 1,
      callbacksDelivered: 0,
      callbacksFailed: 0,
      callbacksDropped: 0,
    })
  })

  it("validates its own options at start", async () => {
    await expect(startDarajaSimulator({ timeScale: -1 })).rejects.toThrow("timeScale")
    await expect(startDarajaSimulator({ merchants: [{ shortcode: "12", passkey: "x" }] })).rejects.toThrow("shortcode")
    await expect(startDarajaSimulator({ defaultOutcome: "fail" as unknown as "manual" })).rejects.toThrow("defaultOutcome")
    await expect(startDarajaSimulator({ strict: { timestampwindow: true } as never })).rejects.toThrow('no rule "timestampwindow"')
    await expect(startDarajaSimulator({ strict: { singleActiveToken: "yes" } as never })).rejects.toThrow("strict.singleActiveToken")
    await expect(startDarajaSimulator({ strict: "all" as never })).rejects.toThrow("`strict`")
    await expect(startDarajaSimulator({ duplicateRules: "off" as never })).rejects.toThrow("duplicateRules")
  })

  it("defaults to the lenient profile with the duplicate rules on", () => {
    expect(sim.options.strict).toEqual({ timestampWindow: false, transactionDescLength: false, singleActiveToken: false })
    expect(sim.options.duplicateRules).toBe(true)
  })
})

describe("TokenStore", () => {
  it("lenient: every token lives its own TTL", () => {
    const store = new TokenStore(new IdFactory(), 1)
    const a = store.issue(0).token
    const b = store.issue(500).token
    expect(store.accept(a, false, 900)).toBe(true)
    expect(store.accept(b, false, 900)).toBe(true)
    expect(store.accept(a, false, 1000)).toBe(false)
    expect(store.accept(b, false, 1499)).toBe(true)
    expect(store.accept(b, false, 1500)).toBe(false)
  })

  it("singleActiveToken: issuing a token kills the previous one", () => {
    const store = new TokenStore(new IdFactory(), 1, true)
    const a = store.issue(0).token
    expect(store.accept(a, false, 1)).toBe(true)
    const b = store.issue(2).token
    expect(store.accept(a, false, 3)).toBe(false)
    expect(store.accept(b, false, 3)).toBe(true)
  })

  it("lenient: forgets the oldest tokens past 10 000 live ones", () => {
    const store = new TokenStore(new IdFactory(), 3599)
    const first = store.issue(0).token
    const second = store.issue(0).token
    for (let i = 0; i < 9_999; i++) store.issue(0)
    expect(store.accept(first, false, 1)).toBe(false)
    expect(store.accept(second, false, 1)).toBe(true)
  })
})
