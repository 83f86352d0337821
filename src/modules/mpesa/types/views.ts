import type { CallbackRow, CallbackStatus, LedgerRow, LedgerStatus, RefundKind, RefundStatus } from "./rows"

/*
 * What the module shows the rest of the plugin: the provider, the routes,
 * the admin and the storefront status route read these, never a row. None
 * holds a secret or a full phone number.
 */

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

/**
 * The M-Pesa payment record as Query returns it (entity MpesaTransaction, and
 * `payment_collection.mpesa_payments` over the module link): the ledger row's
 * public columns, phones masked. Read-only: state changes go through the module.
 */
export type MpesaTransactionRecord = Pick<
  LedgerRow,
  | "id" | "payment_session_id" | "initiated_session_id" | "payment_collection_id" | "checkout_request_id" | "merchant_request_id"
  | "amount" | "medusa_amount" | "currency_code" | "account_reference" | "status" | "result_code" | "result_desc"
  | "customer_message" | "mpesa_receipt_number" | "paid_amount" | "transaction_date" | "confirmed_by"
  | "callback_received_at" | "settled_at" | "expires_at" | "session_closed_at" | "unmatched" | "completed_at"
  | "refunded_amount" | "attention_reason" | "attention_at" | "created_at" | "updated_at"
> & {
  /** masked: 2547****5678 */
  phone: string
  paid_phone: string | null
}

/** What a new session gets back: its payment, and the token that names its payment collection (kept in the session's data). */
export type StartedPayment = MpesaPaymentView & { collection_token: string | null }

/** Outcome of applying one callback, for logs, tests and the callback row. */
export type CallbackOutcome = {
  status: CallbackStatus
  note: string
  transaction_id: string | null
  /** true when this call moved the ledger row into `paid` (exactly one caller sees it) */
  captured: boolean
}

/**
 * What the admin sees of M-Pesa: a ledger row in the merchant's words (state,
 * reason, what to do) and the timeline of one push. Never a secret, never a
 * full phone number, never a raw callback body (it holds the shopper's phone).
 */
export type AdminTransactionView = MpesaPaymentView & {
  created_at: string
  account_reference: string
  result_desc: string | null
  state_label: string
  /** why it failed / why it needs a person, in words */
  reason: string | null
  /** what the merchant can do about it (null: nothing to do) */
  action: string | null
  completion_attempts: number
  completion_error: string | null
  /** refunds of this payment (reversals and refunds recorded as made outside), newest first */
  refunds: RefundView[]
  /** whole shillings refunded so far (completed refunds only) */
  refunded_amount: number
  /** which actions the admin may offer now */
  actions: PaymentActions
}

export type TimelineEvent = { at: string; kind: string; label: string; detail: string | null; tone: "info" | "success" | "warning" | "error" }

export type AdminCallbackView = {
  id: string
  created_at: string
  status: CallbackRow["status"]
  note: string | null
  source_ip: string | null
  transaction_id: string | null
  checkout_request_id: string | null
  result_code: string | null
  action: string
}

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

/** What the admin sees of a receipt check. */
export type ReceiptCheckView = {
  receipt: string
  /** checking: M-Pesa has not answered yet; verified: the receipt is on the payment; rejected: see reason */
  status: "checking" | "verified" | "rejected"
  reason: string | null
  checked_at: string | null
}

export type PollSummary = {
  queried: number
  settled: number
  expired: number
  callbacksRetried: number
  rateLimited: boolean
}

export type ConnectionCheck = {
  ok: boolean
  /** plain words for the merchant; never a secret */
  message: string
  /** Daraja's errorCode or our own reason, for support */
  code: string | null
  base_url: string
  environment: "sandbox" | "production"
}

export type SessionReadiness = { ready: true; why: string } | { ready: false; why: string; readyBy: Date }
