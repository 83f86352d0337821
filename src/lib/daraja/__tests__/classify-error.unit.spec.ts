import { classifyDarajaError, type DarajaErrorClass } from "../classify-error"
import { DarajaApiError, DarajaResponseError, DarajaTransportError, DarajaValidationError } from "../errors"

const api = (errorCode: string, errorMessage: string, httpStatus = 500) =>
  new DarajaApiError({ httpStatus, errorCode, errorMessage, endpoint: "/mpesa/stkpush/v1/processrequest" })

const cases: Array<[string, unknown, DarajaErrorClass, DarajaErrorClass]> = [
  // [name, error, idempotent call (query), non-idempotent call (push/reversal)]
  ["timeout", new DarajaTransportError({ reason: "timeout", timeoutMs: 10 }), "retry", "indeterminate"],
  ["ECONNRESET", new DarajaTransportError({ reason: "network", code: "ECONNRESET" }), "retry", "indeterminate"],
  ["502 HTML", new DarajaTransportError({ reason: "http_status", httpStatus: 502 }), "retry", "indeterminate"],
  ["503", new DarajaTransportError({ reason: "http_status", httpStatus: 503 }), "retry", "indeterminate"],
  ["429 no body", new DarajaTransportError({ reason: "http_status", httpStatus: 429 }), "retry", "fail"],
  ["400 no body", new DarajaTransportError({ reason: "http_status", httpStatus: 400 }), "fail", "fail"],
  ["spike arrest", api("500.003.02", "Error Occurred: Spike Arrest Violation"), "retry", "fail"],
  ["system busy", api("500.003.02", "System is busy. Please try again in few minutes."), "retry", "fail"],
  ["quota", api("500.003.03", "Quota Violation"), "retry", "fail"],
  ["internal error", api("500.003.1001", "Internal Server Error"), "retry", "fail"],
  ["subscriber locked", api("500.001.1001", "Unable to lock subscriber, a transaction is already in process"), "retry", "fail"],
  ["being processed", api("500.001.1001", "The transaction is being processed"), "retry", "indeterminate"],
  ["wrong credentials", api("500.001.1001", "Wrong credentials"), "fail", "fail"],
  ["merchant missing", api("500.001.1001", "Merchant does not exist"), "fail", "fail"],
  ["bad request", api("400.002.02", "Bad Request - Invalid PhoneNumber", 400), "fail", "fail"],
  ["invalid token", api("404.001.03", "Invalid Access Token", 404), "fail", "fail"],
  ["non-zero ResponseCode", api("1", "Rejected", 200), "fail", "fail"],
  ["unreadable 2xx", new DarajaResponseError({ path: "CheckoutRequestID", problem: "missing" }), "fail", "indeterminate"],
  ["validation", new DarajaValidationError("phone", "bad"), "fail", "fail"],
  ["token fetch timed out", new DarajaTransportError({ reason: "timeout", endpoint: "/oauth/v1/generate" }), "retry", "fail"],
  ["foreign error", new Error("boom"), "fail", "indeterminate"],
  ["a string", "boom", "fail", "indeterminate"],
]

describe("classifyDarajaError", () => {
  it.each(cases)("%s -> idempotent %s / push %s", (_name, err, forQuery, forPush) => {
    expect(classifyDarajaError(err, { idempotent: true })).toBe(forQuery)
    expect(classifyDarajaError(err, { idempotent: false })).toBe(forPush)
  })
})
