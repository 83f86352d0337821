/**
 * `POST /mpesa/stkpushquery/v1/query`. Pending prompts answer with Daraja's error-shaped
 * "The transaction is being processed" (HTTP 500, 500.001.1001), which clients must read as pending;
 * completed ones answer with ResultCode as a STRING, unlike the callback's number.
 */
import { z } from "zod"
import { rejectionReply, type SimulatorFaults } from "./faults"
import type { JsonBody } from "./http-io"
import { authenticateMerchant } from "./merchant-auth"
import type { MerchantConfig, StrictRules } from "./options"
import type { PromptStore } from "./prompts"
import { errors, invalidField, json, type Reply } from "./replies"
import { shortcodeField, timestampField, validateBody } from "./validation"

export const stkQuerySchema = z.object({
  BusinessShortCode: shortcodeField,
  Password: z.unknown().optional(),
  Timestamp: timestampField,
  CheckoutRequestID: z.string().min(1),
})

export interface StkQueryDeps {
  merchants: readonly MerchantConfig[]
  faults: SimulatorFaults
  prompts: PromptStore
  strict: StrictRules
}

export function handleStkQuery(body: JsonBody, deps: StkQueryDeps): Reply {
  if (deps.faults.rejectQuery) return rejectionReply(deps.faults.rejectQuery)

  const validated = validateBody(stkQuerySchema, body, "BusinessShortCode")
  if (!validated.ok) return validated.reply
  const request = validated.value

  const auth = authenticateMerchant(
    deps.merchants,
    { shortcode: request.BusinessShortCode, timestamp: request.Timestamp, password: request.Password },
    { timestampWindow: deps.strict.timestampWindow },
  )
  if (!auth.ok) return auth.reply

  const prompt = deps.prompts.get(request.CheckoutRequestID)
  // Another merchant's CheckoutRequestID is as unknown to this merchant as a made-up one.
  if (!prompt || prompt.shortcode !== auth.merchant.shortcode) return invalidField("CheckoutRequestID")
  if (prompt.state !== "completed" || prompt.resultCode === null) return errors.transactionBeingProcessed()

  return json(200, {
    ResponseCode: "0",
    // Sic: Daraja's wording has the triple "s".
    ResponseDescription: "The service request has been accepted successsfully",
    MerchantRequestID: prompt.merchantRequestId,
    CheckoutRequestID: prompt.checkoutRequestId,
    ResultCode: String(prompt.resultCode),
    ResultDesc: prompt.resultDesc ?? "",
  })
}
