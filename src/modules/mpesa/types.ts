import type { Knex } from "@medusajs/framework/mikro-orm/knex"

export type { Knex }

export type LedgerStatus =
  | "initiating" // row written, STK Push request in flight
  | "pending" // Daraja accepted the push; waiting for the shopper's PIN
  | "indeterminate" // the push may have reached the phone, but we never got Daraja's answer
  | "paid"
  | "failed"
  | "canceled"
  | "expired"

export const OPEN_STATUSES: LedgerStatus[] = ["initiating", "pending", "indeterminate"]
export const FAILURE_STATUSES: LedgerStatus[] = ["failed", "canceled", "expired"]

/** A ledger row as stored. */
export type LedgerRow = {
  id: string
  payment_session_id: string | null
  initiated_session_id: string
  payment_collection_id: string | null
  checkout_request_id: string | null
  merchant_request_id: string | null
  phone: string
  amount: number
  medusa_amount: string
  currency_code: string
  account_reference: string
  status: LedgerStatus
  result_code: string | null
  result_desc: string | null
  customer_message: string | null
  mpesa_receipt_number: string | null
  paid_amount: number | null
  paid_phone: string | null
  transaction_date: string | null
  confirmed_by: string | null
  callback_received_at: Date | null
  settled_at: Date | null
  query_attempts: number
  next_query_at: Date | null
  last_queried_at: Date | null
  expires_at: Date
  session_closed_at: Date | null
  unmatched: boolean
  completed_at: Date | null
  completion_attempts: number
  completion_error: string | null
  next_completion_at: Date | null
  completion_locked_until: Date | null
  attention_reason: string | null
  attention_at: Date | null
  refunded_amount: number
  attach_collection_id: string | null
  attach_requested_by: string | null
  attached_at: Date | null
  attach_requested_at: Date | null
  refund_hold_at: Date | null
  /** the session our provider last answered Medusa's create for, and when (see session-readiness.ts) */
  answered_session_id: string | null
  session_answered_at: Date | null
  /** callbacks to this push's signed URLs acknowledged but not stored (beyond maxCallbacksPerUrl) */
  replays_dropped: number
  created_at: Date
  updated_at: Date
}

export type CallbackStatus =
  | "received"
  | "applied"
  | "duplicate"
  | "waiting"
  | "suspicious"
  | "invalid"
  | "unconfirmed"

export type CallbackRow = {
  id: string
  kind: CallbackKind
  refund_id: string | null
  /** the Daraja request (mpesa_daraja_request) whose signed Result URL this was posted to */
  request_id: string | null
  checkout_request_id: string | null
  merchant_request_id: string | null
  result_code: string | null
  payload: unknown
  source_ip: string | null
  status: CallbackStatus
  note: string | null
  transaction_id: string | null
  processed_at: Date | null
  attempts: number
  next_check_at: Date | null
  locked_until: Date | null
  created_at: Date
  updated_at: Date
}

/**
 * What the provider, the store route and the admin see of a payment. Never a
 * secret, never the full phone number.
 */
export type MpesaPaymentView = {
  transaction_id: string
  /** the Medusa payment session this push belongs to now (null once superseded) */
  session_id: string | null
  payment_collection_id: string | null
  state: LedgerStatus
  checkout_request_id: string | null
  phone: string // masked
  amount: number
  currency_code: string
  result_code: string | null
  message: string
  /** the shopper may start a new prompt now (false e.g. for 17 "wait 2 minutes", 8006 PIN locked, merchant setup errors) */
  retryable: boolean
  mpesa_receipt_number: string | null
  expires_at: string
  settled_at: string | null
  unmatched: boolean
  completed_at: string | null
  /** why a person should look at this payment (null when nothing is wrong) */
  needs_attention: string | null
}

/** Outcome of applying one callback, for logs, tests and the callback row. */
export type CallbackOutcome = {
  status: CallbackStatus
  note: string
  transaction_id: string | null
  /** true when this call moved the ledger row into `paid` (exactly one caller sees it) */
  captured: boolean
}

export type RefundKind = "reversal" | "outside"
export type RefundStatus = "sending" | "requested" | "unknown" | "completed" | "failed"
export const OPEN_REFUND_STATUSES: RefundStatus[] = ["sending", "requested", "unknown"]

/** A refund row as stored (mpesa_refund). */
export type RefundRow = {
  id: string
  transaction_id: string
  kind: RefundKind
  status: RefundStatus
  amount: number
  medusa_refund_id: string | null
  medusa_payment_id: string | null
  requested_by: string | null
  note: string | null
  originator_conversation_id: string | null
  conversation_id: string | null
  result_code: string | null
  result_desc: string | null
  reversal_receipt: string | null
  reason: string | null
  settled_at: Date | null
  check_attempts: number
  next_check_at: Date | null
  locked_until: Date | null
  attention_reason: string | null
  attention_at: Date | null
  created_at: Date
  updated_at: Date
}

/** Which of Daraja's asynchronous answers a stored callback is. */
export type CallbackKind = "stk" | "reversal_result" | "reversal_timeout" | "status_result" | "status_timeout"

export type DarajaRequestPurpose = "reversal" | "reversal_status" | "receipt_status"
export type DarajaRequestStatus = "sent" | "accepted" | "answered" | "failed"

/** An asynchronous Daraja request of ours, as stored (mpesa_daraja_request). */
export type DarajaRequestRow = {
  id: string
  purpose: DarajaRequestPurpose
  status: DarajaRequestStatus
  transaction_id: string
  refund_id: string | null
  receipt: string | null
  originator_conversation_id: string | null
  conversation_id: string | null
  result_code: string | null
  result_desc: string | null
  outcome: "verified" | "rejected" | null
  reason: string | null
  requested_by: string | null
  answered_at: Date | null
  created_at: Date
  updated_at: Date
}
