/**
 * Field rules shared by the Daraja endpoints, and the one function that turns a zod failure into
 * Daraja's answer: the first invalid field, in request order, named in "Bad Request - Invalid <Field>".
 */
import { z } from "zod"
import { parseNairobiTimestamp } from "./clock"
import { invalidField, type Reply } from "./replies"
import type { JsonBody } from "./http-io"

/** Daraja's numeric fields arrive as JSON numbers or digit strings; both are accepted and kept as strings. */
export function digitString(pattern: RegExp) {
  return z.preprocess((v) => (typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? String(v) : v), z.string().regex(pattern))
}

export const shortcodeField = digitString(/^\d{5,7}$/)

/** Safaricom numbers in international form: 2547XXXXXXXX or 2541XXXXXXXX. */
export const msisdnField = digitString(/^254[71]\d{8}$/)

/** A whole number of shillings in `min..max`, as a number or a digit string ("1" in Safaricom's sample). */
export function wholeAmount(min: number, max: number) {
  return z.preprocess((v) => (typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v), z.number().int().min(min).max(max))
}

export const timestampField = z.preprocess(
  (v) => (typeof v === "number" && Number.isSafeInteger(v) ? String(v) : v),
  z.string().refine((s) => parseNairobiTimestamp(s) !== null),
)

/** Absolute http(s) URL with no whitespace: stray spaces are a classic cause of "Invalid CallBackURL". */
export const urlField = z.string().refine((s) => {
  if (/\s/.test(s)) return false
  try {
    const url = new URL(s)
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname.length > 0
  } catch {
    return false
  }
})

export type Validated<T> = { ok: true; value: T } | { ok: false; reply: Reply }

/**
 * Validates a parsed body against `schema`. `messages` renames fields in the error where Daraja uses
 * another word (it reports a bad TransactionDesc as "Invalid Remarks"). `unparseable` names the field
 * Daraja blames when the body is not JSON at all (its FAQ: a wrong Content-Type gives
 * "Invalid BusinessShortCode").
 */
export function validateBody<S extends z.ZodObject>(
  schema: S,
  body: JsonBody,
  unparseable: string,
  messages: Partial<Record<string, string>> = {},
): Validated<z.output<S>> {
  if (!body.ok) return { ok: false, reply: invalidField(unparseable) }
  const result = schema.safeParse(body.value)
  if (result.success) return { ok: true, value: result.data }
  const order = Object.keys(schema.shape)
  let field = order[0]
  let best = Number.POSITIVE_INFINITY
  for (const issue of result.error.issues) {
    const key = typeof issue.path[0] === "string" ? issue.path[0] : order[0]
    const index = order.indexOf(key)
    if (index >= 0 && index < best) {
      best = index
      field = key
    }
  }
  return { ok: false, reply: invalidField(messages[field] ?? field) }
}

/** A readable one-line summary of a zod failure, for the control API's `{ error }` answers. */
export function describeZodError(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ")
}
