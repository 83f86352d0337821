import type { LedgerRow, RefundRow } from "../types"
import { OPEN_REFUND_STATUSES } from "../statuses"

/**
 * The money desk's rules: what may be done with a paid M-Pesa payment, from
 * the payment and its refunds as they are. Pure, so the same rules decide the
 * buttons the admin sees and — under the payment's row lock, from the rows as
 * they are at that moment — whether an action actually happens. Every path
 * that spends the money asks here: attach to a cart or an order, reverse,
 * record a refund made outside, Medusa's Refund and order Cancel.
 */
export type DeskState = { payment: LedgerRow; refunds: RefundRow[]; now: Date }

/** A refusal says what already happened and what to do; `conflict` ones are races lost to another action under way or done. */
export type DeskRefusal = { refused: string; conflict?: boolean }

/**
 * How long an admin's attach request holds unmatched money. The attach
 * workflow takes it within seconds; a request older than this belongs to a
 * workflow that died, and must not block Reverse or a new attach for good.
 */
export const ATTACH_HOLD_MS = 5 * 60_000

export const kes = (n: number) => `KES ${n.toLocaleString("en-KE")}`

/** The whole shillings M-Pesa confirmed for a payment (what a reversal returns). */
export function paidAmount(payment: LedgerRow): number {
  return payment.paid_amount ?? payment.amount
}

/** The payment's reversal on its way or done (at most one: a unique index). */
export function liveReversal(refunds: RefundRow[]): RefundRow | null {
  return refunds.find((r) => r.kind === "reversal" && (r.status === "completed" || OPEN_REFUND_STATUSES.includes(r.status))) ?? null
}

/** A refund made outside that Medusa's refund flow is recording right now. */
export function outsideBeingRecorded(refunds: RefundRow[]): RefundRow | null {
  return refunds.find((r) => r.kind === "outside" && r.status === "sending") ?? null
}

export function attachInProgress(payment: LedgerRow, now: Date): boolean {
  if (!payment.attach_collection_id) return false
  const at = payment.attach_requested_at ? new Date(payment.attach_requested_at).getTime() : 0
  return now.getTime() - at < ATTACH_HOLD_MS
}

/** A worker holds the payment's completion lease: an order may be created from it any moment. */
function completionInFlight(payment: LedgerRow, now: Date): boolean {
  return !payment.completed_at && !!payment.completion_locked_until && new Date(payment.completion_locked_until) > now
}

/**
 * Paid and matched to a cart, but its order could not be created (out of
 * stock, a deleted variant…): after the first failed attempt, and while no
 * attempt is running, the money may go back instead.
 */
export function completionStuck(payment: LedgerRow, now: Date): boolean {
  return !payment.unmatched && !payment.completed_at && (payment.completion_attempts ?? 0) >= 1 && !completionInFlight(payment, now)
}

/** Shared by every action: the payment is paid and nothing else is deciding about its money right now. */
function common(state: DeskState, verb: string): DeskRefusal | null {
  const { payment, refunds, now } = state
  if (payment.status !== "paid") return { refused: `Only paid M-Pesa payments can be ${verb}; this one is ${payment.status}.` }
  if (outsideBeingRecorded(refunds)) {
    return { refused: "A refund made outside M-Pesa is being recorded for this payment right now; try again in a moment.", conflict: true }
  }
  if (attachInProgress(payment, now)) {
    return {
      refused:
        `This payment is being attached to a cart right now (asked by ${payment.attach_requested_by ?? "an admin"}), so it cannot ` +
        `also be ${verb}. Wait for that to finish: if it makes an order, refund the order from its page.`,
      conflict: true,
    }
  }
  if (completionInFlight(payment, now)) {
    return { refused: `An order is being created from this payment right now, so it cannot be ${verb}; try again in a minute.`, conflict: true }
  }
  if (!payment.unmatched && !payment.completed_at && (payment.completion_attempts ?? 0) < 1) {
    return { refused: `The order for this payment is still being created, so it cannot be ${verb} yet; try again in a minute.`, conflict: true }
  }
  return null
}

const noReceipt = (what: string) =>
  `This payment has no M-Pesa receipt number (it was confirmed by a status query, which carries none), so M-Pesa cannot ${what}. ` +
  "Add the receipt (from the M-Pesa Org portal or the shopper's SMS) in the payment's M-Pesa panel, or send the money back from the " +
  'Org portal and record it under "Record refund made outside M-Pesa".'

/** A Daraja Reversal from the admin desk (unmatched money, or a paid cart whose order cannot be created). */
export function reverseRule(state: DeskState): DeskRefusal | null {
  const { payment, refunds } = state
  if (payment.status === "paid" && payment.completed_at) {
    return { refused: "Only paid M-Pesa payments without an order can be reversed here; refund an order's payment from the order page." }
  }
  // A second press (a double click, another tab) is answered with the reversal already sent or done.
  if (liveReversal(refunds)) return null
  return common(state, "reversed") ?? wholeReversal(state, paidAmount(payment))
}

