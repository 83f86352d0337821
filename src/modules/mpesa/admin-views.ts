import { describeResultCode, maskPhone } from "../../lib/daraja"
import { toRefundView } from "./refunds/refund-view"
import type { CallbackRow, LedgerRow, MpesaPaymentView, RefundRow } from "./types"
import { OPEN_REFUND_STATUSES } from "./statuses"
import { attachRule, liveReversal, outsideRule, paidAmount, reverseRule } from "./refunds/desk-rules"
import { toPaymentView } from "./views"
import type { AdminCallbackView, AdminTransactionView, PaymentActions, RefundView, TimelineEvent } from "./types"




const STATE_LABELS: Record<LedgerRow["status"], string> = {
  initiating: "Sending the prompt",
  pending: "Waiting for the shopper's PIN",
  indeterminate: "Prompt may have reached the phone (outcome unknown)",
  paid: "Paid",
  failed: "Failed",
  canceled: "Cancelled by the shopper",
  expired: "Expired",
}

export function toAdminTransactionView(row: LedgerRow, refunds: RefundRow[] = []): AdminTransactionView {
  const view = toPaymentView(row)
  const mine = refunds.filter((r) => r.transaction_id === row.id)
  return {
    ...view,
    created_at: iso(row.created_at)!,
    account_reference: row.account_reference,
    result_desc: row.result_desc,
    state_label: stateLabel(row),
    reason: reason(row),
    action: action(row),
    completion_attempts: row.completion_attempts,
    completion_error: row.completion_error,
    refunds: mine.map(toRefundView),
    refunded_amount: row.refunded_amount ?? 0,
    actions: actions(row, mine),
  }
}

/** The buttons to show: the money desk's own rules (refunds/desk-rules.ts) applied to the rows as read. */
function actions(row: LedgerRow, refunds: RefundRow[]): PaymentActions {
  const state = { payment: row, refunds, now: new Date() }
  const open = liveReversal(refunds)
  const waiting = open && open.status !== "completed" ? open : null
  return {
    reverse: row.status === "paid" && !open && reverseRule(state) === null,
    attach: row.status === "paid" && row.unmatched && attachRule(state, row.attach_collection_id ?? "") === null,
    record_outside_max:
      outsideRule(state, 1, "\u0000") === null ? Math.max(0, paidAmount(row) - (row.refunded_amount ?? 0)) : 0,
    // A reversal still waiting for M-Pesa: check it again now, or close it as returned (Org portal).
    open_reversal_id: waiting?.id ?? null,
    add_receipt: row.status === "paid" && !row.mpesa_receipt_number && (row.refunded_amount ?? 0) < paidAmount(row),
  }
}

function stateLabel(row: LedgerRow): string {
  const refundedInFull = (row.refunded_amount ?? 0) >= paidAmount(row)
  if (row.status === "paid" && !row.completed_at && refundedInFull) return "Paid, refunded in full (no order)"
  if (row.status === "paid" && !row.completed_at && row.refund_hold_at) return "Paid, being refunded (no order will be made)"
  if (row.status === "paid" && row.unmatched) return "Paid, no order (unmatched)"
  if (row.status === "paid" && row.attention_at && !row.completed_at) return "Paid, order not created (needs attention)"
  if (row.status === "paid" && !row.completed_at) return "Paid, creating the order"
  if (row.status === "paid") return "Paid, order created"
  return STATE_LABELS[row.status]
}

function reason(row: LedgerRow): string | null {
  if (row.unmatched) {
    const late = row.settled_at && new Date(row.settled_at) > new Date(row.expires_at) ? " It arrived after the prompt had expired." : ""
    return (
      (row.session_closed_at
        ? "Paid after Medusa had closed this payment session (the cart changed or another payment method was chosen); no order was created for this money."
        : "Paid after another prompt of the same cart was already paid; no order was created for this money.") + late
    )
  }
  if (row.attention_reason) return row.attention_reason
  if (row.status === "failed" || row.status === "canceled" || row.status === "expired") {
    if (row.result_code) return `${describeResultCode(row.result_code).description ?? row.result_desc ?? "Daraja result"} (ResultCode ${row.result_code})`
    return row.result_desc ?? "No result from Daraja before the prompt expired"
  }
  return null
}

function action(row: LedgerRow): string | null {
  if (row.unmatched && (row.refunded_amount ?? 0) >= (row.paid_amount ?? row.amount)) return null
  if (row.unmatched) {
    return `Reverse the ${kes(row.amount)} to ${maskPhone(row.paid_phone ?? row.phone)} (receipt ${row.mpesa_receipt_number ?? "-"}), attach it to the cart it was meant for, or record a refund you made from the M-Pesa Org portal.`
  }
  if (row.status === "paid" && !row.completed_at && row.refund_hold_at) return null
  if (row.status === "paid" && !row.completed_at && !row.unmatched && row.completion_attempts >= 1) {
    return "Fix the cause (stock, a changed cart) and the next retry creates the order; or give the money back: Reverse it, or record a refund you made from the M-Pesa Org portal. Once either is done, no order is made from this money."
  }
  if (row.status === "indeterminate") return "Nothing yet: a callback, a status query or the expiry settles it."
  if (row.status === "failed" && row.result_code && ["2028", "SFC_IC0003", "8"].includes(row.result_code)) {
    return "Check the shortcode, till number and transaction type in Settings -> M-Pesa."
  }
  return null
}

