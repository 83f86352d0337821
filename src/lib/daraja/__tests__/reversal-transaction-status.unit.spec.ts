import { constants, privateDecrypt } from "node:crypto"
import nock from "nock"
import { classifyDarajaError } from "../classify-error"
import { DarajaApiError, DarajaTransportError, DarajaValidationError } from "../errors"
import { encryptSecurityCredential } from "../security-credential"
import type { ReversalParams } from "../reversal"
import type { TransactionStatusParams } from "../transaction-status"
import { ACCESS_TOKEN, BASE_URL, makeClient, mockToken, rejectionOf, setupNock } from "./helpers"
import { selfSignedCertificate } from "./self-signed-cert"

setupNock()

const { certificatePem, privateKey } = selfSignedCertificate()
const INITIATOR_PASSWORD = "Initi@tor-Pa55word"
/** What the Daraja portal's "generate security credential" gives a merchant: the password, already encrypted. */
const PORTAL_CREDENTIAL = encryptSecurityCredential(INITIATOR_PASSWORD, certificatePem)
/** The portal's credential as pasted from an .env file or an e-mail: wrapped, with a trailing newline. */
const WRAPPED_CREDENTIAL = PORTAL_CREDENTIAL.replace(/(.{64})/g, "$1\n") + "\n"

/** Bad input on purpose: the typed params would not compile, which is the point of the runtime check too. */
const loosely = <T>(params: Record<string, unknown>): T => params as T

/**
 * The credential-form cases both endpoints share: [override, field blamed]. `undefined` removes a field.
 * The plain password in securityCredential is the classic mistake (some libraries send base64(password)).
 */
const CREDENTIAL_CASES: Array<[string, Record<string, unknown>, string]> = [
  ["both forms", { securityCredential: PORTAL_CREDENTIAL }, "securityCredential"],
  ["neither form", { initiatorPassword: undefined, certificatePem: undefined }, "securityCredential"],
  ["a password without the certificate", { certificatePem: undefined }, "certificatePem"],
  ["a certificate without the password", { initiatorPassword: undefined }, "initiatorPassword"],
  ["the plain password as securityCredential", { initiatorPassword: undefined, certificatePem: undefined, securityCredential: INITIATOR_PASSWORD }, "securityCredential"],
  ["base64 of the password as securityCredential", { initiatorPassword: undefined, certificatePem: undefined, securityCredential: Buffer.from(INITIATOR_PASSWORD).toString("base64") }, "securityCredential"],
  ["an empty securityCredential", { initiatorPassword: undefined, certificatePem: undefined, securityCredential: "" }, "securityCredential"],
  ["a non-string securityCredential", { initiatorPassword: undefined, certificatePem: undefined, securityCredential: 42 }, "securityCredential"],
]

function withOverride(base: object, override: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base, ...override }
  for (const [key, value] of Object.entries(override)) if (value === undefined) delete merged[key]
  return merged
}

