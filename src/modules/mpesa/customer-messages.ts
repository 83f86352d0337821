import type { LedgerStatus } from "./types"

/** Messages for states that no Daraja result code describes. */
export const MESSAGES = {
  pending: (amount: number) =>
    `Check your phone: enter your M-Pesa PIN to pay KES ${amount.toLocaleString("en-KE")}.`,
  indeterminate:
    "We sent the M-Pesa prompt but could not confirm it reached your phone. If it appears, enter your PIN: your order completes by itself. Please do not pay twice.",
  expiredByTimer: "The M-Pesa prompt expired before we received your payment. You can try again.",
  paid: (receipt: string | null) =>
    receipt ? `Payment received. M-Pesa receipt ${receipt}.` : "Payment received.",
  initiating: "Sending the M-Pesa prompt to your phone…",
  /** M-Pesa is not set up or misconfigured: the detail is logged, never shown to shoppers. */
  unavailable: "M-Pesa payments are not available right now. Please choose another payment method or try again later.",
} as const

export function defaultMessage(status: LedgerStatus, amount: number, receipt: string | null): string {
  switch (status) {
    case "paid":
      return MESSAGES.paid(receipt)
    case "pending":
      return MESSAGES.pending(amount)
    case "indeterminate":
      return MESSAGES.indeterminate
    case "initiating":
      return MESSAGES.initiating
    case "expired":
      return MESSAGES.expiredByTimer
    default:
      return "The M-Pesa payment did not go through. You can try again."
  }
}
