import { constants, privateDecrypt } from "node:crypto"
import nock from "nock"
import { classifyDarajaError } from "../classify-error"
import { DarajaApiError, DarajaTransportError, DarajaValidationError } from "../errors"
import type { ReversalParams } from "../reversal"
import type { TransactionStatusParams } from "../transaction-status"
import { ACCESS_TOKEN, BASE_URL, makeClient, mockToken, rejectionOf, setupNock } from "./helpers"
import { selfSignedCertificate } from "./self-signed-cert"

setupNock()

const { certificatePem, privateKey } = selfSignedCertificate()
const INITIATOR_PASSWORD = "Initi@tor-Pa55word"
const ACK = {
  OriginatorConversationID: "71840-27539181-07",
  ConversationID: "AG_20210709_12346c8e6f8858d7b70a",
  ResponseCode: "0",
  ResponseDescription: "Accept the service request successfully.",
}

function decryptCredential(b64: string): string {
  const block = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, Buffer.from(b64, "base64"))
  return block.subarray(block.indexOf(0x00, 2) + 1).toString("utf8")
}

function capture(path: string) {
  const bodies: Array<Record<string, unknown>> = []
  const scope = nock(BASE_URL, { reqheaders: { authorization: `Bearer ${ACCESS_TOKEN}` } })
    .post(path, (b: Record<string, unknown>) => {
      bodies.push(b)
      return true
    })
    .reply(200, ACK)
  return { scope, bodies }
}

describe("reversal", () => {
  const PATH = "/mpesa/reversal/v1/request"
  const params: ReversalParams = {
    initiator: "apiop37",
    initiatorPassword: INITIATOR_PASSWORD,
    certificatePem,
    transactionId: "NLJ7RT61SV",
    amount: 1500,
    receiverParty: "600610",
    resultUrl: "https://shop.example.com/daraja/reversal/result",
    queueTimeOutUrl: "https://shop.example.com/daraja/reversal/timeout",
    remarks: "Refund for order 1042",
  }

  it("sends the documented body (with Daraja's RecieverIdentifierType spelling)", async () => {
    mockToken()
    const { bodies } = capture(PATH)
    const ack = await makeClient().reversal({ ...params, occasion: "Order 1042" })
    const { SecurityCredential, ...rest } = bodies[0]!
    expect(rest).toEqual({
      Initiator: "apiop37",
      CommandID: "TransactionReversal",
      TransactionID: "NLJ7RT61SV",
      Amount: 1500,
      ReceiverParty: "600610",
      RecieverIdentifierType: "11",
      ResultURL: "https://shop.example.com/daraja/reversal/result",
      QueueTimeOutURL: "https://shop.example.com/daraja/reversal/timeout",
      Remarks: "Refund for order 1042",
      Occasion: "Order 1042",
    })
    expect(bodies[0]).not.toHaveProperty("ReceiverIdentifierType")
    expect(decryptCredential(SecurityCredential as string)).toBe(INITIATOR_PASSWORD)
    expect(ack).toEqual({
      originatorConversationId: "71840-27539181-07",
      conversationId: "AG_20210709_12346c8e6f8858d7b70a",
      responseCode: "0",
      responseDescription: "Accept the service request successfully.",
    })
  })

  it("omits Occasion when not given", async () => {
    mockToken()
    const { bodies } = capture(PATH)
    await makeClient().reversal(params)
    expect(bodies[0]).not.toHaveProperty("Occasion")
  })

  it.each<[Partial<ReversalParams>, string]>([
    [{ remarks: "x" }, "remarks"],
    [{ remarks: "y".repeat(101) }, "remarks"],
    [{ amount: 0 }, "amount"],
    [{ amount: 1.5 }, "amount"],
    [{ resultUrl: "not a url" }, "resultUrl"],
    [{ queueTimeOutUrl: "" }, "queueTimeOutUrl"],
    [{ receiverParty: "abc" }, "receiverParty"],
    [{ transactionId: "NL J7" }, "transactionId"],
    [{ initiator: "" }, "initiator"],
    [{ certificatePem: "garbage" }, "certificatePem"],
  ])("validates %j", async (override, field) => {
    const err = await rejectionOf(makeClient().reversal({ ...params, ...override }))
    expect(err).toBeInstanceOf(DarajaValidationError)
    expect((err as DarajaValidationError).field).toBe(field)
  })

  it("is sent once: a timeout is indeterminate", async () => {
    mockToken()
    const scope = nock(BASE_URL).post(PATH).times(2).delay(200).reply(200, ACK)
    const err = await rejectionOf(makeClient({ timeoutMs: 40 }).reversal(params))
    expect(err).toBeInstanceOf(DarajaTransportError)
    expect(classifyDarajaError(err, { idempotent: false })).toBe("indeterminate")
    expect(scope.pendingMocks()).toHaveLength(1)
  })

  it("maps a Daraja rejection", async () => {
    mockToken()
    nock(BASE_URL).post(PATH).reply(400, { requestId: "q", errorCode: "400.002.02", errorMessage: "Bad Request - Invalid Remarks" })
    const err = await rejectionOf(makeClient().reversal(params))
    expect(err).toBeInstanceOf(DarajaApiError)
    expect(classifyDarajaError(err, { idempotent: false })).toBe("fail")
  })
})

