import { model } from "@medusajs/framework/utils"

/**
 * Abuse-limit counters for M-Pesa prompts started from the public store API
 * (see prompt-limits/). One row per counted thing: `phone:<digest>`,
 * `pc:<payment collection id>` or `ip:<digest>`, holding the hits in the
 * current fixed window. Only digests of phone numbers and client addresses
 * are stored. Written by PromptLimiter with raw SQL (row locks); deliberately
 * not part of the service's generated CRUD.
 */
const MpesaPromptLimit = model
  .define("mpesa_prompt_limit", {
    id: model.text().primaryKey(),
    window_started_at: model.dateTime(),
    hits: model.number().default(0),
  })
  .indexes([{ on: ["window_started_at"] }])

export default MpesaPromptLimit
