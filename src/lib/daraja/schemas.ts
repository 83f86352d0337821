import { z } from "zod"

/**
 * Schemas for what Daraja sends back. They are lenient where Daraja is inconsistent (numbers vs numeric strings)
 * and strict where we depend on a value (ids we store, codes we branch on).
 */

/** Daraja's codes arrive as numbers in some places and strings in others; we always work with strings. */
export const codeSchema = z.union([z.string().min(1), z.number().int()]).transform((v) => String(v).trim())

/** expires_in is 3599 in the doc, "3599" in some samples. */
const expiresInSchema = z
  .union([z.number(), z.string().regex(/^\s*\d+\s*$/, "must be a number of seconds")])
  .transform((v) => Number(v))
  .refine((n) => Number.isFinite(n) && n > 0, "must be a positive number of seconds")

export const oauthTokenResponseSchema = z.object({
  access_token: z.string().min(1),
  expires_in: expiresInSchema,
})
export type OauthTokenResponse = z.output<typeof oauthTokenResponseSchema>

/** Daraja's error body, e.g. {"requestId":"…","errorCode":"500.001.1001","errorMessage":"The transaction is being processed"} */
export const darajaErrorBodySchema = z.object({
  requestId: z.union([z.string(), z.number()]).transform(String).optional(),
  errorCode: codeSchema,
  errorMessage: z.string().optional().default(""),
})
export type DarajaErrorBody = z.output<typeof darajaErrorBodySchema>

/** Just enough of a 2xx body to tell acceptance (ResponseCode "0") from rejection. */
export const responseCodeSchema = z.object({
  ResponseCode: codeSchema,
  ResponseDescription: z.string().optional().default(""),
})

export const stkPushResponseSchema = z.object({
  MerchantRequestID: z.string().min(1),
  CheckoutRequestID: z.string().min(1),
  ResponseCode: codeSchema,
  ResponseDescription: z.string(),
  CustomerMessage: z.string().optional().default(""),
})
export type StkPushResponse = z.output<typeof stkPushResponseSchema>

/** STK query: here ResultCode is a string ("0", "1032"), unlike the callback's number. */
export const stkQueryResponseSchema = z.object({
  ResponseCode: codeSchema,
  ResponseDescription: z.string().optional().default(""),
  MerchantRequestID: z.string().optional(),
  CheckoutRequestID: z.string().min(1),
  ResultCode: codeSchema,
  ResultDesc: z.string().optional().default(""),
})
export type StkQueryResponse = z.output<typeof stkQueryResponseSchema>

/** Reversal and Transaction Status acknowledge with the same shape; the result arrives later at ResultURL. */
export const asyncRequestAcceptedSchema = z.object({
  OriginatorConversationID: z.string().min(1),
  ConversationID: z.string().min(1),
  ResponseCode: codeSchema,
  ResponseDescription: z.string().optional().default(""),
})
export type AsyncRequestAcceptedResponse = z.output<typeof asyncRequestAcceptedSchema>

/** First problem of a failed parse as a dotted path and zod's message (which never quotes the input value). */
export function firstIssue(error: z.ZodError): { path: string; message: string } {
  const issue = error.issues[0]
  if (!issue) return { path: "", message: "is invalid" }
  return { path: issue.path.map(String).join("."), message: issue.message }
}
