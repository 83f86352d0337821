import { model } from "@medusajs/framework/utils"

/**
 * Every callback posted to a signed per-push URL, persisted raw before it is
 * acknowledged, so a crash between "200 Accepted" and processing loses
 * nothing: unprocessed rows are picked up again by the reconcile job, a
 * bounded number of times (`attempts` / `next_check_at`).
 */
const MpesaCallback = model
  .define("mpesa_callback", {
    id: model.id({ prefix: "mpesacb" }).primaryKey(),
    // stk: an STK Push result; reversal_result / reversal_timeout / status_result / status_timeout:
    // Daraja's asynchronous answers to a Reversal or a Transaction Status request of ours.
    kind: model.enum(["stk", "reversal_result", "reversal_timeout", "status_result", "status_timeout"]).default("stk"),
    // The refund (mpesa_refund) a Result URL names.
    refund_id: model.text().nullable(),
    // The Daraja request (mpesa_daraja_request) whose signed Result URL it was posted to.
    request_id: model.text().nullable(),
    checkout_request_id: model.text().nullable(),
    merchant_request_id: model.text().nullable(),
    result_code: model.text().nullable(),
    payload: model.json(),
    source_ip: model.text().nullable(),
    // received -> applied | duplicate | suspicious | invalid | unconfirmed (Daraja never confirmed it)
    status: model
      .enum(["received", "applied", "duplicate", "waiting", "suspicious", "invalid", "unconfirmed"])
      .default("received"),
    note: model.text().nullable(),
    // The push the signed URL names (set when the callback is recorded).
    transaction_id: model.text().nullable(),
    processed_at: model.dateTime().nullable(),
    attempts: model.number().default(0),
    next_check_at: model.dateTime().nullable(),
    // A short lease instead of a row lock held across the confirming Daraja
    // query: no connection is pinned while we wait on Safaricom.
    locked_until: model.dateTime().nullable(),
  })
  .indexes([
    { on: ["transaction_id"], where: "transaction_id is not null and deleted_at is null" },
    // The stale-callback sweep: unprocessed rows only.
    { on: ["next_check_at"], where: "processed_at is null and deleted_at is null" },
    // Lists by status, newest first: the suspicious view (suspicious, unconfirmed, invalid) and the admin's filters.
    { on: ["status", "created_at"], where: "deleted_at is null" },
  ])

export default MpesaCallback
