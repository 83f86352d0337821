import { z } from "zod"

/**
 * Wire rules shared by the parsers of what Daraja POSTs to us (the STK CallBackURL, ResultURL and
 * QueueTimeOutURL bodies). Daraja is loose about types there, so these are lenient where it varies.
 */

/** ResultCode arrives as a number (0, 2001) or a string ("0", "R000002"); we always work with a string. */
export const resultCodeSchema = z.union([z.number().int(), z.string().trim().min(1)]).transform((v) => String(v))

/** A Name/Key's Value: a string or a number, or missing (Daraja sends {"Name":"Balance"} with no Value). */
export const wireValueSchema = z.union([z.string(), z.number()]).nullable().optional()

/**
 * Daraja collapses a one-element collection into the element itself in some answers, so a list arrives as
 * [{…}, {…}] or as a bare {…}. A bare object is wrapped before validation, so both read as a list and a bad
 * element is still reported by its own path (Item.0.Name) rather than as a vague union failure.
 */
export function oneOrMany<T extends z.ZodType>(element: T) {
  return z.preprocess(
    (value: unknown) => (typeof value === "object" && value !== null && !Array.isArray(value) ? [value] : value),
    z.array(element),
  )
}
