/**
 * M-Pesa Express `ResultCode`s (callback and STK query) mapped to a payment outcome and a shopper-facing message.
 * Every code in Daraja's result code table is listed; anything else is an unknown failure, never "pending":
 * a ResultCode only exists once M-Pesa has finished with the request.
 */
export type ResultCodeState = "paid" | "canceled" | "failed" | "expired"

export type ResultCodeInfo = {
  code: string
  state: ResultCodeState
  /** the shopper may start a new prompt right away (possibly after fixing something on their phone) */
  retryable: boolean
  customerMessage: string
  /** Daraja's own description of the code */
  description: string
  known: boolean
}

type Entry = Omit<ResultCodeInfo, "code" | "known">

const MERCHANT_SETUP = "This shop cannot take M-Pesa payments right now. Please choose another payment method"

const RESULT_CODES: Record<string, Entry> = {
  "0": {
    state: "paid",
    retryable: false,
    customerMessage: "Payment received",
    description: "The service request is processed successfully.",
  },
  "1": {
    state: "failed",
    // Retryable: the shopper can top up (or use Fuliza) and try again without leaving checkout.
    retryable: true,
    customerMessage: "Insufficient M-Pesa balance",
    description: "The balance is insufficient for the transaction.",
  },
  "2": {
    state: "failed",
    retryable: false,
    customerMessage: "The amount is below the M-Pesa minimum of KES 1",
    description: "Declined due to limit rule.",
  },
  "3": {
    state: "failed",
    retryable: false,
    customerMessage: "The amount is above the M-Pesa limit per transaction",
    description: "Declined due to limit rule: greater than the maximum transaction amount.",
  },
  "4": {
    state: "failed",
    retryable: false,
    customerMessage: "This payment would exceed your daily M-Pesa limit",
    description: "Declined due to limit rule: would exceed daily transfer limit.",
  },
  "8": {
    state: "failed",
    retryable: false,
    customerMessage: MERCHANT_SETUP,
    description: "Declined due to limit rule: would exceed the maximum balance.",
  },
  "17": {
    state: "failed",
    // Not "now": Daraja refuses the same amount to the same customer for about 2 minutes.
    retryable: false,
    customerMessage: "A payment for the same amount was just requested. Please wait 2 minutes before trying again",
    description: "Rule limited.",
  },
  // 1019 and 1037 are "expired", not "failed": nobody declined anything, the prompt simply lapsed without an
  // answer (1037: the phone was off, busy or unreachable; 1019: not completed in time). No money moved and the
  // shopper can try again at once, which is different from a decline such as a wrong PIN or low balance.
  "1019": {
    state: "expired",
    retryable: true,
    customerMessage: "The M-Pesa prompt expired before it was completed. Please try again",
    description: "Transaction has expired.",
  },
  "1025": {
    state: "failed",
    // Documented cause is an over-long prompt, which sanitised references prevent; otherwise it is transient.
    retryable: true,
    customerMessage: "We could not send the M-Pesa prompt to your phone. Please try again",
    description: "An error occurred while sending a push request.",
  },
  "1032": {
    state: "canceled",
    retryable: true,
    customerMessage: "You cancelled the M-Pesa prompt",
    description: "Request cancelled by user.",
  },
  "1037": {
    state: "expired",
    retryable: true,
    customerMessage: "We could not reach your phone. Check it is on and unlocked, then try again",
    description: "DS timeout user cannot be reached.",
  },
  "2001": {
    state: "failed",
    retryable: true,
    customerMessage: "Wrong M-Pesa PIN",
    description: "The initiator information is invalid.",
  },
  "2028": {
    state: "failed",
    retryable: false,
    customerMessage: MERCHANT_SETUP,
    description: "The request is not permitted according to product assignment.",
  },
  "8006": {
    state: "failed",
    retryable: false,
    customerMessage: "Your M-Pesa PIN is locked. Call Safaricom Customer Care on 100 or 200",
    description: "The security credential is locked.",
  },
  SFC_IC0003: {
    state: "failed",
    retryable: false,
    customerMessage: MERCHANT_SETUP,
    description: "The operator does not exist.",
  },
}

const UNKNOWN: Entry = {
  state: "failed",
  // A non-zero ResultCode means M-Pesa did not take the money, so a fresh attempt cannot double-charge.
  retryable: true,
  customerMessage: "The M-Pesa payment did not go through. Please try again or choose another payment method",
  description: "Unknown result code",
}

/** All result codes in Daraja's table, for tests and simulators. */
export const KNOWN_RESULT_CODES: readonly string[] = Object.keys(RESULT_CODES)

function normaliseCode(code: string | number): string {
  const s = String(code).trim().toUpperCase()
  // "0032"-style padding is not expected, but must never turn a known code into an unknown one.
  return /^\d+$/.test(s) ? s.replace(/^0+(?=\d)/, "") : s
}

export function describeResultCode(code: string | number): ResultCodeInfo {
  const normalised = normaliseCode(code)
  const entry = Object.prototype.hasOwnProperty.call(RESULT_CODES, normalised) ? RESULT_CODES[normalised] : undefined
  return entry ? { code: normalised, known: true, ...entry } : { code: normalised, known: false, ...UNKNOWN }
}
