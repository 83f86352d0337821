import { describeErrorCode } from "../error-codes"

describe("describeErrorCode", () => {
  it.each([
    ["400.002.02", "Bad Request - Invalid BusinessShortCode", "bad_request", false],
    ["404.001.03", "Invalid Access Token", "invalid_token", false],
    ["404.001.01", "Resource not found", "not_found", false],
    ["405.001", "Method Not Allowed", "method_not_allowed", false],
    ["500.001.1001", "The transaction is being processed", "pending", true],
    ["500.001.1001", "Merchant does not exist", "merchant_not_found", false],
    ["500.001.1001", "Wrong credentials", "bad_credentials", false],
    ["500.001.1001", "Unable to lock subscriber, a transaction is already in process for the current subscriber", "subscriber_locked", true],
    ["500.001.1001", "Something new", "unknown", false],
    ["500.001.1001", undefined, "unknown", false],
    ["500.003.02", "System is busy. Please try again in few minutes.", "system_busy", true],
    ["500.003.02", "Error Occurred: Spike Arrest Violation", "rate_limited", true],
    ["500.003.03", "Quota Violation", "rate_limited", true],
    ["500.003.1001", "Internal Server Error", "internal_error", true],
    ["400.008.02", "Invalid grant type passed", "invalid_grant", false],
    ["400.008.01", "Invalid Authentication passed", "bad_credentials", false],
    ["999.999.99", "Who knows", "unknown", false],
  ] as const)("%s %j -> %s", (code, message, meaning, retryable) => {
    const info = describeErrorCode(code, message)
    expect(info).toMatchObject({ code, meaning, retryable })
    expect(info.customerMessage.length).toBeGreaterThan(10)
  })

  it("matches messages case-insensitively", () => {
    expect(describeErrorCode("500.001.1001", "THE TRANSACTION IS BEING PROCESSED").meaning).toBe("pending")
    expect(describeErrorCode("500.003.02", "spike arrest violation").meaning).toBe("rate_limited")
  })

  it("never tells the shopper about credentials", () => {
    for (const m of ["Wrong credentials", "Merchant does not exist"]) {
      expect(describeErrorCode("500.001.1001", m).customerMessage).not.toMatch(/credential|merchant|shortcode/i)
    }
  })
})
