import { DARAJA_PATHS } from "./constants"
import { DarajaApiError, DarajaError, DarajaResponseError, DarajaTransportError } from "./errors"

/**
 * retry         - safe and useful to repeat the same call now (only ever for idempotent calls)
 * indeterminate - the call may or may not have taken effect: record it and settle it later (callback / query)
 * fail          - the call definitely did not take effect, or repeating cannot help
 */
export type DarajaErrorClass = "retry" | "indeterminate" | "fail"

/**
 * The single place that decides what a failure means. The key asymmetry: an STK push (or reversal) whose HTTP
 * call timed out may already have reached M-Pesa and put a prompt on the customer's phone, so it is
 * "indeterminate" and must never be blind-retried; whereas any answer carrying Daraja's error body is a
 * definite rejection of that request.
 */
export function classifyDarajaError(err: unknown, call: { idempotent: boolean }): DarajaErrorClass {
  if (!(err instanceof DarajaError)) {
    // Not ours (a bug, an abort...): we cannot know whether a mutating call went out.
    return call.idempotent ? "fail" : "indeterminate"
  }
  // Failing to get an access token means the API call itself was never sent.
  if (!call.idempotent && err.endpoint === DARAJA_PATHS.oauth) return "fail"
  if (err instanceof DarajaTransportError) {
    if (call.idempotent) return err.retryable ? "retry" : "fail"
    // A 4xx from a gateway means the request was refused before it reached M-Pesa.
    if (err.reason === "http_status" && err.httpStatus !== undefined && err.httpStatus >= 400 && err.httpStatus < 500) {
      return "fail"
    }
    return "indeterminate"
  }
  if (err instanceof DarajaApiError) {
    if (!call.idempotent) {
      // "The transaction is being processed" on a mutating call means it is in flight, not rejected.
      return err.info.meaning === "pending" ? "indeterminate" : "fail"
    }
    return err.retryable ? "retry" : "fail"
  }
  if (err instanceof DarajaResponseError) {
    // A 2xx arrived, so a mutating call was probably accepted even though we cannot read the ids.
    return call.idempotent ? "fail" : "indeterminate"
  }
  return "fail" // validation: nothing was sent
}
