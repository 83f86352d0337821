import nock from "nock"
import { DarajaClient } from "../client"
import * as daraja from "../index"
import { ACCESS_TOKEN, BASE_URL, CONSUMER_KEY, CONSUMER_SECRET, makeClient, mockToken, setupNock } from "./helpers"

setupNock()

describe("DarajaClient options", () => {
  const valid = { baseUrl: BASE_URL, consumerKey: CONSUMER_KEY, consumerSecret: CONSUMER_SECRET }

  it.each([
    [{ baseUrl: "sandbox.safaricom.co.ke" }, "baseUrl: must be an absolute http(s) URL"],
    [{ consumerKey: "" }, "consumerKey: must not be empty"],
    [{ consumerSecret: "  " }, "consumerSecret: must not be empty"],
    [{ timeoutMs: 0 }, "timeoutMs"],
    [{ retry: { attempts: 0 } }, "retry.attempts: must be at least 1"],
  ])("rejects %j", (override, message) => {
    expect(() => new DarajaClient({ ...valid, ...override })).toThrow(message)
  })

  it("never echoes the consumer secret in an option error", () => {
    try {
      new DarajaClient({ ...valid, baseUrl: "nope" })
    } catch (err) {
      expect((err as Error).message).not.toContain(CONSUMER_SECRET)
    }
  })

  it("tolerates a trailing slash on baseUrl", async () => {
    mockToken()
    await expect(makeClient({ baseUrl: `${BASE_URL}/` }).getAccessToken()).resolves.toBe(ACCESS_TOKEN)
  })

  it("uses now() for the default timestamp", async () => {
    mockToken()
    let sent: Record<string, unknown> = {}
    nock(BASE_URL)
      .post("/mpesa/stkpushquery/v1/query", (b: Record<string, unknown>) => {
        sent = b
        return true
      })
      .reply(500, { requestId: "r", errorCode: "500.001.1001", errorMessage: "The transaction is being processed" })
    await makeClient({ now: () => new Date("2025-06-30T21:00:00Z") }).stkQuery({
      shortcode: "174379",
      passkey: "pk",
      checkoutRequestId: "ws_CO_1",
    })
    expect(sent.Timestamp).toBe("20250701000000")
  })
})

describe("public API (index.ts)", () => {
  it("exports the constants with the documented values", () => {
    expect(daraja.DARAJA_BASE_URLS).toEqual({
      sandbox: "https://sandbox.safaricom.co.ke",
      production: "https://api.safaricom.co.ke",
    })
    expect(daraja.SANDBOX_SHORTCODE).toBe("174379")
    expect(daraja.SANDBOX_PASSKEY).toBe("bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919")
    expect([daraja.STK_MIN_AMOUNT, daraja.STK_MAX_AMOUNT]).toEqual([1, 250_000])
  })

  it("exports every runtime symbol the provider codes against", () => {
    expect(Object.keys(daraja).sort()).toEqual(
      [
        "DARAJA_BASE_URLS",
        "DarajaApiError",
        "DarajaClient",
        "DarajaError",
        "DarajaResponseError",
        "DarajaTransportError",
        "DarajaValidationError",
        "InMemoryTokenCache",
        "KNOWN_RESULT_CODES",
        "SANDBOX_PASSKEY",
        "SANDBOX_SHORTCODE",
        "STK_MAX_AMOUNT",
        "STK_MIN_AMOUNT",
        "classifyDarajaError",
        "darajaTimestamp",
        "describeErrorCode",
        "describeResultCode",
        "encryptSecurityCredential",
        "maskPhone",
        "normalizeKenyanPhone",
        "parseResultCallback",
        "parseStkCallback",
        "resultCallbackSchema",
        "sanitizeAccountReference",
        "sanitizeTransactionDesc",
        "stkCallbackSchema",
        "stkPassword",
      ].sort()
    )
  })

  it("error classes form one family", () => {
    const v = new daraja.DarajaValidationError("phone", "bad")
    expect(v).toBeInstanceOf(daraja.DarajaError)
    expect(v).toBeInstanceOf(Error)
    expect(v).toMatchObject({ name: "DarajaValidationError", kind: "validation", retryable: false, field: "phone", rule: "bad" })
    expect(JSON.parse(JSON.stringify(v))).toEqual({
      name: "DarajaValidationError",
      message: "phone: bad",
      kind: "validation",
      retryable: false,
      field: "phone",
      rule: "bad",
    })
  })
})
