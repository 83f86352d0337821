import { constants, generateKeyPairSync, publicEncrypt } from "node:crypto"
import { type DarajaSimulator, type ResultCallbackBody } from "../index"
import { call, errorBody, PAYBILL, push, pushBody, STORE, TILL, tillPushBody, type Receiver, useSimulatorWithReceiver } from "./helpers"

const REVERSAL = "/mpesa/reversal/v1/request"
const STATUS = "/mpesa/transactionstatus/v1/query"

function encrypt(publicKeyPem: string, password = "Safaricom999!*!"): string {
  return publicEncrypt({ key: publicKeyPem, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(password)).toString("base64")
}

describe("Daraja simulator: reversal and transaction status", () => {
  let sim: DarajaSimulator
  let receiver: Receiver
  let bearer: string
  const env = useSimulatorWithReceiver()
  beforeEach(() => ({ sim, receiver, bearer } = env))

  function reversalBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      Initiator: "testapi",
      SecurityCredential: encrypt(sim.publicKeyPem),
      CommandID: "TransactionReversal",
      TransactionID: "SKC82PACB8",
      Amount: 1250,
      ReceiverParty: PAYBILL,
      RecieverIdentifierType: "11",
      ResultURL: receiver.url + "/reversal/result",
      QueueTimeOutURL: receiver.url + "/reversal/timeout",
      Remarks: "Refund order 123",
      Occasion: "Refund",
      ...overrides,
    }
  }

  function statusBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      Initiator: "testapi",
      SecurityCredential: encrypt(sim.publicKeyPem),
      CommandID: "TransactionStatusQuery",
      TransactionID: "SKC82PACB8",
      PartyA: PAYBILL,
      IdentifierType: "4",
      ResultURL: receiver.url + "/status/result",
      QueueTimeOutURL: receiver.url + "/status/timeout",
      Remarks: "Reconcile",
      Occasion: "Query",
      ...overrides,
    }
  }

  /** Pays a prompt and returns its receipt. */
  async function paidReceipt(body = pushBody({ Amount: 1250 }, receiver.url + "/stk")): Promise<string> {
    const accepted = await push(sim, bearer, body)
    const prompt = await sim.waitForPrompt((p) => p.checkoutRequestId === accepted.CheckoutRequestID && p.state === "completed")
    return prompt.mpesaReceiptNumber!
  }

  async function resultAt(path: string): Promise<ResultCallbackBody> {
    for (;;) {
      const hit = receiver.received.find((r) => r.path === path)
      if (hit) return hit.body as ResultCallbackBody
      await receiver.waitFor(receiver.received.length + 1)
    }
  }

  it("serves its public key at /simulator/certificate", async () => {
    const res = await call(sim, "/simulator/certificate")
    expect(res.status).toBe(200)
    expect(res.text).toBe(sim.publicKeyPem)
    expect(sim.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/)
  })

  it("acknowledges a reversal and POSTs a successful Result to ResultURL", async () => {
    const receipt = await paidReceipt()
    const res = await call(sim, REVERSAL, { token: bearer, body: reversalBody({ TransactionID: receipt }) })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({
      OriginatorConversationID: expect.any(String),
      ConversationID: expect.stringMatching(/^AG_\d{8}_[0-9a-f]{20}$/),
      ResponseCode: "0",
      ResponseDescription: "Accept the service request successfully.",
    })
    const ack = res.body as { OriginatorConversationID: string; ConversationID: string }
    const result = await resultAt("/reversal/result")
    expect(result).toEqual({
      Result: {
        ResultType: 0,
        ResultCode: 0,
        ResultDesc: "The service request is processed successfully.",
        OriginatorConversationID: ack.OriginatorConversationID,
        ConversationID: ack.ConversationID,
        TransactionID: expect.stringMatching(/^[A-Z0-9]{10}$/),
        ResultParameters: {
          ResultParameter: [
            { Key: "Amount", Value: 1250 },
            { Key: "TransCompletedTime", Value: expect.any(Number) },
            { Key: "OriginalTransactionID", Value: receipt },
            { Key: "Charge", Value: 0 },
            { Key: "CreditPartyPublicName", Value: "254708374149 - SIMULATED CUSTOMER" },
            { Key: "DebitPartyPublicName", Value: "174379 - Sandbox Paybill" },
          ],
        },
        ReferenceData: { ReferenceItem: { Key: "QueueTimeoutURL", Value: receiver.url + "/reversal/timeout" } },
      },
    })
    const deliveries = await sim.waitForCallbacks(2) // the STK callback, then the reversal Result
    expect(deliveries.find((c) => c.kind === "reversal")).toMatchObject({ outcome: "delivered", reference: ack.ConversationID })
  })

  it("reverses a receipt only once (R000001 afterwards)", async () => {
    const receipt = await paidReceipt()
    await call(sim, REVERSAL, { token: bearer, body: reversalBody({ TransactionID: receipt, ResultURL: receiver.url + "/r1" }) })
    await call(sim, REVERSAL, { token: bearer, body: reversalBody({ TransactionID: receipt, ResultURL: receiver.url + "/r2" }) })
    expect((await resultAt("/r1")).Result.ResultCode).toBe(0)
    expect((await resultAt("/r2")).Result).toMatchObject({
      ResultCode: "R000001",
      ResultDesc: "The transaction has already been reversed.",
      TransactionID: expect.stringMatching(/^[A-Z0-9]{3}0000000$/),
    })
  })

  it("fails a reversal of an unknown receipt with R000002, without ResultParameters", async () => {
    await call(sim, REVERSAL, { token: bearer, body: reversalBody() })
    const result = await resultAt("/reversal/result")
    expect(result.Result).toMatchObject({ ResultType: 0, ResultCode: "R000002", ResultDesc: "The OriginalTransactionID is invalid." })
    expect(result.Result).not.toHaveProperty("ResultParameters")
  })

  it("fails a reversal claimed by a shortcode that did not receive the payment (R000002)", async () => {
    const receipt = await paidReceipt()
    await call(sim, REVERSAL, { token: bearer, body: reversalBody({ TransactionID: receipt, ReceiverParty: STORE }) })
    expect((await resultAt("/reversal/result")).Result.ResultCode).toBe("R000002")
  })

  it("reverses a till payment when ReceiverParty is the store number or the till", async () => {
    const receipt = await paidReceipt(tillPushBody({}, receiver.url + "/stk"))
    await call(sim, REVERSAL, { token: bearer, body: reversalBody({ TransactionID: receipt, ReceiverParty: TILL }) })
    expect((await resultAt("/reversal/result")).Result.ResultCode).toBe(0)
  })

  it("fails with 2001 when SecurityCredential was encrypted with another key (e.g. Safaricom's cert)", async () => {
    const receipt = await paidReceipt()
    const otherKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ type: "spki", format: "pem" }).toString()
    await call(sim, REVERSAL, { token: bearer, body: reversalBody({ TransactionID: receipt, SecurityCredential: encrypt(otherKey) }) })
    expect((await resultAt("/reversal/result")).Result).toMatchObject({ ResultCode: 2001, ResultDesc: "The initiator information is invalid." })
  })

  const bad = (field: string) => errorBody("400.002.02", `Bad Request - Invalid ${field}`)

  it.each<[string, Record<string, unknown>, string]>([
    ["a missing Initiator", { Initiator: undefined }, "Initiator"],
    ["a SecurityCredential that is not base64", { SecurityCredential: "not base64!" }, "SecurityCredential"],
    ["a SecurityCredential of the wrong length", { SecurityCredential: Buffer.alloc(128).toString("base64") }, "SecurityCredential"],
    ["the plain initiator password as SecurityCredential", { SecurityCredential: "Safaricom999!*!" }, "SecurityCredential"],
    ["a wrong CommandID", { CommandID: "TransactionStatusQuery" }, "CommandID"],
    ["a missing TransactionID", { TransactionID: undefined }, "TransactionID"],
    ["a fractional Amount", { Amount: 10.5 }, "Amount"],
    ["a non-numeric ReceiverParty", { ReceiverParty: "shop" }, "ReceiverParty"],
    ["an unknown RecieverIdentifierType", { RecieverIdentifierType: "3" }, "RecieverIdentifierType"],
    [
      "the correctly spelled ReceiverIdentifierType (Daraja wants its misspelling)",
      { RecieverIdentifierType: undefined, ReceiverIdentifierType: "11" },
      "RecieverIdentifierType",
    ],
    ["a relative ResultURL", { ResultURL: "/result" }, "ResultURL"],
    ["a missing QueueTimeOutURL", { QueueTimeOutURL: undefined }, "QueueTimeOutURL"],
    ["a 1-character Remarks", { Remarks: "x" }, "Remarks"],
    ["a 101-character Remarks", { Remarks: "x".repeat(101) }, "Remarks"],
  ])("rejects a reversal with %s", async (_name, overrides, field) => {
    const res = await call(sim, REVERSAL, { token: bearer, body: reversalBody(overrides) })
    expect(res.status).toBe(400)
    expect(res.body).toEqual(bad(field))
  })

  it("accepts both numbers and strings for numeric reversal fields", async () => {
    const res = await call(sim, REVERSAL, { token: bearer, body: reversalBody({ Amount: "1250", ReceiverParty: 174379, RecieverIdentifierType: 11, Occasion: undefined }) })
    expect(res.status).toBe(200)
  })

  it("reports a paid transaction through Transaction Status", async () => {
    const receipt = await paidReceipt()
    const res = await call(sim, STATUS, { token: bearer, body: statusBody({ TransactionID: receipt }) })
    expect(res.status).toBe(200)
    const ack = res.body as { ConversationID: string; OriginatorConversationID: string; ResponseCode: string }
    expect(ack.ResponseCode).toBe("0")
    const result = await resultAt("/status/result")
    expect(result.Result).toMatchObject({
      ResultType: 0,
      ResultCode: 0,
      ResultDesc: "The service request is processed successfully.",
      ConversationID: ack.ConversationID,
      OriginatorConversationID: ack.OriginatorConversationID,
      TransactionID: receipt,
      ReferenceData: { ReferenceItem: { Key: "Occasion", Value: "Query" } },
    })
    const params = Object.fromEntries(result.Result.ResultParameters!.ResultParameter.map((p) => [p.Key, p.Value]))
    expect(params).toMatchObject({
      ReceiptNo: receipt,
      TransactionStatus: "Completed",
      Amount: 1250,
      DebitPartyName: "254708374149 - SIMULATED CUSTOMER",
      CreditPartyName: "174379 - Sandbox Paybill",
      ReasonType: "Pay Bill Online",
    })
  })

  it("answers 2032 for an unknown receipt, or when PartyA was not a party to it", async () => {
    await call(sim, STATUS, { token: bearer, body: statusBody({ ResultURL: receiver.url + "/unknown" }) })
    expect((await resultAt("/unknown")).Result).toMatchObject({ ResultCode: 2032, ResultDesc: "The transaction receipt number does not exist." })
    const receipt = await paidReceipt()
    await call(sim, STATUS, { token: bearer, body: statusBody({ TransactionID: receipt, PartyA: "600000", ResultURL: receiver.url + "/other" }) })
    expect((await resultAt("/other")).Result.ResultCode).toBe(2032)
  })

  it.each<[string, Record<string, unknown>, string]>([
    ["neither TransactionID nor OriginalConversationID", { TransactionID: "" }, "TransactionID"],
    ["a wrong CommandID", { CommandID: "TransactionReversal" }, "CommandID"],
    ["an unknown IdentifierType", { IdentifierType: "11" }, "IdentifierType"],
    ["a non-numeric PartyA", { PartyA: "paybill" }, "PartyA"],
    ["a malformed SecurityCredential", { SecurityCredential: "abc" }, "SecurityCredential"],
  ])("rejects a status query with %s", async (_name, overrides, field) => {
    const res = await call(sim, STATUS, { token: bearer, body: statusBody(overrides) })
    expect(res.status).toBe(400)
    expect(res.body).toEqual(bad(field))
  })

  it("needs a bearer token like every Daraja endpoint", async () => {
    expect((await call(sim, REVERSAL, { body: reversalBody() })).status).toBe(404)
    expect((await call(sim, STATUS, { token: "stale", body: statusBody() })).status).toBe(404)
  })
})
