import type { RefundStatus } from "../types"

/**
 * The allowed refund state changes. Each is a conditional UPDATE ("… WHERE
 * status IN (from)"), so a Result callback, its duplicate, a Transaction
 * Status answer and the sweep can race and exactly one of them settles the
 * refund; a settled refund never moves again.
 */
export const REFUND_TRANSITIONS: Record<Exclude<RefundStatus, "sending">, readonly RefundStatus[]> = {
  // Daraja acknowledged the Reversal request (a ConversationID); the result comes later.
  // (from unknown: the request was sent again after its first answer was lost)
  requested: ["sending", "unknown"],
  // The request's answer was lost, or a result was doubtful: Transaction Status decides.
  unknown: ["sending", "requested", "unknown"],
  // A result (or Transaction Status) says the money went back; an outside refund is recorded.
  completed: ["sending", "requested", "unknown"],
  // (never out of failed: a success that contradicts a failure is flagged for a person instead)
  // Daraja refused the reversal, or says it never happened; nothing moved.
  failed: ["sending", "requested", "unknown"],
}
