import nock from "nock"
import { classifyDarajaError } from "../classify-error"
import { SANDBOX_PASSKEY, SANDBOX_SHORTCODE } from "../constants"
import { DarajaApiError, DarajaResponseError, DarajaTransportError, DarajaValidationError } from "../errors"
import type { StkPushParams } from "../stk-push"
import { ACCESS_TOKEN, BASE_URL, makeClient, mockToken, recordingLogger, rejectionOf, scriptedServer, setupNock } from "./helpers"

setupNock()

const PATH = "/mpesa/stkpush/v1/processrequest"
const ACCEPTED = {
  MerchantRequestID: "2654-4b64-97ff-b827b542881d3130",
  CheckoutRequestID: "ws_CO_1007202409152617172396192",
  ResponseCode: "0",
  ResponseDescription: "Success. Request accepted for processing",
  CustomerMessage: "Success. Request accepted for processing",
}
const params: StkPushParams = {
  shortcode: SANDBOX_SHORTCODE,
  passkey: SANDBOX_PASSKEY,
  transactionType: "paybill",
  amount: 1500,
  phone: "0708 374 149",
  callbackUrl: "https://shop.example.com/hooks/payment/daraja",
  accountReference: "order_01JDUKA1042",
  transactionDesc: "Duka order #1042",
}

/** Registers an STK push interceptor that records the body it received. */
function capturePush(status: number, reply: nock.Body, times = 1) {
  const bodies: Array<Record<string, unknown>> = []
  const scope = nock(BASE_URL, { reqheaders: { authorization: `Bearer ${ACCESS_TOKEN}`, "content-type": /application\/json/ } })
    .post(PATH, (body: Record<string, unknown>) => {
      bodies.push(body)
      return true
    })
    .times(times)
    .reply(status, reply)
  return { scope, bodies }
}

