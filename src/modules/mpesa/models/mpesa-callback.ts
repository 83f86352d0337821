import { model } from "@medusajs/framework/utils"

/**
 * Every callback Daraja (or anyone) posts to our secret path, persisted raw
 * before it is acknowledged, so a crash between "200 Accepted" and processing
 * loses nothing: unprocessed rows are picked up again by the polling job.
 */
const MpesaCallback = model
  .define("mpesa_callback", {
    id: model.id({ prefix: "mpesacb" }).primaryKey(),
    checkout_request_id: model.text().index().nullable(),
    merchant_request_id: model.text().nullable(),
    result_code: model.text().nullable(),
    payload: model.json(),
    source_ip: model.text().nullable(),
    // received -> applied | duplicate | waiting (no matching push yet) | suspicious | invalid
    status: model
      .enum(["received", "applied", "duplicate", "waiting", "suspicious", "invalid"])
      .default("received"),
    note: model.text().nullable(),
    transaction_id: model.text().nullable(),
    processed_at: model.dateTime().nullable(),
    attempts: model.number().default(0),
    // A short lease instead of a row lock held across the confirming Daraja
    // query: no connection is pinned while we wait on Safaricom.
    locked_until: model.dateTime().nullable(),
  })
  .indexes([{ on: ["status", "created_at"] }])

export default MpesaCallback
