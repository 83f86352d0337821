import { describeResultCode, maskPhone } from "../../lib/daraja"
import { defaultMessage } from "./customer-messages"
import type { LedgerRow, MpesaPaymentView } from "./types"
import { FAILURE_STATUSES } from "./statuses"

/** What the provider, the store route and the admin see of a ledger row: never a secret or a full phone number. */
export function toPaymentView(row: LedgerRow): MpesaPaymentView {
  return {
    transaction_id: row.id,
    session_id: row.payment_session_id,
    payment_collection_id: row.payment_collection_id,
    state: row.status,
    checkout_request_id: row.checkout_request_id,
    phone: maskPhone(row.phone),
    amount: row.amount,
    currency_code: row.currency_code,
    result_code: row.result_code,
    message: row.customer_message ?? defaultMessage(row.status, row.amount, row.mpesa_receipt_number),
    retryable: isRetryable(row),
    mpesa_receipt_number: row.mpesa_receipt_number,
    expires_at: new Date(row.expires_at).toISOString(),
    settled_at: row.settled_at ? new Date(row.settled_at).toISOString() : null,
    unmatched: row.unmatched,
    completed_at: row.completed_at ? new Date(row.completed_at).toISOString() : null,
    needs_attention: row.attention_reason,
  }
}

/** Whether the shopper may start a new prompt now: our own expiry yes, Daraja's verdicts per its table. */
function isRetryable(row: LedgerRow): boolean {
  if (!FAILURE_STATUSES.includes(row.status)) {
    return false
  }
  return row.result_code ? describeResultCode(row.result_code).retryable : true
}
