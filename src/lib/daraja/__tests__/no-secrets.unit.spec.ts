import { inspect } from "node:util"
import nock from "nock"
import type { DarajaClient } from "../client"
import { encryptSecurityCredential } from "../security-credential"
import { stkPassword } from "../stk-password"
import {
  ACCESS_TOKEN,
  BASE_URL,
  BASIC_AUTH,
  CONSUMER_SECRET,
  makeClient,
  mockToken,
  recordingLogger,
  rejectionOf,
  scriptedServer,
  setupNock,
} from "./helpers"
import { selfSignedCertificate } from "./self-signed-cert"

setupNock()

/**
 * Proves that no secret reaches an error (message, stack, JSON, util.inspect) or a log line, including when
 * Daraja (or a proxy) echoes request values back in its error text.
 */
const PASSKEY = "PASSKEY-9f8e7d6c5b4a39281706f5e4d3c2b1a0"
const PASSWORD = stkPassword("174379", PASSKEY, "20250101013000") // FIXED_NOW in Nairobi time
const INITIATOR_PASSWORD = "INITIATOR-PW-Zx81!"
// Callback and result URLs carry a path secret in real stores (/hooks/lipa/stk/<secret>).
const URL_SECRET = "URLSECRET-6c1f0a9e2b7d4c3f8a5e"
const { certificatePem } = selfSignedCertificate()
// The Daraja portal's ready-made SecurityCredential, as merchants who never hold the password configure it.
const PORTAL_CREDENTIAL = encryptSecurityCredential(INITIATOR_PASSWORD, certificatePem)
const seenCredentials: string[] = [] // SecurityCredential values captured from request bodies

const secrets = (): string[] => [
  CONSUMER_SECRET,
  BASIC_AUTH,
  ACCESS_TOKEN,
  PASSKEY,
  PASSWORD,
  INITIATOR_PASSWORD,
  URL_SECRET,
  PORTAL_CREDENTIAL,
  ...seenCredentials,
]

function expectNoSecrets(label: string, text: string): void {
  for (const secret of secrets()) {
    if (text.includes(secret)) throw new Error(`${label} leaks a secret (${secret.slice(0, 6)}…): ${text.slice(0, 300)}`)
  }
}

function expectErrorIsClean(err: unknown): void {
  expect(err).toBeInstanceOf(Error)
  const e = err as Error
  expectNoSecrets("message", e.message)
  expectNoSecrets("stack", e.stack ?? "")
  expectNoSecrets("String()", String(e))
  expectNoSecrets("JSON", JSON.stringify(e))
  expectNoSecrets("inspect", inspect(e, { depth: 10, showHidden: true }))
  // The axios error (with config.headers.Authorization and config.data) must not be attached anywhere.
  for (const key of ["config", "request", "response", "cause"]) expect(Object.keys(e)).not.toContain(key)
  expect(inspect(e, { depth: 10, showHidden: true })).not.toMatch(/Authorization/i)
}

/** Reply that echoes everything it was sent: headers and body, as a hostile or buggy gateway might. */
function echoError(status: number, errorCode: string) {
  return function (this: { req: { headers: Record<string, string | string[]> } }, _uri: string, body: unknown): nock.ReplyFnResult {
    const b = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>
    if (typeof b.SecurityCredential === "string") seenCredentials.push(b.SecurityCredential)
    const auth = String(this.req.headers.authorization ?? "")
    return [status, { requestId: "echo", errorCode, errorMessage: `Invalid request ${auth} ${JSON.stringify(b)}` }]
  }
}

const stkParams = {
  shortcode: "174379",
  passkey: PASSKEY,
  transactionType: "paybill" as const,
  amount: 10,
  phone: "0712345678",
  callbackUrl: `https://shop.example.com/hooks/lipa/stk/${URL_SECRET}`,
  accountReference: "Order1",
  transactionDesc: "Order 1",
}
const reversalParams = {
  initiator: "apiop",
  initiatorPassword: INITIATOR_PASSWORD,
  certificatePem,
  transactionId: "NLJ7RT61SV",
  amount: 10,
  receiverParty: "600610",
  resultUrl: `https://shop.example.com/r/${URL_SECRET}`,
  queueTimeOutUrl: `https://shop.example.com/t/${URL_SECRET}`,
  remarks: "Refund",
}
const statusParams = {
  initiator: "apiop",
  initiatorPassword: INITIATOR_PASSWORD,
  certificatePem,
  transactionId: "NLJ7RT61SV",
  partyA: "600610",
  resultUrl: `https://shop.example.com/r/${URL_SECRET}`,
  queueTimeOutUrl: `https://shop.example.com/t/${URL_SECRET}`,
  remarks: "Status",
}

