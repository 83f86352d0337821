import { z } from "zod"
import { oneOrMany, resultCodeSchema, wireValueSchema } from "./callback-fields"
import { DarajaValidationError } from "./errors"
import { describeResultCode, type ResultCodeInfo } from "./result-codes"
import { firstIssue } from "./schemas"

/**
 * The one parser for Daraja's asynchronous `{Result: …}` bodies: what Reversal and Transaction Status (and
 * B2C, Account Balance…) POST to ResultURL, and what the gateway POSTs to QueueTimeOutURL when a request
 * timed out in M-Pesa's queue. Both URLs get the same envelope, so which one was hit is the caller's to know:
 * a queue-timeout ResultCode can collide with a real one (1 is also "balance insufficient").
 */

/** 0 = completed, 1 = "waiting for further messages" in Daraja's table; a digit string is tolerated. */
const resultTypeSchema = z
  .union([z.number().int(), z.string().trim().regex(/^\d+$/, "must be a whole number")])
  .transform((v) => Number(v))

const keyValueSchema = z.object({ Key: z.string(), Value: wireValueSchema })

type KeyValue = z.output<typeof keyValueSchema>

// A list, a bare single element (Daraja collapses one-element lists), or missing/null altogether (failures
// carry no ResultParameters; queue-timeout bodies have no ReferenceData).
const keyValuesSchema = oneOrMany(keyValueSchema).nullable().optional()

export type DarajaResult = {
  /** 0 = completed; 1 = waiting for further messages */
  resultType: number
  resultCode: string
  resultDesc: string
  originatorConversationId: string
  conversationId: string
  /** the transaction M-Pesa created, or a placeholder such as "SKE0000000" on failures; null when absent */
  transactionId: string | null
  /** ResultParameters by Key; a parameter without a Value (Daraja sends {"Key":"TransactionReason"}) is absent */
  parameters: Record<string, string | number>
  /** ReferenceData by Key (e.g. QueueTimeoutURL, Occasion), values as strings */
  referenceData: Record<string, string>
  result: ResultCodeInfo
}

// Object.fromEntries defines own properties, so a Key such as "__proto__" cannot reach the prototype.
function byKey(items: readonly KeyValue[] | null | undefined): Record<string, string | number> {
  return Object.fromEntries(
    (items ?? []).flatMap(({ Key, Value }) => (Value === undefined || Value === null ? [] : [[Key, Value] as const])),
  )
}

export const resultCallbackSchema = z
  .object({
    Result: z.object({
      ResultType: resultTypeSchema,
      ResultCode: resultCodeSchema,
      ResultDesc: z.string(),
      OriginatorConversationID: z.string().trim().min(1),
      ConversationID: z.string().trim().min(1),
      TransactionID: z.string().nullable().optional(),
      ResultParameters: z.object({ ResultParameter: keyValuesSchema }).nullable().optional(),
      ReferenceData: z.object({ ReferenceItem: keyValuesSchema }).nullable().optional(),
    }),
  })
  .transform(({ Result: r }): DarajaResult => ({
    resultType: r.ResultType,
    resultCode: r.ResultCode,
    resultDesc: r.ResultDesc,
    originatorConversationId: r.OriginatorConversationID,
    conversationId: r.ConversationID,
    transactionId: r.TransactionID?.trim() ? r.TransactionID.trim() : null,
    parameters: byKey(r.ResultParameters?.ResultParameter),
    referenceData: Object.fromEntries(Object.entries(byKey(r.ReferenceData?.ReferenceItem)).map(([k, v]) => [k, String(v)])),
    result: describeResultCode(r.ResultCode),
  }))

/** The raw body Daraja POSTs to ResultURL or QueueTimeOutURL. */
export type DarajaResultPayload = z.input<typeof resultCallbackSchema>

export function parseResultCallback(body: unknown): DarajaResult {
  const parsed = resultCallbackSchema.safeParse(body)
  if (parsed.success) return parsed.data
  const { path, message } = firstIssue(parsed.error)
  throw new DarajaValidationError(path || "body", message)
}
