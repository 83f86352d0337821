import { z } from "zod"
import { STK_MAX_AMOUNT, STK_MIN_AMOUNT } from "./constants"

/** Field rules shared by the request parameter schemas. Messages read well after "<field>: ". */

export const nonEmpty = (what = "must not be empty") => z.string({ error: "must be a string" }).trim().min(1, what)

/** Paybill, till, store/HO and organisation shortcodes are all plain digit strings. */
export const shortcodeField = z
  .string({ error: "must be a string of digits" })
  .trim()
  .regex(/^\d{5,10}$/, "must be 5 to 10 digits")

const STK_AMOUNT_RULE = `must be a whole number of KES from ${STK_MIN_AMOUNT} to ${STK_MAX_AMOUNT}`

/** Rounding is the caller's decision (it changes what the shopper pays), so fractions are rejected, not rounded. */
export const stkAmountField = z
  .number({ error: STK_AMOUNT_RULE })
  .int(STK_AMOUNT_RULE)
  .min(STK_MIN_AMOUNT, STK_AMOUNT_RULE)
  .max(STK_MAX_AMOUNT, STK_AMOUNT_RULE)

export const positiveWholeAmountField = z
  .number({ error: "must be a whole number of KES, at least 1" })
  .int("must be a whole number of KES, at least 1")
  .min(1, "must be a whole number of KES, at least 1")

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value)
    return (url.protocol === "https:" || url.protocol === "http:") && url.hostname.length > 0
  } catch {
    return false
  }
}

export const httpUrlField = z
  .string({ error: "must be an absolute http(s) URL" })
  .trim()
  .refine(isHttpUrl, "must be an absolute http(s) URL")

/** M-Pesa receipt numbers (e.g. NLJ7RT61SV) and conversation ids: letters, digits, underscores. */
export const transactionIdField = z
  .string({ error: "must be an M-Pesa transaction id such as NLJ7RT61SV" })
  .trim()
  .regex(/^[A-Za-z0-9_-]{6,40}$/, "must be an M-Pesa transaction id such as NLJ7RT61SV")

/**
 * Daraja's OriginatorConversationID, e.g. "71840-27539181-07", "3124-481d-b706-10bdd6fbc8e21792398" or
 * "AG_20190826_0000777ab7d848b9e721" (its samples use all three shapes): letters, digits, hyphens, underscores.
 */
export const conversationIdField = z
  .string({ error: "must be an OriginatorConversationID such as 71840-27539181-07" })
  .trim()
  .regex(/^[A-Za-z0-9_-]{4,100}$/, "must be an OriginatorConversationID such as 71840-27539181-07")

export const remarksField = z
  .string({ error: "must be 2 to 100 characters" })
  .trim()
  .min(2, "must be 2 to 100 characters")
  .max(100, "must be 2 to 100 characters")

export const occasionField = z.string({ error: "must be a string" }).trim().max(100, "must be at most 100 characters")

export const optionalDateField = z
  .date({ error: "must be a valid Date" })
  .refine((d) => !Number.isNaN(d.getTime()), "must be a valid Date")
  .optional()
