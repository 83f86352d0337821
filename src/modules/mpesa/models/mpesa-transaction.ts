import { model } from "@medusajs/framework/utils"

/**
 * The ledger: one row per STK Push, keyed by Medusa's payment session id (one
 * push per session, ever) and by Daraja's CheckoutRequestID / MerchantRequestID
 * and the M-Pesa receipt (each unique when present), so every state change can
 * be applied idempotently.
 */
const MpesaTransaction = model
  .define("mpesa_transaction", {
    id: model.id({ prefix: "mpesatx" }).primaryKey(),
    payment_session_id: model.text().unique(),
    checkout_request_id: model.text().unique().nullable(),
    merchant_request_id: model.text().unique().nullable(),
    // Normalised MSISDN (2547XXXXXXXX). Needed to match a callback to a push
    // whose response was lost; only a masked form ever leaves the server.
    phone: model.text(),
    // What was pushed: whole shillings. `medusa_amount` keeps Medusa's decimal.
    amount: model.number(),
    medusa_amount: model.text(),
    currency_code: model.text(),
    account_reference: model.text(),
    status: model
      .enum(["initiating", "pending", "indeterminate", "paid", "failed", "canceled", "expired"])
      .default("initiating"),
    result_code: model.text().nullable(),
    result_desc: model.text().nullable(),
    customer_message: model.text().nullable(),
    mpesa_receipt_number: model.text().unique().nullable(),
    paid_amount: model.number().nullable(),
    paid_phone: model.text().nullable(),
    transaction_date: model.text().nullable(),
    confirmed_by: model.text().nullable(),
    callback_received_at: model.dateTime().nullable(),
    settled_at: model.dateTime().nullable(),
    query_attempts: model.number().default(0),
    next_query_at: model.dateTime().nullable(),
    last_queried_at: model.dateTime().nullable(),
    expires_at: model.dateTime(),
    // Medusa deleted or canceled the session while the prompt was live. A prompt
    // cannot be recalled, so money that still arrives is kept as unmatched.
    session_closed_at: model.dateTime().nullable(),
    unmatched: model.boolean().default(false),
    // Completion of Medusa's flow (cart -> order) after the money is confirmed.
    completed_at: model.dateTime().nullable(),
    completion_attempts: model.number().default(0),
    completion_error: model.text().nullable(),
    // Lease so the capture subscriber and the recovery sweep never run Medusa's
    // completion for the same cart at the same time.
    completion_locked_until: model.dateTime().nullable(),
  })
  .indexes([{ on: ["status", "next_query_at"] }, { on: ["phone", "amount", "status"] }])

export default MpesaTransaction
