import { z } from "zod"
import { oneOrMany, resultCodeSchema, wireValueSchema } from "./callback-fields"
import { DarajaValidationError } from "./errors"
import { describeResultCode, type ResultCodeInfo } from "./result-codes"
import { firstIssue } from "./schemas"

// Callbacks are typed loosely on purpose: Daraja sends ResultCode as a number (a string is tolerated), Amount as
// 1 or 1.00, PhoneNumber/TransactionDate as numbers, and items such as {"Name":"Balance"} with no Value at all.
const callbackItemSchema = z.object({ Name: z.string(), Value: wireValueSchema })

type CallbackItem = z.output<typeof callbackItemSchema>

// `Item` arrives as a list or, for a single item, as the bare item.
const callbackItemsSchema = oneOrMany(callbackItemSchema)

export type StkCallbackMetadata = {
  amount?: number
  mpesaReceiptNumber?: string
  /** YYYYMMDDHHmmss, Nairobi time */
  transactionDate?: string
  phoneNumber?: string
  balance?: number
}

export type StkCallback = {
  merchantRequestId: string
  checkoutRequestId: string
  resultCode: string
  resultDesc: string
  /** null for failure callbacks, which carry no CallbackMetadata */
  metadata: StkCallbackMetadata | null
  result: ResultCodeInfo
}

type ItemValue = z.output<typeof wireValueSchema>

function asNumber(v: ItemValue): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v)
  return undefined
}

function asString(v: ItemValue): string | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : undefined
  if (typeof v === "string" && v.trim() !== "") return v.trim()
  return undefined
}

function toMetadata(items: readonly CallbackItem[]): StkCallbackMetadata {
  const byName = new Map(items.map((item) => [item.Name, item.Value]))
  const metadata: StkCallbackMetadata = {}
  const amount = asNumber(byName.get("Amount"))
  const receipt = asString(byName.get("MpesaReceiptNumber"))
  const date = asString(byName.get("TransactionDate"))
  const phone = asString(byName.get("PhoneNumber"))
  const balance = asNumber(byName.get("Balance"))
  if (amount !== undefined) metadata.amount = amount
  if (receipt !== undefined) metadata.mpesaReceiptNumber = receipt
  if (date !== undefined) metadata.transactionDate = date
  if (phone !== undefined) metadata.phoneNumber = phone
  if (balance !== undefined) metadata.balance = balance
  return metadata
}

/** The one parser for M-Pesa Express callbacks: wire shape in, StkCallback out. */
export const stkCallbackSchema = z
  .object({
    Body: z.object({
      stkCallback: z.object({
        MerchantRequestID: z.string().min(1),
        CheckoutRequestID: z.string().min(1),
        ResultCode: resultCodeSchema,
        ResultDesc: z.string(),
        CallbackMetadata: z.object({ Item: callbackItemsSchema }).nullable().optional(),
      }),
    }),
  })
  .transform(({ Body: { stkCallback: cb } }): StkCallback => ({
    merchantRequestId: cb.MerchantRequestID,
    checkoutRequestId: cb.CheckoutRequestID,
    resultCode: cb.ResultCode,
    resultDesc: cb.ResultDesc,
    metadata: cb.CallbackMetadata ? toMetadata(cb.CallbackMetadata.Item) : null,
    result: describeResultCode(cb.ResultCode),
  }))

/** The raw body Daraja POSTs to CallBackURL. */
export type StkCallbackPayload = z.input<typeof stkCallbackSchema>

export function parseStkCallback(body: unknown): StkCallback {
  const parsed = stkCallbackSchema.safeParse(body)
  if (parsed.success) return parsed.data
  const { path, message } = firstIssue(parsed.error)
  throw new DarajaValidationError(path || "body", message)
}