/** Medusa's Refund (the order page, an order cancel, a return) of `amount` whole shillings. */
export function medusaRefundRule(state: DeskState, amount: number): DeskRefusal | null {
  const { payment, refunds } = state
  const reversal = liveReversal(refunds)
  if (reversal) {
    // Joining the reversal already sent: only for its whole amount, so a partial refund never claims it.
    if (amount === reversal.amount) return null
    return {
      refused:
        `amount: this payment is already being reversed in full through M-Pesa (${kes(reversal.amount)}); the whole amount is recorded ` +
        "on the order once M-Pesa confirms it, so a partial refund cannot be added.",
      conflict: true,
    }
  }
  if (payment.status !== "paid") return { refused: `Only paid M-Pesa payments can be refunded; this one is ${payment.status}.` }
  if (outsideBeingRecorded(refunds)) {
    return { refused: "A refund made outside M-Pesa is being recorded for this payment right now; try again in a moment.", conflict: true }
  }
  return wholeReversal(state, amount)
}

function wholeReversal(state: DeskState, amount: number): DeskRefusal | null {
  const { payment } = state
  const paid = paidAmount(payment)
  if (payment.refunded_amount > 0) {
    return {
      refused:
        `${kes(payment.refunded_amount)} of this payment was already refunded outside M-Pesa Express. Daraja's Reversal returns the ` +
        `whole ${kes(paid)}, so it cannot be used now: send the remaining ${kes(Math.max(0, paid - payment.refunded_amount))} from the ` +
        "M-Pesa Org portal and record it as a refund made outside M-Pesa.",
    }
  }
  if (amount !== paid) {
    return {
      refused:
        `amount: M-Pesa reverses whole payments only. Refund the full ${kes(paid)} to reverse it through M-Pesa, or send ` +
        `${kes(amount)} from the M-Pesa Org portal and record it under "Record refund made outside M-Pesa" in the order's M-Pesa panel.`,
    }
  }
  if (!payment.mpesa_receipt_number) return { refused: noReceipt("reverse it") }
  return null
}

/** A refund the merchant made outside the plugin (Org portal): needs no receipt, never more than what is left. */
export function outsideRule(state: DeskState, amount: number, note: string): DeskRefusal | null {
  const { payment, refunds } = state
  const reversal = liveReversal(refunds)
  if (reversal?.status === "completed") return { refused: alreadyReversed(reversal), conflict: true }
  if (reversal) {
    return {
      refused:
        "A reversal of this payment is waiting for M-Pesa's answer. Check it again from the payment's M-Pesa panel; if the Org portal " +
        "shows the money went back, close it there as returned.",
      conflict: true,
    }
  }
  const refused = common(state, "refunded")
  if (refused) return refused
  // The note names the refund made elsewhere (e.g. the Org portal's transaction id): the same one twice
  // for one payment is a repeated submission, not a second refund.
  const key = note.trim().toLowerCase()
  const same = refunds.find(
    (r) => r.kind === "outside" && r.status === "completed" && (r.note ?? "").trim().toLowerCase() === key
  )
  if (same) return { refused: `note: a refund with this note is already recorded for this payment (${same.id}); use the note to tell refunds apart.` }
  const remaining = paidAmount(payment) - payment.refunded_amount
  if (amount > remaining) {
    return {
      refused: `amount: at most ${kes(Math.max(0, remaining))} of this payment is left to refund (paid ${kes(paidAmount(payment))}, refunded ${kes(payment.refunded_amount)}).`,
    }
  }
  return null
}

/** Unmatched money -> a cart or an unpaid order, while none of it went back and nothing else is under way. */
export function attachRule(state: DeskState, collectionId: string): DeskRefusal | null {
  const { payment, refunds, now } = state
  if (payment.status !== "paid" || !payment.unmatched) {
    return { refused: "Only paid M-Pesa payments without an order (unmatched) can be attached to a cart.", conflict: payment.status === "paid" }
  }
  const reversal = liveReversal(refunds)
  if (reversal) {
    return {
      refused:
        reversal.status === "completed"
          ? alreadyReversed(reversal)
          : "This payment is being reversed (a reversal is waiting for M-Pesa's answer), so it cannot pay for a cart.",
      conflict: true,
    }
  }
  if (payment.refunded_amount > 0) return { refused: "Part of this payment was already refunded, so it cannot pay for a cart." }
  if (outsideBeingRecorded(refunds)) {
    return { refused: "A refund made outside M-Pesa is being recorded for this payment right now, so it cannot pay for a cart.", conflict: true }
  }
  if (attachInProgress(payment, now) && payment.attach_collection_id !== collectionId) {
    return { refused: `This payment is being attached to another cart right now (asked by ${payment.attach_requested_by ?? "an admin"}).`, conflict: true }
  }
  return null
}

function alreadyReversed(reversal: RefundRow): string {
  return `This payment was already reversed in full through M-Pesa (${reversal.reversal_receipt ?? reversal.id}).`
}
