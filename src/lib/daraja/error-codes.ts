/**
 * Daraja's `errorCode` values (the `{requestId, errorCode, errorMessage}` body) and what each means for us.
 * Codes come from the M-Pesa Express reference table plus the OAuth codes from the Authorization doc.
 */
export type ErrorCodeMeaning =
  | "pending"
  | "subscriber_locked"
  | "rate_limited"
  | "system_busy"
  | "invalid_token"
  | "bad_request"
  | "bad_credentials"
  | "merchant_not_found"
  | "not_found"
  | "method_not_allowed"
  | "internal_error"
  | "invalid_grant"
  | "unknown"

export type ErrorCodeInfo = {
  code: string
  meaning: ErrorCodeMeaning
  /** repeating the same request later may succeed (used by the retry loop for idempotent calls) */
  retryable: boolean
  /** safe to show a shopper: never names credentials or internal configuration */
  customerMessage: string
}

// Messages for merchant-side misconfiguration deliberately say nothing about why: the shopper cannot fix it.
const UNAVAILABLE = "M-Pesa payments are unavailable right now. Please try again later or choose another payment method"
const BUSY = "M-Pesa is busy right now. Please try again in a minute"

const MEANINGS: Record<ErrorCodeMeaning, { retryable: boolean; customerMessage: string }> = {
  pending: { retryable: true, customerMessage: "Your M-Pesa payment is still being processed" },
  subscriber_locked: {
    retryable: true,
    customerMessage: "Another M-Pesa request is already open on your phone. Complete or cancel it, wait a minute, then try again",
  },
  rate_limited: { retryable: true, customerMessage: BUSY },
  system_busy: { retryable: true, customerMessage: BUSY },
  // The client already refreshes the token and retries once; if it is still rejected, repeating will not help.
  invalid_token: { retryable: false, customerMessage: UNAVAILABLE },
  bad_request: { retryable: false, customerMessage: UNAVAILABLE },
  bad_credentials: { retryable: false, customerMessage: UNAVAILABLE },
  merchant_not_found: { retryable: false, customerMessage: UNAVAILABLE },
  not_found: { retryable: false, customerMessage: UNAVAILABLE },
  method_not_allowed: { retryable: false, customerMessage: UNAVAILABLE },
  // Daraja's doc blames the caller's setup, but in practice it is also returned for transient faults;
  // only idempotent calls act on `retryable`, so a repeat is harmless.
  internal_error: { retryable: true, customerMessage: UNAVAILABLE },
  invalid_grant: { retryable: false, customerMessage: UNAVAILABLE },
  unknown: { retryable: false, customerMessage: UNAVAILABLE },
}

/** Codes whose meaning does not depend on the message. */
const BY_CODE: Record<string, ErrorCodeMeaning> = {
  "400.002.02": "bad_request",
  "404.001.03": "invalid_token",
  "404.001.01": "not_found",
  "405.001": "method_not_allowed",
  "500.003.03": "rate_limited", // Quota Violation
  "500.003.1001": "internal_error",
  "400.008.02": "invalid_grant", // OAuth: invalid grant type
  "400.008.01": "bad_credentials", // OAuth: invalid authentication type (Basic header missing or malformed)
}

/** 500.001.1001 is overloaded: the message is the only way to tell its meanings apart. */
function meaningOf5000011001(errorMessage: string): ErrorCodeMeaning {
  const m = errorMessage.toLowerCase()
  if (m.includes("being processed")) return "pending"
  if (m.includes("lock subscriber")) return "subscriber_locked"
  if (m.includes("wrong credentials")) return "bad_credentials"
  if (m.includes("merchant does not exist")) return "merchant_not_found"
  return "unknown"
}

/** 500.003.02 is either "System is busy" or "Spike Arrest Violation" (our own request rate). */
function meaningOf50000302(errorMessage: string): ErrorCodeMeaning {
  return errorMessage.toLowerCase().includes("spike arrest") ? "rate_limited" : "system_busy"
}

export function describeErrorCode(errorCode: string, errorMessage = ""): ErrorCodeInfo {
  const code = String(errorCode).trim()
  let meaning: ErrorCodeMeaning
  if (code === "500.001.1001") meaning = meaningOf5000011001(errorMessage)
  else if (code === "500.003.02") meaning = meaningOf50000302(errorMessage)
  else meaning = BY_CODE[code] ?? "unknown"
  return { code, meaning, ...MEANINGS[meaning] }
}
