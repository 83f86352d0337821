/** Emitted once when a push moves into `paid` (and is not unmatched); the completion subscriber listens. */
export const MPESA_PAYMENT_CAPTURED = "mpesa.payment.captured"
/** Emitted by the callback route after the raw callback is persisted. */
export const MPESA_CALLBACK_RECEIVED = "mpesa.callback.received"
/** Emitted once when a push ends without money (failure code, cancel, expiry); mirrored onto Medusa's session. */
export const MPESA_PAYMENT_FAILED = "mpesa.payment.failed"
/** Emitted once when a refund (reversal) is settled: completed or failed. Carries the refund id. */
export const MPESA_REFUND_SETTLED = "mpesa.refund.settled"
