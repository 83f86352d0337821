/**
 * `POST /mpesa/stkpush/v1/processrequest`: validates like Daraja, creates the prompt, and answers
 * (or misbehaves, under the pushResponse fault).
 */
import { z } from "zod"
import { checkDuplicateRules, RULE_LIMITED_RESULT_CODE } from "./duplicate-rules"
import type { JsonBody } from "./http-io"
import type { IdFactory } from "./ids"
import { authenticateMerchant } from "./merchant-auth"
import type { MerchantConfig, DefaultOutcome, StrictRules } from "./options"
import { planOutcome, type OutcomePlan } from "./outcomes"
import type { PromptStore, TransactionType } from "./prompts"
import { BAD_GATEWAY_HTML, json, type Reply } from "./replies"
import { rejectionReply, type SimulatorFaults } from "./faults"
import { msisdnField, shortcodeField, timestampField, urlField, validateBody, wholeAmount, digitString } from "./validation"

/**
 * Field order is Daraja's request order; the first invalid field is the one reported. This is the lenient
 * schema; `strictStkPushSchema` adds the documented 13-character TransactionDesc limit.
 */
export const stkPushSchema = z.object({
  BusinessShortCode: shortcodeField,
  // Checked after the merchant lookup (a bad Password is "Wrong credentials", HTTP 500, not a 400).
  Password: z.unknown().optional(),
  Timestamp: timestampField,
  TransactionType: z.enum(["CustomerPayBillOnline", "CustomerBuyGoodsOnline"]),
  // Safaricom's limits: KES 1 minimum, KES 250,000 per transaction, whole shillings.
  Amount: wholeAmount(1, 250_000),
  PartyA: msisdnField,
  PartyB: digitString(/^\d{5,8}$/),
  PhoneNumber: msisdnField,
  CallBackURL: urlField,
  AccountReference: z.string().min(1).max(12),
  // The only optional field; Daraja reports a bad one (null, not a string) as "Invalid Remarks". Any length
  // here: Safaricom's own sample library sends 20 characters by default (README.md, "Fidelity profiles").
  TransactionDesc: z.string().optional(),
})

/** The strict `transactionDescLength` rule: at most 13 characters, as Daraja's API table says. */
export const strictStkPushSchema = stkPushSchema.extend({ TransactionDesc: z.string().max(13).optional() })

export type StkPushRequest = z.output<typeof stkPushSchema>

export interface StkPushDeps {
  merchants: readonly MerchantConfig[]
  defaultOutcome: DefaultOutcome
  faults: SimulatorFaults
  prompts: PromptStore
  ids: IdFactory
  strict: StrictRules
  /** The subscriber lock and the ResultCode 17 rule (duplicate-rules.ts). */
  duplicateRules: boolean
  /** Test hook (DarajaSimulator.holdPushAnswers): awaited after the prompt exists, before the answer is written. */
  beforeAnswer?: () => Promise<void>
}

export async function handleStkPush(body: JsonBody, deps: StkPushDeps): Promise<Reply> {
  // Gateway-level refusals (rate limits, a locked subscriber) come before any validation.
  if (deps.faults.rejectPush) return rejectionReply(deps.faults.rejectPush)

  const schema = deps.strict.transactionDescLength ? strictStkPushSchema : stkPushSchema
  const validated = validateBody(schema, body, "BusinessShortCode", { TransactionDesc: "Remarks" })
  if (!validated.ok) return validated.reply
  const request = validated.value

  const auth = authenticateMerchant(
    deps.merchants,
    { shortcode: request.BusinessShortCode, timestamp: request.Timestamp, password: request.Password },
    { timestampWindow: deps.strict.timestampWindow },
  )
  if (!auth.ok) return auth.reply
  const merchant = auth.merchant

  // A valid, authenticated push reaches M-Pesa, which locks the subscriber or applies the rule limit.
  const duplicate = deps.duplicateRules
    ? checkDuplicateRules(deps.prompts, { phoneNumber: request.PhoneNumber, amount: request.Amount, shortcode: merchant.shortcode })
    : ({ kind: "clear" } as const)
  if (duplicate.kind === "locked") return rejectionReply("subscriber_locked")

  // A misconfigured PartyB fails with 2028 whatever else is true of the push, so it is checked first.
  const plan = productAssignmentMismatch(merchant, request.TransactionType, request.PartyB)
    ? failWith2028()
    : duplicate.kind === "rule_limited"
      ? ruleLimited()
      : planOutcome(request.PhoneNumber, deps.defaultOutcome)

  const merchantRequestId = deps.ids.merchantRequestId()
  const checkoutRequestId = deps.ids.checkoutRequestId()
  const beforeResponse = deps.faults.callbackBeforeResponse && plan.kind === "fixed"
  deps.prompts.create(
    {
      merchantRequestId,
      checkoutRequestId,
      shortcode: merchant.shortcode,
      merchantName: merchant.name ?? null,
      transactionType: request.TransactionType,
      partyA: request.PartyA,
      partyB: request.PartyB,
      phoneNumber: request.PhoneNumber,
      amount: request.Amount,
      callbackUrl: request.CallBackURL,
      accountReference: request.AccountReference,
      transactionDesc: request.TransactionDesc ?? null,
    },
    plan,
    beforeResponse,
  )
  if (beforeResponse) await deps.prompts.completeNow(checkoutRequestId)
  // A slow answer: the prompt (and any callback) is out, the merchant is still waiting for this reply.
  if (deps.beforeAnswer) await deps.beforeAnswer()

  // The prompt now exists whatever the client sees next: that is the point of these faults.
  switch (deps.faults.pushResponse) {
    case "hang":
      return { kind: "hang" }
    case "reset":
      return { kind: "reset" }
    case "html502":
      return { kind: "html", status: 502, body: BAD_GATEWAY_HTML }
    case "normal":
      break
  }
  const accepted = "Success. Request accepted for processing"
  return json(200, {
    MerchantRequestID: merchantRequestId,
    CheckoutRequestID: checkoutRequestId,
    ResponseCode: "0",
    ResponseDescription: accepted,
    CustomerMessage: accepted,
  })
}

/**
 * A paybill push must name the paybill itself as PartyB; a till push must name one of the store's
 * tills. Daraja accepts a mismatched request and fails it asynchronously with 2028 ("not permitted
 * according to product assignment"), which is what the simulator does too: the merchant's code sees
 * the failure through the same callback path it will meet in production.
 */
function productAssignmentMismatch(merchant: MerchantConfig, type: TransactionType, partyB: string): boolean {
  if (type === "CustomerPayBillOnline") return partyB !== merchant.shortcode
  return !(merchant.tills ?? []).includes(partyB)
}

function failWith2028(): OutcomePlan {
  return { kind: "fixed", resultCode: 2028, source: "product_assignment" }
}

function ruleLimited(): OutcomePlan {
  return { kind: "fixed", resultCode: RULE_LIMITED_RESULT_CODE, source: "rule_limited" }
}