describe("stkPush", () => {
  it("sends exactly the documented fields for a paybill and returns the acceptance", async () => {
    mockToken()
    const { scope, bodies } = capturePush(200, ACCEPTED)
    const accepted = await makeClient().stkPush(params)

    expect(scope.isDone()).toBe(true)
    // FIXED_NOW is 2024-12-31T22:30:00Z = 20250101013000 in Nairobi; one timestamp for Password and Timestamp.
    expect(bodies[0]).toEqual({
      BusinessShortCode: "174379",
      Password: Buffer.from(`174379${SANDBOX_PASSKEY}20250101013000`).toString("base64"),
      Timestamp: "20250101013000",
      TransactionType: "CustomerPayBillOnline",
      Amount: 1500,
      PartyA: "254708374149",
      PartyB: "174379",
      PhoneNumber: "254708374149",
      CallBackURL: "https://shop.example.com/hooks/payment/daraja",
      AccountReference: "order 01JDUK",
      TransactionDesc: "Duka order 10",
    })
    expect(accepted).toEqual({
      merchantRequestId: "2654-4b64-97ff-b827b542881d3130",
      checkoutRequestId: "ws_CO_1007202409152617172396192",
      responseCode: "0",
      responseDescription: "Success. Request accepted for processing",
      customerMessage: "Success. Request accepted for processing",
      phone: "254708374149",
      amount: 1500,
      timestamp: "20250101013000",
    })
  })

  it("uses CustomerBuyGoodsOnline with PartyB = till number for a till", async () => {
    mockToken()
    const { bodies } = capturePush(200, ACCEPTED)
    await makeClient().stkPush({ ...params, shortcode: "600100", transactionType: "till", tillNumber: "5123456" })
    expect(bodies[0]).toMatchObject({ BusinessShortCode: "600100", TransactionType: "CustomerBuyGoodsOnline", PartyB: "5123456" })
  })

  it("uses the caller's timestamp for both Password and Timestamp", async () => {
    mockToken()
    const { bodies } = capturePush(200, ACCEPTED)
    const result = await makeClient().stkPush({ ...params, timestamp: new Date("2021-06-28T06:24:08Z") })
    expect(bodies[0]!.Timestamp).toBe("20210628092408")
    expect(bodies[0]!.Password).toBe(
      "MTc0Mzc5YmZiMjc5ZjlhYTliZGJjZjE1OGU5N2RkNzFhNDY3Y2QyZTBjODkzMDU5YjEwZjc4ZTZiNzJhZGExZWQyYzkxOTIwMjEwNjI4MDkyNDA4"
    )
    expect(result.timestamp).toBe("20210628092408")
  })

  it("logs the acceptance with a masked phone only", async () => {
    mockToken()
    capturePush(200, ACCEPTED)
    const logger = recordingLogger()
    await makeClient({ logger }).stkPush(params)
    const info = logger.entries.find((e) => e.msg === "daraja stk push accepted")
    expect(info?.meta).toEqual({
      checkoutRequestId: "ws_CO_1007202409152617172396192",
      merchantRequestId: "2654-4b64-97ff-b827b542881d3130",
      phone: "2547****4149",
      amount: 1500,
    })
    expect(JSON.stringify(logger.entries)).not.toContain("254708374149")
  })

  it.each<[string, Partial<StkPushParams> | Record<string, unknown>, string]>([
    ["fractional amount", { amount: 10.5 }, "amount"],
    ["zero amount", { amount: 0 }, "amount"],
    ["amount over 250000", { amount: 250_001 }, "amount"],
    ["amount as string", { amount: "100" }, "amount"],
    ["NaN amount", { amount: Number.NaN }, "amount"],
    ["bad phone", { phone: "0201234567" }, "phone"],
    ["relative callback", { callbackUrl: "/hooks/payment" }, "callbackUrl"],
    ["ftp callback", { callbackUrl: "ftp://shop.example.com/cb" }, "callbackUrl"],
    ["letters in shortcode", { shortcode: "17437a" }, "shortcode"],
    ["empty passkey", { passkey: "" }, "passkey"],
    ["till without tillNumber", { transactionType: "till" }, "tillNumber"],
    ["unknown transactionType", { transactionType: "buygoods" }, "transactionType"],
    ["invalid timestamp", { timestamp: new Date("x") }, "timestamp"],
  ])("rejects %s before any HTTP call", async (_name, override, field) => {
    // No nock scope: an HTTP call would fail with a network error instead of a validation error.
    const err = await rejectionOf(makeClient().stkPush({ ...params, ...override } as StkPushParams))
    expect(err).toBeInstanceOf(DarajaValidationError)
    expect((err as DarajaValidationError).field).toBe(field)
  })

  it("gives the amount rule in the message", async () => {
    const err = await rejectionOf(makeClient().stkPush({ ...params, amount: 99.99 }))
    expect((err as Error).message).toBe("amount: must be a whole number of KES from 1 to 250000")
  })

  it("treats a 200 with a non-zero ResponseCode as a DarajaApiError (definite fail)", async () => {
    mockToken()
    capturePush(200, { ResponseCode: "1", ResponseDescription: "Rejected: invalid request" })
    const err = await rejectionOf(makeClient().stkPush(params))
    expect(err).toBeInstanceOf(DarajaApiError)
    expect(err).toMatchObject({ httpStatus: 200, errorCode: "1", errorMessage: "Rejected: invalid request", endpoint: PATH })
    expect(classifyDarajaError(err, { idempotent: false })).toBe("fail")
  })

  it.each([
    [400, "400.002.02", "Bad Request - Invalid PhoneNumber", "bad_request"],
    [500, "500.001.1001", "Unable to lock subscriber, a transaction is already in process for the current subscriber", "subscriber_locked"],
    [500, "500.001.1001", "Wrong credentials", "bad_credentials"],
    [500, "500.001.1001", "Merchant does not exist", "merchant_not_found"],
    [500, "500.003.02", "Error Occurred: Spike Arrest Violation", "rate_limited"],
    [500, "500.003.02", "System is busy. Please try again in few minutes.", "system_busy"],
  ])("maps Daraja error body %s %s %j and never retries the push", async (status, code, message, meaning) => {
    mockToken()
    const { scope } = capturePush(status, { requestId: "req-77", errorCode: code, errorMessage: message })
    const err = await rejectionOf(makeClient().stkPush(params))
    expect(scope.isDone()).toBe(true)
    expect(err).toBeInstanceOf(DarajaApiError)
    expect(err).toMatchObject({ httpStatus: status, errorCode: code, errorMessage: message, requestId: "req-77", info: { meaning } })
    expect((err as Error).message).toBe(`Daraja rejected ${PATH}: ${code} ${message} (HTTP ${status})`)
    expect(classifyDarajaError(err, { idempotent: false })).toBe("fail")
    expect(nock.pendingMocks()).toEqual([])
  })

  it("a timeout is indeterminate and is NOT retried (the prompt may be on the phone)", async () => {
    mockToken()
    let pushes = 0
    nock(BASE_URL)
      .post(PATH)
      .times(3)
      .delay(200)
      .reply(() => {
        pushes++
        return [200, ACCEPTED]
      })
    const err = await rejectionOf(makeClient({ timeoutMs: 50 }).stkPush(params))
    expect(err).toBeInstanceOf(DarajaTransportError)
    expect(err).toMatchObject({ reason: "timeout", endpoint: PATH, retryable: true })
    expect(classifyDarajaError(err, { idempotent: false })).toBe("indeterminate")
    await new Promise((r) => setTimeout(r, 250))
    expect(pushes).toBe(1)
  })

  it("a connection reset is indeterminate and not retried", async () => {
    const server = await scriptedServer([
      { status: 200, body: { access_token: ACCESS_TOKEN, expires_in: 3599 } },
      "reset",
      { status: 200, body: ACCEPTED }, // would only be used by a (forbidden) retry
    ])
    try {
      const err = await rejectionOf(makeClient({ baseUrl: server.baseUrl }).stkPush(params))
      expect(err).toBeInstanceOf(DarajaTransportError)
      expect(err).toMatchObject({ kind: "transport", reason: "network", code: "ECONNRESET", endpoint: PATH })
      expect(classifyDarajaError(err, { idempotent: false })).toBe("indeterminate")
      expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
        "GET /oauth/v1/generate?grant_type=client_credentials",
        `POST ${PATH}`,
      ])
    } finally {
      await server.close()
    }
  })

  it("a 502 HTML page is a transport error, indeterminate for a push", async () => {
    mockToken()
    capturePush(502, "<html><body><h1>502 Bad Gateway</h1></body></html>")
    const err = await rejectionOf(makeClient().stkPush(params))
    expect(err).toBeInstanceOf(DarajaTransportError)
    expect(err).toMatchObject({ reason: "http_status", httpStatus: 502 })
    expect((err as Error).message).toBe(`${PATH}: HTTP 502 without a Daraja error body`)
    expect(classifyDarajaError(err, { idempotent: false })).toBe("indeterminate")
  })

  it("a 200 without a CheckoutRequestID is a DarajaResponseError (indeterminate for a push)", async () => {
    mockToken()
    capturePush(200, { ...ACCEPTED, CheckoutRequestID: undefined })
    const err = await rejectionOf(makeClient().stkPush(params))
    expect(err).toBeInstanceOf(DarajaResponseError)
    expect((err as DarajaResponseError).path).toBe("CheckoutRequestID")
    expect(classifyDarajaError(err, { idempotent: false })).toBe("indeterminate")
  })

  it("retries once with a new token after 404.001.03 (rejected before reaching any phone)", async () => {
    mockToken("stale-token-0001")
    mockToken(ACCESS_TOKEN)
    nock(BASE_URL, { reqheaders: { authorization: "Bearer stale-token-0001" } })
      .post(PATH)
      .reply(404, { requestId: "r", errorCode: "404.001.03", errorMessage: "Invalid Access Token" })
    const { scope } = capturePush(200, ACCEPTED)
    await expect(makeClient().stkPush(params)).resolves.toMatchObject({ checkoutRequestId: ACCEPTED.CheckoutRequestID })
    expect(scope.isDone()).toBe(true)
  })

  it("a failed token fetch means the push was never sent: fail, not indeterminate", async () => {
    nock(BASE_URL).get("/oauth/v1/generate").query(true).times(3).reply(503, "<html>down</html>")
    const err = await rejectionOf(makeClient().stkPush(params))
    expect(err).toMatchObject({ kind: "transport", endpoint: "/oauth/v1/generate" })
    expect(classifyDarajaError(err, { idempotent: false })).toBe("fail")
  })
})
