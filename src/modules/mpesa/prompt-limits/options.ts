import { z } from "zod"

/**
 * Options for the abuse limits on M-Pesa prompts (STK Pushes started from the
 * public store API). Each limit allows `max` prompts per `windowSeconds`;
 * `max: 0` switches that one limit off. Counts live in PostgreSQL, so they
 * hold across every server instance.
 */
import type { PromptLimitName } from "../types"

export type { PromptLimitName }

const MAX_LIMIT = 10_000
const MAX_WINDOW_S = 7 * 24 * 3600

/** One limit's schema; every message names the option and its environment variable. */
const limitSchema = (
  field: string,
  envPrefix: string,
  defaults: { max: number; windowSeconds: number }
) => {
  const maxMsg = `promptLimits.${field}.max (${envPrefix}_MAX) must be a whole number from 0 (off) to ${MAX_LIMIT}`
  const windowMsg = `promptLimits.${field}.windowSeconds (${envPrefix}_WINDOW_S) must be a whole number of seconds from 1 to ${MAX_WINDOW_S}`
  return z
    .object({
      max: z.number({ error: maxMsg }).int(maxMsg).min(0, maxMsg).max(MAX_LIMIT, maxMsg).default(defaults.max),
      windowSeconds: z
        .number({ error: windowMsg })
        .int(windowMsg)
        .min(1, windowMsg)
        .max(MAX_WINDOW_S, windowMsg)
        .default(defaults.windowSeconds),
    })
    .prefault({})
}

export const promptLimitsSchema = z.object({
  enabled: z
    .boolean({ error: "promptLimits.enabled (MPESA_LIMITS_ENABLED) must be true or false" })
    .default(true),
  /** Prompts to one phone number: the victim's protection. Default 3 per 10 minutes. */
  phone: limitSchema("phone", "MPESA_LIMIT_PHONE", { max: 3, windowSeconds: 600 }),
  /** Prompts for one payment collection (one cart). Default 5 per 24 hours. */
  paymentCollection: limitSchema("paymentCollection", "MPESA_LIMIT_COLLECTION", { max: 5, windowSeconds: 86_400 }),
  /** Prompts from one client address (`req.ip`; IPv6 by /64). Default 20 per 10 minutes. */
  client: limitSchema("client", "MPESA_LIMIT_CLIENT", { max: 20, windowSeconds: 600 }),
})

export type PromptLimitsInput = z.input<typeof promptLimitsSchema>
export type PromptLimits = z.output<typeof promptLimitsSchema>

/**
 * Reads the MPESA_LIMIT* environment variables. Unset or empty means the
 * default; a value that is not a plain whole number (or a boolean word for
 * MPESA_LIMITS_ENABLED) is passed through unchanged so that the schema rejects
 * it with a message naming the field.
 */
export function promptLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): PromptLimitsInput {
  const int = (v?: string): number | undefined => {
    if (v === undefined || v.trim() === "") return undefined
    return /^\s*\d+\s*$/.test(v) ? Number(v) : (v as unknown as number)
  }
  const bool = (v?: string): boolean | undefined => {
    if (v === undefined || v.trim() === "") return undefined
    if (/^\s*(1|true|yes|on)\s*$/i.test(v)) return true
    if (/^\s*(0|false|no|off)\s*$/i.test(v)) return false
    return v as unknown as boolean
  }
  return {
    enabled: bool(env.MPESA_LIMITS_ENABLED),
    phone: { max: int(env.MPESA_LIMIT_PHONE_MAX), windowSeconds: int(env.MPESA_LIMIT_PHONE_WINDOW_S) },
    paymentCollection: {
      max: int(env.MPESA_LIMIT_COLLECTION_MAX),
      windowSeconds: int(env.MPESA_LIMIT_COLLECTION_WINDOW_S),
    },
    client: { max: int(env.MPESA_LIMIT_CLIENT_MAX), windowSeconds: int(env.MPESA_LIMIT_CLIENT_WINDOW_S) },
  }
}