describe("transactionStatus", () => {
  const PATH = "/mpesa/transactionstatus/v1/query"
  const params: TransactionStatusParams = {
    initiator: "apiop37",
    initiatorPassword: INITIATOR_PASSWORD,
    certificatePem,
    transactionId: "NLJ7RT61SV",
    partyA: "600782",
    resultUrl: "https://shop.example.com/daraja/status/result",
    queueTimeOutUrl: "https://shop.example.com/daraja/status/timeout",
    remarks: "Reconcile order 1042",
  }

  it("sends the documented body with IdentifierType 4 by default", async () => {
    mockToken()
    const { bodies } = capture(PATH)
    const ack = await makeClient().transactionStatus(params)
    const { SecurityCredential, ...rest } = bodies[0]!
    expect(rest).toEqual({
      Initiator: "apiop37",
      CommandID: "TransactionStatusQuery",
      TransactionID: "NLJ7RT61SV",
      PartyA: "600782",
      IdentifierType: "4",
      ResultURL: "https://shop.example.com/daraja/status/result",
      QueueTimeOutURL: "https://shop.example.com/daraja/status/timeout",
      Remarks: "Reconcile order 1042",
    })
    expect(decryptCredential(SecurityCredential as string)).toBe(INITIATOR_PASSWORD)
    expect(ack.conversationId).toBe("AG_20210709_12346c8e6f8858d7b70a")
  })

  it("passes identifierType and occasion through", async () => {
    mockToken()
    const { bodies } = capture(PATH)
    await makeClient().transactionStatus({ ...params, identifierType: "2", occasion: "recon" })
    expect(bodies[0]).toMatchObject({ IdentifierType: "2", Occasion: "recon" })
  })

  it("is retried on a transient failure (idempotent)", async () => {
    mockToken()
    nock(BASE_URL).post(PATH).reply(503, "<html>busy</html>")
    capture(PATH)
    await expect(makeClient().transactionStatus(params)).resolves.toMatchObject({ responseCode: "0" })
    expect(nock.pendingMocks()).toEqual([])
  })

  it("rejects a bad identifierType", async () => {
    const err = await rejectionOf(makeClient().transactionStatus({ ...params, identifierType: "3" as "4" }))
    expect(err).toMatchObject({ kind: "validation", field: "identifierType", message: 'identifierType: must be "1", "2" or "4"' })
  })

  it("maps a non-zero ResponseCode acknowledgement to DarajaApiError", async () => {
    mockToken()
    nock(BASE_URL).post(PATH).reply(200, { ...ACK, ResponseCode: "2001", ResponseDescription: "The initiator information is invalid." })
    await expect(makeClient().transactionStatus(params)).rejects.toMatchObject({ kind: "api", errorCode: "2001" })
  })
})
