import { model } from "@medusajs/framework/utils"

/**
 * Every asynchronous request we send Daraja (a Reversal, a Transaction
 * Status check of a reversal, a Transaction Status check of a receipt the
 * admin typed in), written before the call. Daraja signs nothing, so each
 * request gets its own signed Result URL naming this row, and an answer is
 * applied only when it carries the OriginatorConversationID and
 * ConversationID Daraja gave for this very request (stored on acceptance).
 * Anything else posted to the URL is kept in the callback inbox as
 * suspicious and changes nothing.
 */
const MpesaDarajaRequest = model
  .define("mpesa_daraja_request", {
    id: model.id({ prefix: "mpesarq" }).primaryKey(),
    purpose: model.enum(["reversal", "reversal_status", "receipt_status"]),
    // sent (row written, call under way) -> accepted (Daraja's ids stored) -> answered | failed (refused, or outcome unknown)
    status: model.enum(["sent", "accepted", "answered", "failed"]).default("sent"),
    // The ledger row (mpesa_transaction) the request is about.
    transaction_id: model.text(),
    // The refund (mpesa_refund) a reversal or reversal check belongs to.
    refund_id: model.text().nullable(),
    // receipt_status: the receipt number asked about.
    receipt: model.text().nullable(),
    originator_conversation_id: model.text().nullable(),
    conversation_id: model.text().nullable(),
    result_code: model.text().nullable(),
    result_desc: model.text().nullable(),
    // receipt_status: "verified" or "rejected", with the reason in plain words.
    outcome: model.enum(["verified", "rejected"]).nullable(),
    reason: model.text().nullable(),
    requested_by: model.text().nullable(),
    answered_at: model.dateTime().nullable(),
  })
  .indexes([
    { on: ["transaction_id", "purpose"] },
    { on: ["refund_id"], where: "refund_id is not null and deleted_at is null" },
    { on: ["originator_conversation_id"], unique: true, where: "originator_conversation_id is not null and deleted_at is null" },
    { on: ["conversation_id"], unique: true, where: "conversation_id is not null and deleted_at is null" },
  ])

export default MpesaDarajaRequest
