/**
 * What the storefront sees of an M-Pesa payment: the answer of
 * `GET /store/mpesa/payment-sessions/:id` (src/api/store/mpesa/payment-sessions/[id]/route.ts).
 */
export type MpesaPaymentState =
  | "initiating" // the STK Push request is in flight
  | "pending" // the prompt is on the phone, waiting for the PIN
  | "indeterminate" // the prompt may have reached the phone; the answer is unknown: do not pay twice
  | "paid"
  | "failed"
  | "canceled"
  | "expired"

export type MpesaPayment = {
  session_id: string | null
  state: MpesaPaymentState
  /** always show it: written for the shopper */
  message: string
  result_code: string | null
  checkout_request_id: string | null
  /** masked, e.g. 2547****5678 */
  phone: string
  /** whole shillings pushed */
  amount: number
  currency_code: string
  mpesa_receipt_number: string | null
  /** ISO time after which the plugin stops waiting for this prompt */
  expires_at: string
  /** set once the plugin (or anyone) completed the cart into an order */
  order_id: string | null
  /** a new prompt may be sent right away */
  retryable: boolean
  /** paid after the session was closed: no order follows, the merchant refunds or matches it */
  unmatched: boolean
}

/** Why the client could not even start a prompt. */
export type MpesaStartFailure =
  | { kind: "invalid_phone"; message: string }
  /** HTTP 429 from the prompt limits: `message` already says how long to wait */
  | { kind: "rate_limited"; message: string; retryAfterSeconds: number }
  /** the store refused the session (400: the message is for the shopper; 5xx: the shop's M-Pesa setup) */
  | { kind: "refused"; message: string; httpStatus: number }
  /** no answer from the store (network down, CORS, timeout) */
  | { kind: "network"; message: string }
  | { kind: "aborted"; message: string }

export type MpesaStartResult = { ok: true; sessionId: string; payment: MpesaPayment | null } | ({ ok: false } & MpesaStartFailure)

/** How a followed payment ended, for this prompt. */
export type MpesaOutcome =
  /** paid; `orderId` is null only when the order did not appear within `orderWaitMs` (it still completes by itself) */
  | { status: "paid"; orderId: string | null; receipt: string | null; message: string; payment: MpesaPayment }
  /** cancelled, declined (wrong PIN, balance, …) or expired; `retryable` says whether a new prompt can help now */
  | {
      status: "failed"
      reason: "canceled" | "failed" | "expired"
      retryable: boolean
      resultCode: string | null
      message: string
      payment: MpesaPayment
    }
  /** no verdict by the time we stopped waiting: the shopper must NOT pay again; the order may still complete */
  | { status: "unknown"; message: string; payment: MpesaPayment | null }
  | { status: "aborted" }