const { initiatorPassword: _p1, certificatePem: _c1, ...reversalBase } = reversalParams
const { initiatorPassword: _p2, certificatePem: _c2, ...statusBase } = statusParams
const reversalWithCredential = { ...reversalBase, securityCredential: PORTAL_CREDENTIAL }
const statusWithCredential = { ...statusBase, securityCredential: PORTAL_CREDENTIAL }
/** Invalid on purpose (both credential forms, or a password in the credential field); typed loosely. */
const loose = <T>(params: Record<string, unknown>): T => params as T

type Scenario = [string, (client: DarajaClient) => Promise<unknown>, () => void]

const scenarios: Scenario[] = [
  ["oauth: error body echoing the Basic header", (c) => c.getAccessToken(), () => {
    nock(BASE_URL).get("/oauth/v1/generate").query(true).reply(echoError(400, "400.008.01"))
  }],
  ["oauth: 500 HTML (retried)", (c) => c.getAccessToken(), () => {
    nock(BASE_URL).get("/oauth/v1/generate").query(true).times(3).reply(500, `<html>${CONSUMER_SECRET}</html>`)
  }],
  ["oauth: 200 without expires_in", (c) => c.getAccessToken(), () => {
    nock(BASE_URL).get("/oauth/v1/generate").query(true).reply(200, { access_token: ACCESS_TOKEN })
  }],
  ["oauth: timeout", (c) => c.getAccessToken(), () => {
    nock(BASE_URL).get("/oauth/v1/generate").query(true).times(3).delay(200).reply(200, {})
  }],
  ["stkPush: error body echoing token, Password and passkey", (c) => c.stkPush(stkParams), () => {
    mockToken()
    nock(BASE_URL).post("/mpesa/stkpush/v1/processrequest").reply(echoError(500, "500.001.1001"))
  }],
  ["stkPush: non-zero ResponseCode echoing the Password", (c) => c.stkPush(stkParams), () => {
    mockToken()
    nock(BASE_URL)
      .post("/mpesa/stkpush/v1/processrequest")
      .reply(200, { ResponseCode: "1", ResponseDescription: `bad Password ${PASSWORD} for ${PASSKEY}` })
  }],
  ["stkPush: 200 with a malformed body", (c) => c.stkPush(stkParams), () => {
    mockToken()
    nock(BASE_URL).post("/mpesa/stkpush/v1/processrequest").reply(200, { ResponseCode: "0", Password: PASSWORD })
  }],
  ["stkPush: 502 HTML", (c) => c.stkPush(stkParams), () => {
    mockToken()
    nock(BASE_URL).post("/mpesa/stkpush/v1/processrequest").reply(502, `<html>${PASSWORD}</html>`)
  }],
  ["stkPush: timeout", (c) => c.stkPush(stkParams), () => {
    mockToken()
    nock(BASE_URL).post("/mpesa/stkpush/v1/processrequest").delay(200).reply(200, {})
  }],
  ["stkPush: validation error", (c) => c.stkPush({ ...stkParams, amount: -1 }), () => undefined],
  ["stkPush: invalid token twice", (c) => c.stkPush(stkParams), () => {
    mockToken(ACCESS_TOKEN, 2)
    nock(BASE_URL).post("/mpesa/stkpush/v1/processrequest").times(2).reply(echoError(404, "404.001.03"))
  }],
  ["stkQuery: retried busy answers echoing secrets", (c) => c.stkQuery({ shortcode: "174379", passkey: PASSKEY, checkoutRequestId: "ws_CO_1" }), () => {
    mockToken()
    nock(BASE_URL).post("/mpesa/stkpushquery/v1/query").times(3).reply(echoError(500, "500.003.02"))
  }],
  ["reversal: error body echoing the SecurityCredential", (c) => c.reversal(reversalParams), () => {
    mockToken()
    nock(BASE_URL).post("/mpesa/reversal/v1/request").reply(echoError(400, "400.002.02"))
  }],
  ["reversal: bad certificate", (c) => c.reversal({ ...reversalParams, certificatePem: "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----" }), () => undefined],
  ["transactionStatus: retried errors echoing the SecurityCredential", (c) => c.transactionStatus(statusParams), () => {
    mockToken()
    nock(BASE_URL).post("/mpesa/transactionstatus/v1/query").times(3).reply(echoError(500, "500.003.1001"))
  }],
  ["reversal: portal credential echoed in an error body", (c) => c.reversal(reversalWithCredential), () => {
    mockToken()
    nock(BASE_URL).post("/mpesa/reversal/v1/request").reply(echoError(400, "400.002.02"))
  }],
  ["reversal: portal credential echoed in a non-zero ResponseCode", (c) => c.reversal(reversalWithCredential), () => {
    mockToken()
    nock(BASE_URL)
      .post("/mpesa/reversal/v1/request")
      .reply(200, { ResponseCode: "2001", ResponseDescription: `The initiator information is invalid: ${PORTAL_CREDENTIAL}` })
  }],
  ["transactionStatus: retried errors echoing the portal credential", (c) => c.transactionStatus({ ...statusWithCredential, originalConversationId: "71840-27539181-07" }), () => {
    mockToken()
    nock(BASE_URL).post("/mpesa/transactionstatus/v1/query").times(3).reply(echoError(500, "500.003.1001"))
  }],
  ["reversal: validation error with both credential forms", (c) => c.reversal(loose({ ...reversalParams, securityCredential: PORTAL_CREDENTIAL })), () => undefined],
  ["reversal: validation error with the password in the credential field", (c) => c.reversal(loose({ ...reversalBase, securityCredential: INITIATOR_PASSWORD })), () => undefined],
  ["transactionStatus: validation error with a certificate but no password", (c) => c.transactionStatus(loose({ ...statusBase, certificatePem })), () => undefined],
  ["transactionStatus: validation error with both forms", (c) => c.transactionStatus(loose({ ...statusParams, securityCredential: PORTAL_CREDENTIAL })), () => undefined],
]

