import http from "node:http"
import { REJECTIONS, startDarajaSimulator, type DarajaSimulator, type RejectionKind } from "../index"
import { call, errorBody, FAST, push, pushBody, query, token, type Receiver, useSimulatorWithReceiver } from "./helpers"

const PUSH = "/mpesa/stkpush/v1/processrequest"
const MANUAL_PHONE = "254711000000"

/** A raw POST with its own timeout, to observe hung or reset connections the way an HTTP client does. */
function rawPost(url: string, bearer: string, body: unknown, timeoutMs: number): Promise<{ status: number } | { error: string }> {
  return new Promise((resolve) => {
    const payload = JSON.stringify(body)
    const req = http.request(
      url,
      {
        method: "POST",
        agent: false,
        headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
      },
      (res) => {
        res.resume()
        res.on("end", () => resolve({ status: res.statusCode ?? 0 }))
      },
    )
    req.setTimeout(timeoutMs, () => req.destroy(new Error("client timeout")))
    req.on("error", (e) => resolve({ error: e.message }))
    req.end(payload)
  })
}

describe("Daraja simulator: fault switches", () => {
  let sim: DarajaSimulator
  let receiver: Receiver
  let bearer: string
  const env = useSimulatorWithReceiver()
  beforeEach(() => ({ sim, receiver, bearer } = env))

  it("starts with every switch off and merges partial updates", () => {
    expect(sim.faults()).toEqual({
      callbackDelayMs: null,
      dropCallbacks: false,
      duplicateCallbacks: false,
      callbackBeforeResponse: false,
      rejectPush: null,
      rejectQuery: null,
      expireTokens: false,
      pushResponse: "normal",
      latencyMs: null,
      reversalOutcome: "normal",
    })
    sim.setFaults({ dropCallbacks: true })
    expect(sim.setFaults({ rejectQuery: "quota" })).toMatchObject({ dropCallbacks: true, rejectQuery: "quota" })
    sim.reset()
    expect(sim.faults().dropCallbacks).toBe(false)
  })

  it("rejects unknown or invalid switches loudly", () => {
    expect(() => sim.setFaults({ dropCallback: true } as never)).toThrow("Invalid fault switches")
    expect(() => sim.setFaults({ rejectPush: "nope" } as never)).toThrow("Invalid fault switches")
    expect(() => sim.setFaults({ callbackDelayMs: -1 })).toThrow("Invalid fault switches")
    expect(() => sim.setFaults({ reversalOutcome: "sometimes" } as never)).toThrow("Invalid fault switches")
  })

  it("callbackDelayMs overrides the option and is scaled by timeScale", async () => {
    sim.setFaults({ callbackDelayMs: 20_000 }) // × 0.01 = 200 ms
    const started = Date.now()
    const accepted = await push(sim, bearer, pushBody({}, receiver.url))
    expect((await query(sim, bearer, accepted.CheckoutRequestID)).status).toBe(500)
    const [received] = await receiver.waitFor(1)
    expect(received.at - started).toBeGreaterThanOrEqual(190)
  })

  it("dropCallbacks loses the callback but STK query still answers", async () => {
    sim.setFaults({ dropCallbacks: true })
    const accepted = await push(sim, bearer, pushBody({}, receiver.url))
    // A dropped callback counts as settled, and its record keeps the payload that was never sent.
    const [dropped] = await sim.waitForCallbacks(1)
    expect(dropped).toMatchObject({ outcome: "dropped", httpStatus: null, payload: { Body: { stkCallback: { ResultCode: 0 } } } })
    await new Promise((r) => setTimeout(r, 50))
    expect(receiver.received).toHaveLength(0)
    expect(sim.stats()).toMatchObject({ callbacksDropped: 1, callbacksDelivered: 0 })
    expect(sim.callbacks()).toEqual([expect.objectContaining({ outcome: "dropped", reference: accepted.CheckoutRequestID })])
    expect((await query(sim, bearer, accepted.CheckoutRequestID)).body).toMatchObject({ ResultCode: "0" })
  })

  it("duplicateCallbacks sends the same callback twice, concurrently", async () => {
    sim.setFaults({ duplicateCallbacks: true })
    receiver.delayMs = 150
    await push(sim, bearer, pushBody({}, receiver.url))
    const [first, second] = await receiver.waitFor(2)
    expect(second.body).toEqual(first.body)
    // Sequential delivery would put them at least 150 ms apart.
    expect(Math.abs(second.at - first.at)).toBeLessThan(120)
    const deliveries = await sim.waitForCallbacks(2)
    expect(deliveries.map((d) => d.copy).sort()).toEqual([1, 2])
    expect(sim.stats().callbacksDelivered).toBe(2)
  })

  it("callbackBeforeResponse delivers (and awaits) the callback before the push answers", async () => {
    sim.setFaults({ callbackBeforeResponse: true, callbackDelayMs: 60_000 })
    receiver.delayMs = 100
    const accepted = await push(sim, bearer, pushBody({}, receiver.url))
    expect(receiver.received).toHaveLength(1)
    const body = receiver.received[0].body as { Body: { stkCallback: { CheckoutRequestID: string } } }
    expect(body.Body.stkCallback.CheckoutRequestID).toBe(accepted.CheckoutRequestID)
    expect(sim.stats().callbacksDelivered).toBe(1)
  })

  it("callbackBeforeResponse leaves prompts that wait for the customer alone", async () => {
    sim.setFaults({ callbackBeforeResponse: true })
    const accepted = await push(sim, bearer, pushBody({ PhoneNumber: MANUAL_PHONE }, receiver.url))
    expect(sim.prompts()[0]).toMatchObject({ checkoutRequestId: accepted.CheckoutRequestID, state: "awaiting_customer" })
    expect(receiver.received).toHaveLength(0)
  })

  it.each(Object.keys(REJECTIONS) as RejectionKind[])("rejectPush %s answers Daraja's error and creates no prompt", async (kind) => {
    sim.setFaults({ rejectPush: kind })
    const res = await call(sim, PUSH, { token: bearer, body: pushBody({}, receiver.url) })
    expect(res.status).toBe(500)
    expect(res.body).toEqual(errorBody(REJECTIONS[kind].errorCode, REJECTIONS[kind].errorMessage))
    expect(sim.prompts()).toHaveLength(0)
  })

  it("rejectPush uses Safaricom's codes and messages", () => {
    expect(REJECTIONS).toEqual({
      subscriber_locked: {
        errorCode: "500.001.1001",
        errorMessage: "Unable to lock subscriber, a transaction is already in process for the current subscriber",
      },
      spike_arrest: { errorCode: "500.003.02", errorMessage: "Error Occurred: Spike Arrest Violation" },
      system_busy: { errorCode: "500.003.02", errorMessage: "System is busy. Please try again in few minutes." },
      quota: { errorCode: "500.003.03", errorMessage: "Quota Violation" },
      internal_error: { errorCode: "500.003.1001", errorMessage: "Internal Server Error" },
    })
  })

  it.each(Object.keys(REJECTIONS) as RejectionKind[])("rejectQuery %s answers Daraja's error", async (kind) => {
    const accepted = await push(sim, bearer, pushBody({}, receiver.url))
    await receiver.waitFor(1)
    sim.setFaults({ rejectQuery: kind })
    const res = await query(sim, bearer, accepted.CheckoutRequestID)
    expect(res.status).toBe(500)
    expect(res.body).toEqual(errorBody(REJECTIONS[kind].errorCode, REJECTIONS[kind].errorMessage))
  })

  it("expireTokens: a cached token fails once switched on; new tokens last one call", async () => {
    // A fresh phone per push: a second push to a phone with an open prompt would be refused (subscriber lock).
    let n = 0
    const manual = () => {
      const phone = `2547110001${String(n++).padStart(2, "0")}`
      return pushBody({ PhoneNumber: phone, PartyA: phone }, receiver.url)
    }
    expect((await call(sim, PUSH, { token: bearer, body: manual() })).status).toBe(200)
    sim.setFaults({ expireTokens: true })
    expect((await call(sim, PUSH, { token: bearer, body: manual() })).body).toEqual(errorBody("404.001.03", "Invalid Access Token"))

    const fresh = await token(sim)
    expect((await call(sim, PUSH, { token: fresh, body: manual() })).status).toBe(200)
    expect((await call(sim, PUSH, { token: fresh, body: manual() })).status).toBe(404)
    // Once refused, the token stays dead.
    expect((await call(sim, PUSH, { token: fresh, body: manual() })).status).toBe(404)

    const unused = await token(sim)
    sim.setFaults({ expireTokens: true })
    expect((await call(sim, PUSH, { token: unused, body: manual() })).status).toBe(404)

    sim.setFaults({ expireTokens: false })
    const normal = await token(sim)
    for (let i = 0; i < 3; i++) expect((await call(sim, PUSH, { token: normal, body: manual() })).status).toBe(200)
  })

  it("expireTokens spends every live token, not only the latest (lenient keeps several)", async () => {
    const older = await token(sim)
    const newer = await token(sim)
    sim.setFaults({ expireTokens: true })
    for (const t of [bearer, older, newer]) {
      expect((await call(sim, PUSH, { token: t, body: pushBody({ PhoneNumber: MANUAL_PHONE }, receiver.url) })).status).toBe(404)
    }
    expect(sim.prompts()).toHaveLength(0)
  })

  it("pushResponse 'hang' accepts the prompt but never answers", async () => {
    sim.setFaults({ pushResponse: "hang" })
    const result = await rawPost(sim.url + PUSH, bearer, pushBody({}, receiver.url), 200)
    expect(result).toEqual({ error: "client timeout" })
    // The prompt went ahead regardless: the customer pays and the callback arrives.
    expect(sim.prompts()).toHaveLength(1)
    await receiver.waitFor(1)
  })

  it("close() ends hung requests instead of waiting for them", async () => {
    const other = await startDarajaSimulator(FAST)
    const t = await token(other)
    other.setFaults({ pushResponse: "hang" })
    const pending = rawPost(other.url + PUSH, t, pushBody({ PhoneNumber: MANUAL_PHONE }, receiver.url), 5000)
    await other.waitForPrompt()
    const started = Date.now()
    await other.close()
    expect(Date.now() - started).toBeLessThan(1000)
    expect(await pending).toEqual({ error: expect.any(String) })
  })

  it("pushResponse 'reset' accepts the prompt and destroys the socket", async () => {
    sim.setFaults({ pushResponse: "reset" })
    const result = await rawPost(sim.url + PUSH, bearer, pushBody({}, receiver.url), 2000)
    expect(result).toEqual({ error: expect.stringMatching(/socket hang up|ECONNRESET/) })
    expect(sim.prompts()).toHaveLength(1)
  })

  it("pushResponse 'html502' accepts the prompt and answers a 502 HTML page", async () => {
    sim.setFaults({ pushResponse: "html502" })
    const res = await call(sim, PUSH, { token: bearer, body: pushBody({}, receiver.url) })
    expect(res.status).toBe(502)
    expect(res.contentType).toMatch(/^text\/html/)
    expect(res.text).toContain("502 Bad Gateway")
    expect(sim.prompts()).toHaveLength(1)
  })

  it("latencyMs delays every Daraja response, unscaled by timeScale", async () => {
    sim.setFaults({ latencyMs: 150 })
    let started = Date.now()
    await token(sim)
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)
    started = Date.now()
    await call(sim, "/simulator/stats")
    expect(Date.now() - started).toBeLessThan(100)
  })

  it("the latencyMs option applies from the start", async () => {
    const slow = await startDarajaSimulator({ ...FAST, latencyMs: 100 })
    try {
      const started = Date.now()
      await call(slow, "/mpesa/stkpushquery/v1/query", { body: {} })
      expect(Date.now() - started).toBeGreaterThanOrEqual(90)
    } finally {
      await slow.close()
    }
  })
})