function expectCredentialError(err: unknown, field: string): void {
  expect(err).toBeInstanceOf(DarajaValidationError)
  expect((err as DarajaValidationError).field).toBe(field)
  const text = `${(err as Error).message} ${JSON.stringify(err)}`
  for (const secret of [INITIATOR_PASSWORD, PORTAL_CREDENTIAL, Buffer.from(INITIATOR_PASSWORD).toString("base64")]) {
    expect(text).not.toContain(secret)
  }
}
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

  it.each<[Record<string, unknown>, string]>([
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
    const err = await rejectionOf(makeClient().reversal(loosely<ReversalParams>({ ...params, ...override })))
    expect(err).toBeInstanceOf(DarajaValidationError)
    expect((err as DarajaValidationError).field).toBe(field)
  })

  it("sends a ready-made securityCredential as is, without line breaks, instead of encrypting a password", async () => {
    mockToken()
    const { bodies } = capture(PATH)
    const { initiatorPassword: _p, certificatePem: _c, ...rest } = params
    await makeClient().reversal({ ...rest, securityCredential: WRAPPED_CREDENTIAL })
    expect(bodies[0]!.SecurityCredential).toBe(PORTAL_CREDENTIAL)
    expect(decryptCredential(PORTAL_CREDENTIAL)).toBe(INITIATOR_PASSWORD)
  })

  it.each(CREDENTIAL_CASES)("refuses %s, naming the field and quoting nothing", async (_name, override, field) => {
    // No nock interceptor: a request reaching the network would fail differently.
    const err = await rejectionOf(makeClient().reversal(loosely<ReversalParams>(withOverride(params, override))))
    expectCredentialError(err, field)
  })

  it("explains the two forms in the message", async () => {
    const both = await rejectionOf(makeClient().reversal(loosely<ReversalParams>({ ...params, securityCredential: PORTAL_CREDENTIAL })))
    expect((both as Error).message).toBe("securityCredential: give either securityCredential or initiatorPassword with certificatePem, not both")
    const neither = await rejectionOf(makeClient().reversal(loosely<ReversalParams>(withOverride(params, { initiatorPassword: undefined, certificatePem: undefined }))))
    expect((neither as Error).message).toBe("securityCredential: is required, unless initiatorPassword and certificatePem are given")
    const plain = await rejectionOf(
      makeClient().reversal(loosely<ReversalParams>(withOverride(params, { initiatorPassword: undefined, certificatePem: undefined, securityCredential: INITIATOR_PASSWORD }))),
    )
    expect((plain as Error).message).toMatch(/^securityCredential: must be the base64 SecurityCredential generated on the Daraja portal/)
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

  it("looks up a conversation by OriginalConversationID alone (no TransactionID key)", async () => {
    mockToken()
    const { bodies } = capture(PATH)
    const { transactionId: _t, ...rest } = params
    await makeClient().transactionStatus({ ...rest, originalConversationId: " 71840-27539181-07 " })
    const { SecurityCredential: _s, ...body } = bodies[0]!
    expect(body).toEqual({
      Initiator: "apiop37",
      CommandID: "TransactionStatusQuery",
      OriginalConversationID: "71840-27539181-07",
      PartyA: "600782",
      IdentifierType: "4",
      ResultURL: "https://shop.example.com/daraja/status/result",
      QueueTimeOutURL: "https://shop.example.com/daraja/status/timeout",
      Remarks: "Reconcile order 1042",
    })
  })

  it("sends both ids when both are given, as Daraja's own sample does", async () => {
    mockToken()
    const { bodies } = capture(PATH)
    await makeClient().transactionStatus({ ...params, originalConversationId: "AG_20190826_0000777ab7d848b9e721" })
    expect(bodies[0]).toMatchObject({ TransactionID: "NLJ7RT61SV", OriginalConversationID: "AG_20190826_0000777ab7d848b9e721" })
  })

  it.each<[string, Record<string, unknown>, string, string]>([
    ["neither id", { transactionId: undefined }, "transactionId", "transactionId: is required, unless originalConversationId is given"],
    ["a malformed originalConversationId", { originalConversationId: "has spaces in it" }, "originalConversationId", "originalConversationId: must be an OriginatorConversationID such as 71840-27539181-07"],
    ["an empty originalConversationId", { transactionId: undefined, originalConversationId: "" }, "originalConversationId", "originalConversationId: must be an OriginatorConversationID such as 71840-27539181-07"],
  ])("refuses %s", async (_name, override, field, message) => {
    const err = await rejectionOf(makeClient().transactionStatus(loosely<TransactionStatusParams>(withOverride(params, override))))
    expect(err).toMatchObject({ kind: "validation", field, message })
  })

  it("sends a ready-made securityCredential as is", async () => {
    mockToken()
    const { bodies } = capture(PATH)
    const { initiatorPassword: _p, certificatePem: _c, ...rest } = params
    await makeClient().transactionStatus({ ...rest, securityCredential: WRAPPED_CREDENTIAL })
    expect(bodies[0]!.SecurityCredential).toBe(PORTAL_CREDENTIAL)
  })

  it.each(CREDENTIAL_CASES)("refuses %s, naming the field and quoting nothing", async (_name, override, field) => {
    const err = await rejectionOf(makeClient().transactionStatus(loosely<TransactionStatusParams>(withOverride(params, override))))
    expectCredentialError(err, field)
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
