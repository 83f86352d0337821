import type { PromptLimitName } from "./options"

/** "45 seconds", "1 minute", "7 minutes", "3 hours": always rounded up, so the shopper never retries too early. */
export function formatWait(seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds))
  if (s < 60) return plural(s, "second")
  const minutes = Math.ceil(s / 60)
  if (minutes <= 90) return plural(minutes, "minute")
  return plural(Math.ceil(s / 3600), "hour")
}

const WHAT: Record<PromptLimitName, string> = {
  phone: "Too many M-Pesa prompts to this phone number.",
  payment_collection: "Too many M-Pesa payment attempts for this order.",
  client: "Too many M-Pesa payment requests from your network.",
}

/** The shopper-facing sentence for a refused prompt. */
export function promptLimitMessage(limit: PromptLimitName, retryAfterSeconds: number): string {
  return `${WHAT[limit]} Please wait ${formatWait(retryAfterSeconds)} before trying again.`
}

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? "" : "s"}`
}
