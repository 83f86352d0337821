import type { RefundRow } from "../types"
import { REFUND_STATUS_LABELS } from "./refund-reasons"
import type { RefundView } from "../types"






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