export function toAdminCallbackView(cb: CallbackRow): AdminCallbackView {
  return {
    id: cb.id,
    created_at: iso(cb.created_at)!,
    status: cb.status,
    note: cb.note,
    source_ip: cb.source_ip,
    transaction_id: cb.transaction_id,
    checkout_request_id: cb.checkout_request_id,
    result_code: cb.result_code,
    action:
      cb.status === "suspicious"
        ? "Nothing was changed by this callback. If it repeats from an unknown address, set MPESA_ALLOWED_CALLBACK_IPS to Safaricom's addresses."
        : cb.status === "unconfirmed"
          ? "Daraja never confirmed this result: check the M-Pesa statement in the Org portal for the receipt."
          : "No action needed.",
  }
}

/** One push's story, oldest first, from the ledger row and the callbacks that named it. */
export function timeline(row: LedgerRow, callbacks: CallbackRow[], refunds: RefundRow[] = []): TimelineEvent[] {
  const events: TimelineEvent[] = []
  const add = (at: Date | string | null, kind: string, label: string, tone: TimelineEvent["tone"], detail: string | null = null) => {
    if (at) events.push({ at: iso(at)!, kind, label, detail, tone })
  }
  add(row.created_at, "push", `STK Push sent to ${maskPhone(row.phone)} for ${kes(row.amount)}`, "info", `Account reference ${row.account_reference}`)
  if (row.checkout_request_id) {
    add(row.created_at, "prompt", "Daraja accepted the push: the PIN prompt was shown on the phone", "info", row.checkout_request_id)
  } else if (row.status === "indeterminate") {
    add(row.created_at, "prompt", "No answer from Daraja to the push: the prompt may have reached the phone", "warning")
  }
  for (const cb of [...callbacks].filter((c) => (c.kind ?? "stk") === "stk").sort((a, b) => +new Date(a.created_at) - +new Date(b.created_at))) {
    const tone: TimelineEvent["tone"] =
      cb.status === "applied" ? "success" : cb.status === "suspicious" || cb.status === "invalid" ? "error" : cb.status === "unconfirmed" ? "warning" : "info"
    const label =
      cb.status === "duplicate"
        ? "Duplicate callback ignored"
        : cb.status === "suspicious"
          ? "Suspicious callback rejected"
          : cb.status === "applied"
            ? `Callback received (ResultCode ${cb.result_code ?? "?"}) and applied`
            : `Callback received (${cb.status})`
    add(cb.created_at, `callback_${cb.status}`, label, tone, cb.note)
  }
  if (row.confirmed_by === "callback+query") {
    add(row.settled_at, "query", "Callback confirmed by an STK Push Query before it was trusted", "info")
  } else if (row.confirmed_by === "query") {
    add(row.settled_at, "query", "Result learned from an STK Push Query (no callback needed)", "info")
  }
  if (row.query_attempts > 0 && row.last_queried_at && row.confirmed_by !== "callback+query") {
    add(row.last_queried_at, "query_sent", `Status queries sent: ${row.query_attempts}`, "info")
  }
  if (row.status === "paid") {
    add(row.settled_at, "paid", `Paid: receipt ${row.mpesa_receipt_number ?? "-"}`, "success")
  } else if (row.status === "failed" || row.status === "canceled" || row.status === "expired") {
    add(row.settled_at ?? row.updated_at, row.status, `${STATE_LABELS[row.status]}${row.result_code ? ` (ResultCode ${row.result_code})` : ""}`, "error", row.result_desc)
  }
  if (row.session_closed_at) add(row.session_closed_at, "session_closed", "Medusa closed the payment session", "warning")
  if (row.unmatched) add(row.settled_at, "unmatched", "Kept as unmatched: no order for this money", "warning")
  if (row.completion_attempts > 0 && !row.completed_at) {
    add(row.updated_at, "completion_failed", `Order creation attempts: ${row.completion_attempts}`, "warning", row.completion_error)
  }
  if (row.completed_at) {
    add(row.completed_at, "completed", `Order created${row.completion_attempts > 1 ? ` (after ${row.completion_attempts} attempts)` : ""}`, "success")
  }
  if (row.attention_at) add(row.attention_at, "attention", "Flagged: needs attention", "error", row.attention_reason)
  if (row.attached_at) add(row.attached_at, "attached", "Attached to a cart by an admin", "info", row.attach_requested_by)
  for (const r of refunds) {
    const what = r.kind === "reversal" ? `Reversal of ${kes(r.amount)} requested` : `Refund of ${kes(r.amount)} made outside M-Pesa recorded`
    add(r.created_at, "refund_requested", what, "info", r.note ?? (r.requested_by === "medusa" ? "from Medusa (refund or order cancel)" : r.requested_by))
    if (r.status === "completed") {
      add(r.settled_at, "refund_completed", r.kind === "reversal" ? `Reversed: M-Pesa transaction ${r.reversal_receipt ?? "-"}` : "Refund recorded", "success", r.reason)
    } else if (r.status === "failed") {
      add(r.settled_at ?? r.updated_at, "refund_failed", r.kind === "reversal" ? "Reversal failed" : "Refund not recorded", "error", r.reason)
    }
    if (r.attention_at) add(r.attention_at, "refund_attention", "Refund needs attention", "error", r.attention_reason)
  }
  return events.sort((a, b) => a.at.localeCompare(b.at))
}

function kes(n: number): string {
  return `KES ${n.toLocaleString("en-KE")}`
}

function iso(d: Date | string | null): string | null {
  return d ? new Date(d).toISOString() : null
}
