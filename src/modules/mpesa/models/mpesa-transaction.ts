import { model } from "@medusajs/framework/utils"

/**
 * The ledger: one row per STK Push. Keyed by Daraja's CheckoutRequestID /
 * MerchantRequestID and the M-Pesa receipt (each unique when present) so
 * every state change applies idempotently, and owned by at most one Medusa
 * payment session at a time (`payment_session_id`, unique while set).
 *
 * Ownership can move: when Medusa re-creates a session whose push is still
 * open (a rollback, a second "Pay" click), the new session re-attaches to
 * the push instead of prompting again; and money paid on an older prompt of
 * the same payment collection is moved onto the collection's current session
 * if the cart still costs that amount. Status changes go through the
 * transition table in stores/ledger-transitions.ts, and nowhere else.
 */
const OPEN = "status in ('initiating', 'pending', 'indeterminate') and deleted_at is null"

const MpesaTransaction = model
  .define("mpesa_transaction", {
    id: model.id({ prefix: "mpesatx" }).primaryKey(),
    // The session that owns this push now (null once another push took the session over).
    payment_session_id: model.text().nullable(),
    // The session that sent the push (never changes; for the merchant's trail).
    initiated_session_id: model.text(),
    // Medusa's payment collection (one per cart checkout): groups the prompts of one cart.
    payment_collection_id: model.text().nullable(),
    checkout_request_id: model.text().nullable(),
    merchant_request_id: model.text().nullable(),
    // Normalised MSISDN (2547XXXXXXXX); only a masked form ever leaves the server.
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
    mpesa_receipt_number: model.text().nullable(),
    paid_amount: model.number().nullable(),
    paid_phone: model.text().nullable(),
    transaction_date: model.text().nullable(),
    confirmed_by: model.text().nullable(),
    callback_received_at: model.dateTime().nullable(),
    settled_at: model.dateTime().nullable(),
    query_attempts: model.number().default(0),
    // null: no status query is planned (settled, budget spent, or Daraja does not know the id).
    next_query_at: model.dateTime().nullable(),
    last_queried_at: model.dateTime().nullable(),
    expires_at: model.dateTime(),
    // Medusa deleted or canceled the owning session while the prompt was live.
    session_closed_at: model.dateTime().nullable(),
    // Paid, but for no open session of a cart that still costs this amount: kept, visible, refundable.
    unmatched: model.boolean().default(false),
    // Completion of Medusa's flow (cart -> order) after the money is confirmed.
    completed_at: model.dateTime().nullable(),
    completion_attempts: model.number().default(0),
    completion_error: model.text().nullable(),
    next_completion_at: model.dateTime().nullable(),
    completion_locked_until: model.dateTime().nullable(),
    // Something a person should look at (a conflicting receipt, a completion that keeps failing).
    attention_reason: model.text().nullable(),
    attention_at: model.dateTime().nullable(),
    // Completed refunds (reversals and refunds recorded as made outside), whole shillings.
    refunded_amount: model.number().default(0),
    // An admin asked to attach this unmatched money to a cart: the payment collection it may go to.
    attach_collection_id: model.text().nullable(),
    attach_requested_by: model.text().nullable(),
    attached_at: model.dateTime().nullable(),
    // When that attach was asked for: a request whose workflow died stops blocking the money after a while.
    attach_requested_at: model.dateTime().nullable(),
    // A refund was opened while the payment had no order: no order is made from it any more.
    refund_hold_at: model.dateTime().nullable(),
    // Our provider answered Medusa's create of this session at this time; Medusa writes that answer
    // onto its session right after, and completion waits for that write (issue 14, 1.4).
    answered_session_id: model.text().nullable(),
    session_answered_at: model.dateTime().nullable(),
    // Callbacks to this push's signed URLs (its STK callback URL and its refunds' result URLs) that were
    // acknowledged but not stored: replays beyond maxCallbacksPerUrl (a leaked URL cannot grow the inbox).
    replays_dropped: model.number().default(0),
  })
  .indexes([
    // Unique while set (PostgreSQL unique indexes let any number of NULLs through).
    { on: ["payment_session_id"], unique: true, where: "deleted_at IS NULL" },
    { on: ["checkout_request_id"], unique: true, where: "deleted_at IS NULL" },
    { on: ["merchant_request_id"], unique: true, where: "deleted_at IS NULL" },
    { on: ["mpesa_receipt_number"], unique: true, where: "deleted_at IS NULL" },
    // The reconcile job's queries: each over open rows only, so their cost stays flat as history grows.
    { on: ["next_query_at"], where: "status = 'pending' and next_query_at is not null and deleted_at is null" },
    { on: ["expires_at"], where: OPEN },
    {
      on: ["next_completion_at"],
      where: "status = 'paid' and unmatched = false and completed_at is null and deleted_at is null",
    },
    // Re-attaching a re-created session to its collection's open push.
    {
      on: ["payment_collection_id", "phone", "amount"],
      where: "status in ('pending', 'indeterminate') and deleted_at is null",
    },
    // Moving money paid on an older prompt onto its collection's current, unpaid session.
    {
      on: ["payment_collection_id", "amount"],
      where:
        "status <> 'paid' and payment_session_id is not null and session_closed_at is null and completed_at is null and deleted_at is null",
    },
    // Every new payment session asks whether its collection's money is already paid (no second prompt).
    {
      name: "IDX_mpesa_transaction_paid_open_collection",
      on: ["payment_collection_id", "amount"],
      where: "status = 'paid' and unmatched = false and completed_at is null and deleted_at is null",
    },
    // Every new payment session asks whether an admin attached unmatched money to its collection.
    { on: ["attach_collection_id"], where: "attach_collection_id is not null and deleted_at is null" },
    // Merchant-facing lists: unmatched money and payments needing attention.
    { on: ["settled_at"], where: "(unmatched = true or attention_at is not null) and deleted_at is null" },
  ])

export default MpesaTransaction
