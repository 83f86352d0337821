import nock from "nock"
import { SANDBOX_PASSKEY } from "../constants"
import { DarajaApiError, DarajaResponseError, DarajaTransportError, DarajaValidationError } from "../errors"
import { ACCESS_TOKEN, BASE_URL, makeClient, mockToken, recordingLogger, rejectionOf, scriptedServer, setupNock } from "./helpers"

setupNock()

const PATH = "/mpesa/stkpushquery/v1/query"
const params = { shortcode: "174379", passkey: SANDBOX_PASSKEY, checkoutRequestId: "ws_CO_191220191020363925" }
const completed = (resultCode: string, resultDesc: string) => ({
  ResponseCode: "0",
  ResponseDescription: "The service request has been accepted successsfully",
  MerchantRequestID: "22205-34066-1",
  CheckoutRequestID: "ws_CO_191220191020363925",
  ResultCode: resultCode,
  ResultDesc: resultDesc,
})
const PENDING = { requestId: "ab-12", errorCode: "500.001.1001", errorMessage: "The transaction is being processed" }

describe("stkQuery", () => {
  it("sends BusinessShortCode, Password, Timestamp, CheckoutRequestID and maps a completed payment", async () => {
    mockToken()
    let sent: unknown
    nock(BASE_URL, { reqheaders: { authorization: `Bearer ${ACCESS_TOKEN}` } })
      .post(PATH, (body) => {
        sent = body
        return true
      })
      .reply(200, completed("0", "The service request is processed successfully."))
    const outcome = await makeClient().stkQuery(params)
    expect(sent).toEqual({
      BusinessShortCode: "174379",
      Password: Buffer.from(`174379${SANDBOX_PASSKEY}20250101013000`).toString("base64"),
      Timestamp: "20250101013000",
      CheckoutRequestID: "ws_CO_191220191020363925",
    })
    expect(outcome).toEqual({
      status: "completed",
      resultCode: "0",
      resultDesc: "The service request is processed successfully.",
      merchantRequestId: "22205-34066-1",
      checkoutRequestId: "ws_CO_191220191020363925",
      result: expect.objectContaining({ code: "0", state: "paid", known: true }),
    })
  })

  it.each([
    ["1032", "Request cancelled by user", "canceled"],
    ["1037", "DS timeout user cannot be reached", "expired"],
    ["1", "The balance is insufficient for the transaction.", "failed"],
    ["2001", "The initiator information is invalid.", "failed"],
  ])("maps ResultCode %s (a string here) to %s", async (code, desc, state) => {
    mockToken()
    nock(BASE_URL).post(PATH).reply(200, completed(code, desc))
    const outcome = await makeClient().stkQuery(params)
    expect(outcome).toMatchObject({ status: "completed", resultCode: code, resultDesc: desc, result: { state } })
  })

  it("accepts a numeric ResultCode as well", async () => {
    mockToken()
    nock(BASE_URL).post(PATH).reply(200, { ...completed("0", "ok"), ResultCode: 1032 })
    await expect(makeClient().stkQuery(params)).resolves.toMatchObject({ resultCode: "1032", result: { state: "canceled" } })
  })

  it("returns pending for 500.001.1001 'being processed' without retrying", async () => {
    mockToken()
    const scope = nock(BASE_URL).post(PATH).reply(500, PENDING)
    await expect(makeClient().stkQuery(params)).resolves.toEqual({ status: "pending", description: "The transaction is being processed" })
    expect(scope.isDone()).toBe(true)
    expect(nock.pendingMocks()).toEqual([])
  })

  it("retries rate limits and busy answers with backoff, then succeeds", async () => {
    mockToken()
    nock(BASE_URL).post(PATH).reply(500, { requestId: "r1", errorCode: "500.003.02", errorMessage: "Error Occurred: Spike Arrest Violation" })
    nock(BASE_URL).post(PATH).reply(500, { requestId: "r2", errorCode: "500.003.02", errorMessage: "System is busy. Please try again in few minutes." })
    nock(BASE_URL).post(PATH).reply(200, completed("0", "ok"))
    const logger = recordingLogger()
    await expect(makeClient({ logger }).stkQuery(params)).resolves.toMatchObject({ status: "completed" })
    const retries = logger.entries.filter((e) => e.msg === "daraja call failed; retrying")
    expect(retries.map((e) => e.meta?.attempt)).toEqual([1, 2])
    for (const r of retries) {
      expect(r.meta?.delayMs).toBeGreaterThanOrEqual(0)
      expect(r.meta?.delayMs).toBeLessThanOrEqual(5) // maxDelayMs in makeClient()
    }
  })

  it("retries a timeout and a 502 (idempotent), then gives up with the last error", async () => {
    mockToken()
    nock(BASE_URL).post(PATH).delay(200).reply(200, completed("0", "late"))
    nock(BASE_URL).post(PATH).reply(502, "<html>Bad Gateway</html>")
    nock(BASE_URL).post(PATH).reply(504, "<html>Gateway Timeout</html>")
    const err = await rejectionOf(makeClient({ timeoutMs: 50 }).stkQuery(params))
    expect(err).toBeInstanceOf(DarajaTransportError)
    expect(err).toMatchObject({ reason: "http_status", httpStatus: 504 })
    expect(nock.pendingMocks()).toEqual([])
  })

  it("retries a connection reset", async () => {
    const server = await scriptedServer([
      { status: 200, body: { access_token: ACCESS_TOKEN, expires_in: 3599 } },
      "reset",
      { status: 200, body: completed("1032", "Request cancelled by user") },
    ])
    try {
      const outcome = await makeClient({ baseUrl: server.baseUrl }).stkQuery(params)
      expect(outcome).toMatchObject({ status: "completed", resultCode: "1032" })
      expect(server.requests.filter((r) => r.url === PATH)).toHaveLength(2)
    } finally {
      await server.close()
    }
  })

  it("honours retry.attempts", async () => {
    mockToken()
    const scope = nock(BASE_URL).post(PATH).times(5).reply(503, "")
    await rejectionOf(makeClient({ retry: { attempts: 5, baseDelayMs: 0, maxDelayMs: 0 } }).stkQuery(params))
    expect(scope.isDone()).toBe(true)
  })

  it.each([
    [400, { requestId: "r", errorCode: "400.002.02", errorMessage: "Bad Request - Invalid CheckoutRequestID" }, "bad_request"],
    [500, { requestId: "r", errorCode: "500.001.1001", errorMessage: "Wrong credentials" }, "bad_credentials"],
  ])("does not retry a definite rejection (%s %j)", async (status, body, meaning) => {
    mockToken()
    const scope = nock(BASE_URL).post(PATH).reply(status, body)
    const err = await rejectionOf(makeClient().stkQuery(params))
    expect(err).toBeInstanceOf(DarajaApiError)
    expect((err as DarajaApiError).info.meaning).toBe(meaning)
    expect(scope.isDone()).toBe(true)
  })

  it("treats a non-zero ResponseCode as an error", async () => {
    mockToken()
    nock(BASE_URL).post(PATH).reply(200, { ResponseCode: "1", ResponseDescription: "Rejected" })
    await expect(makeClient().stkQuery(params)).rejects.toMatchObject({ kind: "api", errorCode: "1", httpStatus: 200 })
  })

  it("rejects a 200 without ResultCode as a response error", async () => {
    mockToken()
    const { ResultCode: _omit, ...body } = completed("0", "ok")
    nock(BASE_URL).post(PATH).reply(200, body)
    const err = await rejectionOf(makeClient().stkQuery(params))
    expect(err).toBeInstanceOf(DarajaResponseError)
    expect((err as DarajaResponseError).path).toBe("ResultCode")
  })

  it("validates its parameters", async () => {
    const err = await rejectionOf(makeClient().stkQuery({ ...params, checkoutRequestId: " " }))
    expect(err).toBeInstanceOf(DarajaValidationError)
    expect((err as Error).message).toBe("checkoutRequestId: must not be empty")
  })
})
