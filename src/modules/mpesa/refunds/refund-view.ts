import type { RefundRow } from "../types"
import { REFUND_STATUS_LABELS } from "./refund-reasons"

/**
 * What the admin sees of a refund on our ledger: a Daraja reversal, or a
 * refund the merchant made outside the plugin (M-Pesa Org portal) and
 * recorded here. Never a secret, never a full phone number.
 */
export type RefundKind = "reversal" | "outside"

/**
 * sending   — row written, the Reversal request is on its way to Daraja
 * requested — Daraja accepted the request; its result has not arrived yet
 * unknown   — Daraja's answer was lost or doubtful; being confirmed with Transaction Status
 * completed — the money went back to the customer (reversal) / the merchant recorded it (outside)
 * failed    — nothing moved; `reason` says why in plain words
 */
export type RefundStatus = "sending" | "requested" | "unknown" | "completed" | "failed"

export type RefundView = {
  id: string
  transaction_id: string
  kind: RefundKind
  status: RefundStatus
  /** the status in the merchant's words, e.g. "Reversed", "Reversal failed", "Waiting for M-Pesa" */
  status_label: string
  amount: number
  currency_code: "KES"
  /** why it failed, or what is still unknown, in plain words (null when nothing to say) */
  reason: string | null
  /** Daraja's ResultCode for the reversal, when it gave one */
  result_code: string | null
  /** the M-Pesa transaction id of the reversal itself (not the original receipt) */
  reversal_receipt: string | null
  /** the merchant's note (outside refunds: e.g. the Org portal reference) */
  note: string | null
  /** "admin:<user id>" or "medusa" (a refund or order cancel from Medusa's order page) */
  requested_by: string | null
  /** Medusa's refund id once Medusa has recorded this refund on the order's payment */
  medusa_refund_id: string | null
  created_at: string
  settled_at: string | null
}

/** What the admin may do with a paid M-Pesa payment now (the buttons to show). */
export type PaymentActions = {
  /** send a Daraja Reversal of the whole payment (unmatched money; order payments use Medusa's Refund) */
  reverse: boolean
  /** attach to the cart (or unpaid order) it belongs to */
  attach: boolean
  /** record a refund made outside the plugin; up to this many shillings */
  record_outside_max: number
  /** a reversal still waiting for M-Pesa's answer: "Check again" or "Close as returned" act on it */
  open_reversal_id: string | null
  /** paid, confirmed by a status query, so without a receipt: "Add receipt" (checked with M-Pesa) makes it reversible */
  add_receipt: boolean
}


export function toRefundView(row: RefundRow): RefundView {
  return {
    id: row.id,
    transaction_id: row.transaction_id,
    kind: row.kind,
    status: row.status,
    status_label: REFUND_STATUS_LABELS[row.kind][row.status],
    amount: row.amount,
    currency_code: "KES",
    reason: row.attention_reason ?? row.reason,
    result_code: row.result_code,
    reversal_receipt: row.reversal_receipt,
    note: row.note,
    requested_by: row.requested_by,
    medusa_refund_id: row.medusa_refund_id,
    created_at: new Date(row.created_at).toISOString(),
    settled_at: row.settled_at ? new Date(row.settled_at).toISOString() : null,
  }
}
