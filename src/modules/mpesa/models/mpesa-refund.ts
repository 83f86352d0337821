import { model } from "@medusajs/framework/utils"

/**
 * Money going back to a customer, on our own ledger: a Daraja Reversal we
 * sent, or a refund the merchant made outside the plugin (M-Pesa Org portal)
 * and recorded here. Medusa records a refund the moment a provider returns
 * and has no "pending refund", so this table is where a reversal waits for
 * Daraja's asynchronous result (sending -> requested -> completed | failed,
 * or -> unknown while Transaction Status confirms a doubtful answer).
 *
 * Keys that make every change idempotent: at most one live or completed
 * reversal per payment (Daraja reverses whole payments, once), Medusa's
 * refund id at most once, Daraja's conversation ids unique. Status changes go
 * through stores/refund-transitions.ts.
 */
const LIVE_REVERSAL = "kind = 'reversal' and status in ('sending', 'requested', 'unknown', 'completed') and deleted_at is null"

const MpesaRefund = model
  .define("mpesa_refund", {
    id: model.id({ prefix: "mpesarf" }).primaryKey(),
    // The ledger row (mpesa_transaction) whose money goes back.
    transaction_id: model.text(),
    kind: model.enum(["reversal", "outside"]),
    status: model.enum(["sending", "requested", "unknown", "completed", "failed"]).default("sending"),
    // Whole shillings.
    amount: model.number(),
    // Medusa's refund id once Medusa has recorded this refund on the payment (null: not recorded in Medusa).
    medusa_refund_id: model.text().nullable(),
    // Medusa's payment the refund belongs to (null for unmatched money: there is no Medusa payment).
    medusa_payment_id: model.text().nullable(),
    // "medusa" (Refund / order cancel on the order page) or "admin:<user id>" (M-Pesa admin actions).
    requested_by: model.text().nullable(),
    note: model.text().nullable(),
    originator_conversation_id: model.text().nullable(),
    conversation_id: model.text().nullable(),
    result_code: model.text().nullable(),
    result_desc: model.text().nullable(),
    // The reversal's own M-Pesa transaction id.
    reversal_receipt: model.text().nullable(),
    // Plain-words reason for a failure or an open question; shown to the merchant.
    reason: model.text().nullable(),
    settled_at: model.dateTime().nullable(),
    // Transaction Status checks for a result that is late or doubtful.
    check_attempts: model.number().default(0),
    next_check_at: model.dateTime().nullable(),
    locked_until: model.dateTime().nullable(),
    attention_reason: model.text().nullable(),
    attention_at: model.dateTime().nullable(),
  })
  .indexes([
    { on: ["transaction_id"] },
    { on: ["transaction_id"], unique: true, where: LIVE_REVERSAL },
    { on: ["medusa_refund_id"], unique: true, where: "medusa_refund_id is not null and deleted_at is null" },
    { on: ["originator_conversation_id"], unique: true, where: "originator_conversation_id is not null and deleted_at is null" },
    { on: ["conversation_id"], unique: true, where: "conversation_id is not null and deleted_at is null" },
    // The reconcile job: reversals whose result is late or doubtful.
    { on: ["next_check_at"], where: "status in ('sending', 'requested', 'unknown') and deleted_at is null" },
  ])

export default MpesaRefund
