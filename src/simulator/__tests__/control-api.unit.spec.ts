import { type DarajaSimulator, type StkPrompt } from "../index"
import { call, push, pushBody, type Receiver, useSimulatorWithReceiver } from "./helpers"

interface StkCallback {
  Body: { stkCallback: { CheckoutRequestID: string; ResultCode: number } }
}

const MANUAL_PHONE = "254711000000"

describe("Daraja simulator: control API and virtual phone", () => {
  let sim: DarajaSimulator
  let receiver: Receiver
  let bearer: string
  const env = useSimulatorWithReceiver()
  beforeEach(() => ({ sim, receiver, bearer } = env))

  async function manualPrompt(amount = 1250): Promise<string> {
    return (await push(sim, bearer, pushBody({ PhoneNumber: MANUAL_PHONE, PartyA: MANUAL_PHONE, Amount: amount }, receiver.url))).CheckoutRequestID
  }

  it("lists prompts with their state", async () => {
    const id = await manualPrompt(99)
    const res = await call(sim, "/simulator/prompts")
    expect(res.status).toBe(200)
    const { prompts } = res.body as { prompts: StkPrompt[] }
    expect(prompts).toEqual([
      expect.objectContaining({
        checkoutRequestId: id,
        state: "awaiting_customer",
        amount: 99,
        phoneNumber: MANUAL_PHONE,
        shortcode: "174379",
        accountReference: "ORDER123",
        merchantName: "Sandbox Paybill",
      }),
    ])
  })

  it.each([
    ["approve", undefined, 0],
    ["decline", undefined, 1032],
    ["decline", { resultCode: 2001 }, 2001],
    ["decline", { resultCode: 1 }, 1],
    ["timeout", undefined, 1037],
  ])("POST /simulator/prompts/:id/%s %j ends the prompt with %i", async (action, body, code) => {
    const id = await manualPrompt()
    const res = await call(sim, `/simulator/prompts/${id}/${action}`, { method: "POST", body })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ prompt: expect.objectContaining({ checkoutRequestId: id, state: "processing", resultCode: code }) })
    const [received] = await receiver.waitFor(1)
    expect((received.body as StkCallback).Body.stkCallback).toMatchObject({ CheckoutRequestID: id, ResultCode: code })
  })

  it("answers 404 for an unknown prompt and 409 for one already answered", async () => {
    expect((await call(sim, "/simulator/prompts/ws_CO_nope/approve", { method: "POST" })).status).toBe(404)
    const id = await manualPrompt()
    await call(sim, `/simulator/prompts/${id}/approve`, { method: "POST" })
    const again = await call(sim, `/simulator/prompts/${id}/decline`, { method: "POST" })
    expect(again.status).toBe(409)
    expect(again.body).toEqual({ error: expect.stringContaining("not waiting for the customer") })
  })

  it("validates the decline body", async () => {
    const id = await manualPrompt()
    expect((await call(sim, `/simulator/prompts/${id}/decline`, { method: "POST", body: { resultCode: 0 } })).status).toBe(400)
    expect((await call(sim, `/simulator/prompts/${id}/decline`, { method: "POST", body: { code: 1 } })).status).toBe(400)
    expect((await call(sim, `/simulator/prompts/${id}/decline`, { method: "POST", body: "{nope" })).status).toBe(400)
    expect((await call(sim, `/simulator/prompts/${id}/approve`, { method: "GET" })).status).toBe(405)
  })

  it("sets and reads faults over HTTP", async () => {
    const res = await call(sim, "/simulator/faults", { method: "POST", body: { rejectPush: "spike_arrest", callbackDelayMs: 100 } })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ faults: expect.objectContaining({ rejectPush: "spike_arrest", callbackDelayMs: 100, dropCallbacks: false }) })
    expect(sim.faults().rejectPush).toBe("spike_arrest")
    expect((await call(sim, "/simulator/faults")).body).toEqual(res.body)
    const bad = await call(sim, "/simulator/faults", { method: "POST", body: { rejectPush: "sometimes" } })
    expect(bad.status).toBe(400)
    expect(bad.body).toEqual({ error: expect.stringContaining("rejectPush") })
    expect((await call(sim, "/simulator/faults", { method: "POST", body: { typo: true } })).status).toBe(400)
  })

  it("sets reversalOutcome over HTTP and refuses values it does not know", async () => {
    const res = await call(sim, "/simulator/faults", { method: "POST", body: { reversalOutcome: "queue_timeout" } })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ faults: expect.objectContaining({ reversalOutcome: "queue_timeout", dropCallbacks: false }) })
    expect(sim.faults().reversalOutcome).toBe("queue_timeout")
    const bad = await call(sim, "/simulator/faults", { method: "POST", body: { reversalOutcome: "slow" } })
    expect(bad.status).toBe(400)
    expect(bad.body).toEqual({ error: expect.stringContaining("reversalOutcome") })
    expect(sim.faults().reversalOutcome).toBe("queue_timeout")
  })

  it("lists reversal requests over HTTP", async () => {
    expect((await call(sim, "/simulator/reversals")).body).toEqual({ reversals: [] })
    const res = await call(sim, "/mpesa/reversal/v1/request", {
      token: bearer,
      body: {
        Initiator: "testapi",
        SecurityCredential: Buffer.alloc(256, 7).toString("base64"), // the right shape, not our key: 2001
        CommandID: "TransactionReversal",
        TransactionID: "SKC82PACB8",
        Amount: 10,
        ReceiverParty: "174379",
        RecieverIdentifierType: "11",
        ResultURL: receiver.url + "/result",
        QueueTimeOutURL: receiver.url + "/timeout",
        Remarks: "Refund",
      },
    })
    const ack = res.body as { OriginatorConversationID: string }
    const listed = await call(sim, "/simulator/reversals")
    expect(listed.body).toEqual({ reversals: sim.reversals() })
    expect(listed.body).toEqual({
      reversals: [expect.objectContaining({ originatorConversationId: ack.OriginatorConversationID, processed: false, resultCode: 2001 })],
    })
    expect((await call(sim, "/simulator/reversals", { method: "POST" })).status).toBe(405)
  })

  it("resets over HTTP", async () => {
    await manualPrompt()
    sim.setFaults({ dropCallbacks: true })
    const res = await call(sim, "/simulator/reset", { method: "POST" })
    expect(res.body).toEqual({ ok: true })
    expect(sim.prompts()).toHaveLength(0)
    expect(sim.faults().dropCallbacks).toBe(false)
    expect(sim.stats().calls.stkPush).toBe(0)
  })

  it("reports stats and callback deliveries over HTTP", async () => {
    await push(sim, bearer, pushBody({}, receiver.url))
    await sim.waitForCallbacks(1)
    const stats = await call(sim, "/simulator/stats")
    expect(stats.body).toEqual(sim.stats())
    expect(stats.body).toMatchObject({ calls: { oauth: 1, stkPush: 1 }, tokensIssued: 1, callbacksDelivered: 1 })
    const callbacks = await call(sim, "/simulator/callbacks")
    expect(callbacks.body).toEqual({ callbacks: [expect.objectContaining({ kind: "stk", outcome: "delivered", httpStatus: 200 })] })
  })

  it("answers unknown control paths with a JSON 404", async () => {
    const res = await call(sim, "/simulator/nothing")
    expect(res.status).toBe(404)
    expect(res.body).toEqual({ error: expect.any(String) })
  })

  it("serves the virtual phone page, self-contained", async () => {
    const res = await call(sim, "/")
    expect(res.status).toBe(200)
    expect(res.contentType).toMatch(/^text\/html/)
    expect(res.text).toContain("<title>Virtual phone")
    expect(res.text).toContain("/simulator/prompts")
    expect(res.text).toContain("Enter M-PESA PIN")
    for (const label of ["Cancel (1032)", "Wrong PIN (2001)", "Insufficient funds (1)"]) expect(res.text).toContain(label)
    // Works offline: no external scripts, styles, fonts or images.
    expect(res.text).not.toMatch(/(src|href)=["']https?:/)
    expect(res.text).not.toMatch(/@import|url\(/)
  })

  it("keeps the page's script valid JavaScript", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { virtualPhonePage } = require("../virtual-phone-page") as typeof import("../virtual-phone-page")
    const script = /<script>([\s\S]*)<\/script>/.exec(virtualPhonePage())![1]
    expect(() => new Function(script)).not.toThrow()
    expect(script).toContain("/^\\d{4}$/")
  })
})