describe("no secrets in errors or logs", () => {
  it.each(scenarios)("%s", async (name, run, arrange) => {
    arrange()
    const logger = recordingLogger()
    // 50 ms only where the scenario is a timeout (replies delayed 200 ms): elsewhere a loaded CI box
    // can miss 50 ms, time out, retry, and find the one-shot interceptor already used.
    const client = makeClient({ logger, timeoutMs: name.includes("timeout") ? 50 : 2_000 })
    const err = await rejectionOf(run(client))
    expectErrorIsClean(err)
    expectNoSecrets("logs", JSON.stringify(logger.entries))
  })

  it("redacts echoed values and says so", async () => {
    mockToken()
    nock(BASE_URL).post("/mpesa/stkpush/v1/processrequest").reply(500, {
      requestId: "x",
      errorCode: "500.001.1001",
      errorMessage: `Wrong credentials for ${PASSKEY}`,
    })
    const err = await rejectionOf(makeClient().stkPush(stkParams))
    expect((err as Error).message).toBe(
      "Daraja rejected /mpesa/stkpush/v1/processrequest: 500.001.1001 Wrong credentials for [redacted] (HTTP 500)"
    )
  })

  it("a connection reset error carries only the code", async () => {
    const server = await scriptedServer([{ status: 200, body: { access_token: ACCESS_TOKEN, expires_in: 3599 } }, "reset"])
    try {
      const logger = recordingLogger()
      const err = await rejectionOf(makeClient({ baseUrl: server.baseUrl, logger }).stkPush(stkParams))
      expect((err as Error).message).toBe("/mpesa/stkpush/v1/processrequest: network error (ECONNRESET)")
      expectErrorIsClean(err)
      expectNoSecrets("logs", JSON.stringify(logger.entries))
    } finally {
      await server.close()
    }
  })

  it("successful calls log nothing secret either", async () => {
    mockToken()
    nock(BASE_URL).post("/mpesa/stkpush/v1/processrequest").reply(200, {
      MerchantRequestID: "m",
      CheckoutRequestID: "ws_CO_9",
      ResponseCode: "0",
      ResponseDescription: "Success",
      CustomerMessage: "Success",
    })
    const logger = recordingLogger()
    const client = makeClient({ logger })
    await client.stkPush(stkParams)
    expectNoSecrets("logs", JSON.stringify(logger.entries))
    expect(JSON.stringify(logger.entries)).not.toContain("254712345678") // phone only masked
  })

  it("successful reversal and status calls with either credential form log nothing secret", async () => {
    const ack = { OriginatorConversationID: "o-1", ConversationID: "AG_1", ResponseCode: "0", ResponseDescription: "Accept the service request successfully." }
    mockToken()
    nock(BASE_URL).post("/mpesa/reversal/v1/request").times(2).reply(200, ack)
    nock(BASE_URL).post("/mpesa/transactionstatus/v1/query").times(2).reply(200, ack)
    const logger = recordingLogger()
    const client = makeClient({ logger })
    await client.reversal(reversalParams)
    await client.reversal(reversalWithCredential)
    await client.transactionStatus(statusParams)
    await client.transactionStatus({ ...statusWithCredential, originalConversationId: "o-1-conversation" })
    expect(logger.entries.length).toBeGreaterThan(0)
    expectNoSecrets("logs", JSON.stringify(logger.entries))
  })

  it("inspecting or serialising the client shows no credentials", async () => {
    mockToken()
    const client = makeClient()
    await client.getAccessToken() // so a token is cached too
    expectNoSecrets("inspect(client)", inspect(client, { depth: 10, showHidden: true }))
    expectNoSecrets("JSON(client)", JSON.stringify(client))
  })
})
