import { constants, generateKeyPairSync, publicEncrypt } from "node:crypto"
import { type DarajaSimulator, type QueueTimeoutBody, type ResultCallbackBody, type ReversalOutcome } from "../index"
import { call, PAYBILL, push, pushBody, STORE, token, type Receiver, useSimulatorWithReceiver } from "./helpers"

const REVERSAL = "/mpesa/reversal/v1/request"
const STATUS = "/mpesa/transactionstatus/v1/query"
const NOT_FOUND = { ResultCode: 2032, ResultDesc: "The transaction receipt number does not exist." }

interface Ack {
  OriginatorConversationID: string
  ConversationID: string
  ResponseCode: string
}

function encrypt(publicKeyPem: string, password = "Safaricom999!*!"): string {
  return publicEncrypt({ key: publicKeyPem, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(password)).toString("base64")
}

describe("Daraja simulator: reversalOutcome fault and status by OriginalConversationID", () => {
  let sim: DarajaSimulator
  let receiver: Receiver
  let bearer: string
  const env = useSimulatorWithReceiver()
  beforeEach(() => ({ sim, receiver, bearer } = env))

  /** Pays a prompt; its STK callback is the first callback of the test. */
  async function paidReceipt(): Promise<string> {
    const accepted = await push(sim, bearer, pushBody({ Amount: 1250 }, receiver.url + "/stk"))
    const prompt = await sim.waitForPrompt((p) => p.checkoutRequestId === accepted.CheckoutRequestID && p.state === "completed")
    return prompt.mpesaReceiptNumber!
  }

  /** Requests a reversal whose Result goes to /<name>/result and whose queue timeout goes to /<name>/timeout. */
  async function reverse(transactionId: string, name: string, overrides: Record<string, unknown> = {}): Promise<Ack> {
    const res = await call(sim, REVERSAL, {
      token: bearer,
      body: {
        Initiator: "testapi",
        SecurityCredential: encrypt(sim.publicKeyPem),
        CommandID: "TransactionReversal",
        TransactionID: transactionId,
        Amount: 1250,
        ReceiverParty: PAYBILL,
        RecieverIdentifierType: "11",
        ResultURL: `${receiver.url}/${name}/result`,
        QueueTimeOutURL: `${receiver.url}/${name}/timeout`,
        Remarks: "Refund order 123",
        ...overrides,
      },
    })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ ResponseCode: "0" })
    return res.body as Ack
  }

  async function status(lookup: Record<string, unknown>, name: string, overrides: Record<string, unknown> = {}): Promise<Ack> {
    const res = await call(sim, STATUS, {
      token: bearer,
      body: {
        Initiator: "testapi",
        SecurityCredential: encrypt(sim.publicKeyPem),
        CommandID: "TransactionStatusQuery",
        PartyA: PAYBILL,
        IdentifierType: "4",
        ResultURL: `${receiver.url}/${name}`,
        QueueTimeOutURL: `${receiver.url}/${name}/timeout`,
        Remarks: "Reconcile",
        ...lookup,
        ...overrides,
      },
    })
    expect(res.status).toBe(200)
    return res.body as Ack
  }

  async function bodyAt(path: string): Promise<unknown> {
    for (;;) {
      const hit = receiver.received.find((r) => r.path === path)
      if (hit) return hit.body
      await receiver.waitFor(receiver.received.length + 1)
    }
  }

  const resultAt = async (path: string) => ((await bodyAt(path)) as ResultCallbackBody).Result

  /** Waits until `n` callbacks have settled (delivered, failed or dropped), then lists the paths received. */
  async function settledPaths(n: number): Promise<string[]> {
    await sim.waitForCallbacks(n)
    return receiver.received.map((r) => r.path)
  }

  function params(result: ResultCallbackBody["Result"]): Record<string, string | number | undefined> {
    return Object.fromEntries((result.ResultParameters?.ResultParameter ?? []).map((p) => [p.Key, p.Value]))
  }

  it("is a fault switch: normal by default, settable, cleared by reset", () => {
    expect(sim.faults().reversalOutcome).toBe("normal")
    for (const outcome of ["fail", "queue_timeout", "lost_result", "normal"] as ReversalOutcome[]) {
      expect(sim.setFaults({ reversalOutcome: outcome }).reversalOutcome).toBe(outcome)
    }
    sim.setFaults({ reversalOutcome: "fail" })
    sim.reset()
    expect(sim.faults().reversalOutcome).toBe("normal")
  })

  describe("normal", () => {
    it("remembers every request by OriginatorConversationID with what happened", async () => {
      const receipt = await paidReceipt()
      const ok = await reverse(receipt, "ok")
      const again = await reverse(receipt, "again")
      const unknown = await reverse("SKC82PACB8", "unknown")
      const otherKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ type: "spki", format: "pem" }).toString()
      const badKey = await reverse(receipt, "badkey", { SecurityCredential: encrypt(otherKey) })
      const result = await resultAt("/ok/result")

      const byId = Object.fromEntries(sim.reversals().map((r) => [r.originatorConversationId, r]))
      expect(sim.reversals().map((r) => r.originatorConversationId)).toEqual([ok, again, unknown, badKey].map((a) => a.OriginatorConversationID))
      expect(byId[ok.OriginatorConversationID]).toEqual({
        originatorConversationId: ok.OriginatorConversationID,
        conversationId: ok.ConversationID,
        transactionId: receipt,
        amount: 1250,
        receiverParty: PAYBILL,
        reversalOutcome: "normal",
        processed: true,
        reversed: {
          transactionId: result.TransactionID,
          completedAt: expect.stringMatching(/^\d{14}$/),
          payment: expect.objectContaining({ receipt, amount: 1250, shortcode: PAYBILL, reversedBy: null }),
        },
        resultCode: 0,
        resultDesc: "The service request is processed successfully.",
        delivery: "result_url",
        receivedAt: expect.any(String),
      })
      expect(byId[again.OriginatorConversationID]).toMatchObject({ processed: false, reversed: null, resultCode: "R000001", delivery: "result_url" })
      expect(byId[unknown.OriginatorConversationID]).toMatchObject({ processed: false, resultCode: "R000002", transactionId: "SKC82PACB8" })
      expect(byId[badKey.OriginatorConversationID]).toMatchObject({ processed: false, resultCode: 2001 })
    })
  })

  describe("fail", () => {
    it("does not reverse, and POSTs ResultCode 1 with a placeholder TransactionID to ResultURL", async () => {
      const receipt = await paidReceipt()
      sim.setFaults({ reversalOutcome: "fail" })
      const ack = await reverse(receipt, "fail")
      const result = await resultAt("/fail/result")
      expect(result).toEqual({
        ResultType: 0,
        ResultCode: 1,
        ResultDesc: "The balance is insufficient for the transaction.",
        OriginatorConversationID: ack.OriginatorConversationID,
        ConversationID: ack.ConversationID,
        TransactionID: expect.stringMatching(/^[A-Z0-9]{3}0000000$/),
        ReferenceData: { ReferenceItem: { Key: "QueueTimeoutURL", Value: `${receiver.url}/fail/timeout` } },
      })
      expect(sim.reversals()).toEqual([
        expect.objectContaining({ originatorConversationId: ack.OriginatorConversationID, reversalOutcome: "fail", processed: false, resultCode: 1 }),
      ])
      expect(await settledPaths(2)).not.toContain("/fail/timeout")

      // Not processed: once the switch is off, the same receipt reverses.
      sim.setFaults({ reversalOutcome: "normal" })
      await reverse(receipt, "retry")
      expect((await resultAt("/retry/result")).ResultCode).toBe(0)
    })

    it("still reports a bad credential (2001) and an unknown receipt (R000002) first", async () => {
      sim.setFaults({ reversalOutcome: "fail" })
      const receipt = await paidReceipt()
      const otherKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ type: "spki", format: "pem" }).toString()
      await reverse(receipt, "badkey", { SecurityCredential: encrypt(otherKey) })
      await reverse("SKC82PACB8", "unknown")
      expect((await resultAt("/badkey/result")).ResultCode).toBe(2001)
      expect((await resultAt("/unknown/result")).ResultCode).toBe("R000002")
    })
  })

  describe("queue_timeout", () => {
    it("does not reverse; POSTs a timeout body to QueueTimeOutURL and nothing to ResultURL", async () => {
      const receipt = await paidReceipt()
      sim.setFaults({ reversalOutcome: "queue_timeout" })
      const ack = await reverse(receipt, "queued")
      const body = (await bodyAt("/queued/timeout")) as QueueTimeoutBody
      expect(body).toEqual({
        Result: {
          ResultType: 1,
          ResultCode: "1",
          ResultDesc: "The service request timed out.",
          OriginatorConversationID: ack.OriginatorConversationID,
          ConversationID: ack.ConversationID,
        },
      })
      expect(await settledPaths(2)).not.toContain("/queued/result")
      expect(sim.callbacks().find((c) => c.kind === "reversal_timeout")).toMatchObject({
        outcome: "delivered",
        url: `${receiver.url}/queued/timeout`,
        reference: ack.ConversationID,
      })
      expect(sim.reversals()).toEqual([
        expect.objectContaining({ reversalOutcome: "queue_timeout", processed: false, reversed: null, resultCode: null, resultDesc: null, delivery: "queue_timeout_url" }),
      ])

      sim.setFaults({ reversalOutcome: "normal" })
      await reverse(receipt, "retry")
      expect((await resultAt("/retry/result")).ResultCode).toBe(0)
    })

    it("times out even a request M-Pesa would have refused: it never got that far", async () => {
      sim.setFaults({ reversalOutcome: "queue_timeout" })
      const ack = await reverse("SKC82PACB8", "unknown")
      expect(((await bodyAt("/unknown/timeout")) as QueueTimeoutBody).Result.ConversationID).toBe(ack.ConversationID)
      expect(await settledPaths(1)).toEqual(["/unknown/timeout"])
    })
  })

  describe("lost_result", () => {
    it("reverses the payment but never POSTs the Result (recorded as dropped)", async () => {
      const receipt = await paidReceipt()
      sim.setFaults({ reversalOutcome: "lost_result" })
      const ack = await reverse(receipt, "lost")
      const deliveries = await sim.waitForCallbacks(2)
      const dropped = deliveries.find((c) => c.kind === "reversal")
      expect(dropped).toMatchObject({ outcome: "dropped", reference: ack.ConversationID, url: `${receiver.url}/lost/result`, httpStatus: null })
      const lost = (dropped!.payload as ResultCallbackBody).Result
      expect(lost).toMatchObject({ ResultCode: 0, OriginatorConversationID: ack.OriginatorConversationID })
      expect(sim.stats().callbacksDropped).toBe(1)
      expect(receiver.received.map((r) => r.path)).toEqual(["/stk"])
      expect(sim.reversals()).toEqual([
        expect.objectContaining({
          reversalOutcome: "lost_result",
          processed: true,
          reversed: expect.objectContaining({ transactionId: lost.TransactionID }),
          resultCode: 0,
          delivery: "none",
        }),
      ])

      // Processed: the receipt is already reversed.
      sim.setFaults({ reversalOutcome: "normal" })
      await reverse(receipt, "again")
      expect((await resultAt("/again/result")).ResultCode).toBe("R000001")
    })
  })

  describe("Transaction Status by OriginalConversationID", () => {
    it("reports a processed reversal as its own completed transaction", async () => {
      const receipt = await paidReceipt()
      const reversal = await reverse(receipt, "rev")
      const reversalId = (await resultAt("/rev/result")).TransactionID
      const ack = await status({ OriginalConversationID: reversal.OriginatorConversationID }, "status")
      const result = await resultAt("/status")
      expect(result).toMatchObject({
        ResultType: 0,
        ResultCode: 0,
        ResultDesc: "The service request is processed successfully.",
        // The header identifies this status request; the parameters identify the reversal.
        OriginatorConversationID: ack.OriginatorConversationID,
        ConversationID: ack.ConversationID,
        TransactionID: reversalId,
      })
      expect(params(result)).toEqual({
        DebitPartyName: "174379 - Sandbox Paybill",
        CreditPartyName: "254708374149 - SIMULATED CUSTOMER",
        OriginatorConversationID: reversal.OriginatorConversationID,
        InitiatedTime: expect.any(Number),
        DebitAccountType: "Utility Account",
        DebitPartyCharges: undefined,
        TransactionReason: undefined,
        ReasonType: "Reversal",
        TransactionStatus: "Completed",
        FinalisedTime: expect.any(Number),
        Amount: 1250,
        ConversationID: reversal.ConversationID,
        ReceiptNo: reversalId,
        OriginalTransactionID: receipt,
      })
      // Value-less parameters are sent without a Value key, as Daraja does.
      expect(result.ResultParameters!.ResultParameter).toContainEqual({ Key: "TransactionReason" })
    })

    it("finds a reversal whose Result was lost: the way to learn it happened", async () => {
      const receipt = await paidReceipt()
      sim.setFaults({ reversalOutcome: "lost_result" })
      const reversal = await reverse(receipt, "lost")
      await sim.waitForCallbacks(2)
      await status({ OriginalConversationID: reversal.OriginatorConversationID }, "status")
      const result = await resultAt("/status")
      expect(result.ResultCode).toBe(0)
      expect(params(result)).toMatchObject({ ReceiptNo: sim.reversals()[0].reversed!.transactionId, TransactionStatus: "Completed" })
    })

    it.each<[string, ReversalOutcome]>([
      ["failed", "fail"],
      ["timed out in the queue", "queue_timeout"],
    ])("answers 2032 for a reversal that %s (nothing was processed)", async (_name, outcome) => {
      const receipt = await paidReceipt()
      sim.setFaults({ reversalOutcome: outcome })
      const reversal = await reverse(receipt, "rev")
      await status({ OriginalConversationID: reversal.OriginatorConversationID, TransactionID: "" }, "status")
      expect(await resultAt("/status")).toMatchObject(NOT_FOUND)
    })

    it("answers 2032 for an unknown conversation, a refused reversal, or a PartyA that took no part", async () => {
      await status({ OriginalConversationID: "3124-481d-b706-10bdd6fbc8e21792398" }, "unknown")
      expect(await resultAt("/unknown")).toMatchObject(NOT_FOUND)
      const refused = await reverse("SKC82PACB8", "refused")
      await status({ OriginalConversationID: refused.OriginatorConversationID }, "refused-status")
      expect(await resultAt("/refused-status")).toMatchObject(NOT_FOUND)
      const receipt = await paidReceipt()
      const reversal = await reverse(receipt, "rev")
      await status({ OriginalConversationID: reversal.OriginatorConversationID }, "stranger", { PartyA: STORE })
      expect(await resultAt("/stranger")).toMatchObject(NOT_FOUND)
      // The customer's number is a party to the reversal too.
      await status({ OriginalConversationID: reversal.OriginatorConversationID }, "customer", { PartyA: "254708374149", IdentifierType: "1" })
      expect((await resultAt("/customer")).ResultCode).toBe(0)
    })

    it("answers 2001 for a credential made with another key, even for a processed reversal", async () => {
      const receipt = await paidReceipt()
      const reversal = await reverse(receipt, "rev")
      const otherKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ type: "spki", format: "pem" }).toString()
      await status({ OriginalConversationID: reversal.OriginatorConversationID }, "status", { SecurityCredential: encrypt(otherKey) })
      expect(await resultAt("/status")).toMatchObject({ ResultCode: 2001, ResultDesc: "The initiator information is invalid." })
    })

    it("looks the receipt up when both ids are given, as before", async () => {
      const receipt = await paidReceipt()
      const reversal = await reverse(receipt, "rev")
      await status({ TransactionID: receipt, OriginalConversationID: reversal.OriginatorConversationID }, "both")
      const result = await resultAt("/both")
      expect(result.TransactionID).toBe(receipt)
      expect(params(result)).toMatchObject({ ReceiptNo: receipt, ReasonType: "Pay Bill Online" })
    })

    it("forgets reversals on reset", async () => {
      const receipt = await paidReceipt()
      const reversal = await reverse(receipt, "rev")
      await resultAt("/rev/result")
      expect(sim.reversals()).toHaveLength(1)
      sim.reset()
      receiver.reset()
      bearer = await token(sim) // reset forgot the tokens too
      expect(sim.reversals()).toEqual([])
      await status({ OriginalConversationID: reversal.OriginatorConversationID }, "status")
      expect(await resultAt("/status")).toMatchObject(NOT_FOUND)
    })
  })
})
