import { readFileSync } from "fs"
import { z } from "zod"
import { trustedProxyHopsFromEnv, trustedProxyHopsSchema } from "./prompt-limits/client-address"
import { promptLimitsFromEnv, promptLimitsSchema } from "./prompt-limits/options"
import { DEFAULT_POLL_INTERVAL_MS } from "./loaders/loaded-options"

/**
 * The one options schema. The repo's medusa-config passes the same object to
 * the `mpesa` module (which owns Daraja state and calls) and to the payment
 * provider (whose `validateOptions` fails the boot on bad input, naming the
 * field). Settings a merchant saves in the admin (settings/effective-config.ts)
 * are merged over these; the credentials may therefore be left out here and
 * typed into Settings -> M-Pesa instead (a push is refused, naming what is
 * missing, until they are set somewhere).
 */
const digits = (field: string, min: number, max: number) =>
  z
    .string({ error: `${field} is required` })
    .trim()
    .regex(new RegExp(`^\\d{${min},${max}}$`), `${field} must be ${min}-${max} digits`)

const wholeNumber = (field: string, min: number, max: number) => {
  const rule = `${field} must be a whole number from ${min} to ${max}`
  return z.number({ error: rule }).int({ error: rule }).min(min, { error: rule }).max(max, { error: rule })
}

export const mpesaOptionsSchema = z
  .object({
    // Credentials: "" = not set here (see missingCredentials).
    consumerKey: z.string({ error: "consumerKey must be a string" }).trim().default(""),
    consumerSecret: z.string({ error: "consumerSecret must be a string" }).default(""),
    shortcode: z
      .string({ error: "shortcode must be a string" })
      .trim()
      .regex(/^(\d{5,7})?$/, "shortcode must be 5-7 digits")
      .default(""),
    passkey: z.string({ error: "passkey must be a string" }).default(""),
    /** For reversals (refunds); optional until refunds are used. */
    initiatorName: z.string().trim().min(1).max(100).optional(),
    initiatorPassword: z.string().min(1).max(200).optional(),
    /** Safaricom's certificate for the environment; the initiator password is encrypted with it. */
    certificatePem: z
      .string()
      .refine((v) => v.includes("-----BEGIN"), "certificatePem must be a PEM certificate (-----BEGIN CERTIFICATE----- ...)")
      .optional(),
    /** A ready SecurityCredential (the Daraja portal's encrypted initiator password), instead of password + certificate. */
    securityCredential: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9+/]{40,}={0,2}$/, "securityCredential must be the base64 credential the Daraja portal generates")
      .optional(),
    /** How long a refund from Medusa waits for Daraja's reversal result before giving up (nothing is recorded then). */
    reversalWaitMs: z.number().int().min(0).max(60_000).default(20_000),
    /** A reversal with no result after this long is confirmed with Transaction Status. */
    reversalCheckAfterMs: z.number().int().min(1_000).max(30 * 60_000).default(60_000),
    /** Transaction Status checks per reversal before it is flagged for a person. */
    maxReversalChecks: z.number().int().min(1).max(20).default(6),
    transactionType: z.enum(["paybill", "till"]).default("paybill"),
    tillNumber: digits("tillNumber", 5, 8).optional(),
    environment: z.enum(["sandbox", "production"]).default("sandbox"),
    baseUrl: z.url({ error: "baseUrl must be an absolute http(s) URL" }).optional(),
    callbackBaseUrl: z.url({ error: "callbackBaseUrl must be an absolute http(s) URL such as https://shop.example.com" }),
    callbackSecret: z
      .string({ error: "callbackSecret is required" })
      .regex(/^[A-Za-z0-9_-]{24,128}$/, "callbackSecret must be 24-128 URL-safe characters (A-Z a-z 0-9 _ -)"),
    allowedCallbackIps: z.array(z.string().trim().min(1)).optional(),
    // Rendered, then cut to Daraja's 12 characters; `{ref}` is 8 of them.
    accountReference: z.string().trim().min(1).max(40).default("{ref}"),
    transactionDesc: z.string().trim().min(1).max(40).default("Payment"),
    confirmWithQuery: z.boolean().default(true),
    expiryMs: z.number().int().min(30_000).max(30 * 60_000).default(180_000),
    firstQueryDelayMs: z.number().int().min(0).max(5 * 60_000).default(20_000),
    queryBackoffMs: z.number().int().min(0).max(5 * 60_000).default(15_000),
    requestTimeoutMs: z.number().int().min(100).max(60_000).default(15_000),
    // Bounds: every push, callback and completion has a finite budget of work.
    maxQueriesPerPush: z.number().int().min(1).max(20).default(6),
    maxCallbackChecks: z.number().int().min(1).max(50).default(8),
    callbackRecheckMs: z.number().int().min(100).max(10 * 60_000).default(5_000),
    /** Callbacks stored per signed callback URL; replays of a leaked URL beyond it are acknowledged, not stored. */
    maxCallbacksPerUrl: wholeNumber("maxCallbacksPerUrl", 1, 1000).default(20),
    completionRetryBaseMs: z.number().int().min(100).max(10 * 60_000).default(10_000),
    completionRetryMaxMs: z.number().int().min(1_000).max(6 * 60 * 60_000).default(30 * 60_000),
    /** Paid carts without an order keep being retried for this long (then only by hand). */
    completionGiveUpMs: z.number().int().min(60_000).max(14 * 24 * 60 * 60_000).default(48 * 60 * 60_000),
    /** A paid cart whose order has not appeared after this many attempts is flagged "needs attention". */
    completionAttentionAfter: z.number().int().min(1).max(100).default(3),
    /** Leases: how long one worker owns a row while it talks to Daraja or Medusa. */
    queryLeaseMs: z.number().int().min(1_000).max(10 * 60_000).default(30_000),
    callbackLeaseMs: z.number().int().min(1_000).max(10 * 60_000).default(60_000),
    completionLeaseMs: z.number().int().min(1_000).max(30 * 60_000).default(120_000),
    /** How often the mpesa-reconcile job runs (status queries, expiry, completions, refund checks). */
    pollIntervalMs: wholeNumber("pollIntervalMs", 1_000, 10 * 60_000).default(DEFAULT_POLL_INTERVAL_MS),
    /** Spike arrest / system busy from the query endpoint: leave Daraja alone this long. */
    rateLimitBackoffMs: z.number().int().min(1_000).max(10 * 60_000).default(60_000),
    /** Abuse limits on prompts started from the store API (prompt-limits/options.ts). */
    promptLimits: promptLimitsSchema.prefault({}),
    /** Proxies in front of Medusa whose X-Forwarded-For entry the client prompt limit trusts (prompt-limits/client-address.ts). */
    trustedProxyHops: trustedProxyHopsSchema,
  })
  .superRefine((o, ctx) => {
    if (o.expiryMs <= o.requestTimeoutMs + o.firstQueryDelayMs) {
      ctx.addIssue({
        code: "custom",
        path: ["expiryMs"],
        message: `expiryMs must exceed requestTimeoutMs + firstQueryDelayMs (${o.requestTimeoutMs + o.firstQueryDelayMs} ms), or a push expires before its first status query`,
      })
    }
    if (o.transactionType === "till" && !o.tillNumber) {
      ctx.addIssue({ code: "custom", path: ["tillNumber"], message: "tillNumber is required when transactionType is till" })
    }
    if (o.environment === "production" && !o.callbackBaseUrl.startsWith("https://")) {
      ctx.addIssue({ code: "custom", path: ["callbackBaseUrl"], message: "callbackBaseUrl must use https in production" })
    }
    if (o.environment === "production" && o.baseUrl && !o.baseUrl.startsWith("https://")) {
      ctx.addIssue({
        code: "custom",
        path: ["baseUrl"],
        message: "baseUrl must use https in production; leave it unset to use api.safaricom.co.ke",
      })
    }
    if (/m-?pesa|safaricom/i.test(o.callbackBaseUrl)) {
      ctx.addIssue({
        code: "custom",
        path: ["callbackBaseUrl"],
        message: "callbackBaseUrl must not contain \"mpesa\" or \"safaricom\": Safaricom rejects such callback URLs",
      })
    }
  })

export type MpesaOptionsInput = z.input<typeof mpesaOptionsSchema>
export type MpesaOptions = z.output<typeof mpesaOptionsSchema>

/** Parses options; the error lists every bad field and never echoes a value. */
export function parseMpesaOptions(input: unknown): MpesaOptions {
  const result = mpesaOptionsSchema.safeParse(input ?? {})
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join(".") || "options"}: ${i.message}`)
    throw new Error(`Invalid M-Pesa options: ${problems.join("; ")}`)
  }
  return result.data
}

/** The credentials a push needs that are set nowhere (neither in the admin nor in the options). */
export function missingCredentials(o: MpesaOptions): string[] {
  const missing: string[] = []
  if (!o.consumerKey) missing.push("consumerKey")
  if (!o.consumerSecret) missing.push("consumerSecret")
  if (!o.shortcode) missing.push("shortcode")
  if (!o.passkey) missing.push("passkey")
  if (o.transactionType === "till" && !o.tillNumber) missing.push("tillNumber")
  return missing
}

/** Reads the documented MPESA_* environment variables into raw options. */
export function mpesaOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): MpesaOptionsInput {
  const num = (v?: string) => (v === undefined || v === "" ? undefined : Number(v))
  const bool = (v?: string) => (v === undefined || v === "" ? undefined : !/^(0|false|no|off)$/i.test(v))
  return {
    consumerKey: env.MPESA_CONSUMER_KEY ?? "",
    consumerSecret: env.MPESA_CONSUMER_SECRET ?? "",
    shortcode: env.MPESA_SHORTCODE ?? "",
    passkey: env.MPESA_PASSKEY ?? "",
    transactionType: (env.MPESA_TRANSACTION_TYPE as "paybill" | "till" | undefined) || undefined,
    tillNumber: env.MPESA_TILL_NUMBER || undefined,
    environment: (env.MPESA_ENVIRONMENT as "sandbox" | "production" | undefined) || undefined,
    baseUrl: env.MPESA_BASE_URL || undefined,
    callbackBaseUrl: env.MPESA_CALLBACK_BASE_URL ?? "",
    callbackSecret: env.MPESA_CALLBACK_SECRET ?? "",
    allowedCallbackIps: env.MPESA_ALLOWED_CALLBACK_IPS
      ? env.MPESA_ALLOWED_CALLBACK_IPS.split(",").map((s) => s.trim()).filter(Boolean)
      : undefined,
    initiatorName: env.MPESA_INITIATOR_NAME || undefined,
    initiatorPassword: env.MPESA_INITIATOR_PASSWORD || undefined,
    certificatePem: env.MPESA_CERTIFICATE_PEM || readCertificate(env.MPESA_CERTIFICATE_PATH),
    securityCredential: env.MPESA_SECURITY_CREDENTIAL || undefined,
    reversalWaitMs: num(env.MPESA_REVERSAL_WAIT_MS),
    reversalCheckAfterMs: num(env.MPESA_REVERSAL_CHECK_AFTER_MS),
    maxReversalChecks: num(env.MPESA_MAX_REVERSAL_CHECKS),
    accountReference: env.MPESA_ACCOUNT_REFERENCE || undefined,
    transactionDesc: env.MPESA_TRANSACTION_DESC || undefined,
    requestTimeoutMs: num(env.MPESA_REQUEST_TIMEOUT_MS),
    confirmWithQuery: bool(env.MPESA_CONFIRM_WITH_QUERY),
    expiryMs: num(env.MPESA_EXPIRY_MS),
    firstQueryDelayMs: num(env.MPESA_FIRST_QUERY_DELAY_MS),
    queryBackoffMs: num(env.MPESA_QUERY_BACKOFF_MS),
    maxQueriesPerPush: num(env.MPESA_MAX_QUERIES_PER_PUSH),
    completionGiveUpMs: num(env.MPESA_COMPLETION_GIVE_UP_MS),
    maxCallbacksPerUrl: num(env.MPESA_MAX_CALLBACKS_PER_URL),
    pollIntervalMs: num(env.MPESA_POLL_INTERVAL_MS),
    promptLimits: promptLimitsFromEnv(env),
    trustedProxyHops: trustedProxyHopsFromEnv(env),
  }
}

/** Reads MPESA_CERTIFICATE_PATH; a missing file fails the boot naming the variable (never the contents). */
function readCertificate(path: string | undefined): string | undefined {
  if (!path) return undefined
  try {
    return readFileSync(path, "utf8")
  } catch {
    throw new Error(`Invalid M-Pesa options: MPESA_CERTIFICATE_PATH: cannot read ${path}`)
  }
}

/** Safaricom's published callback source addresses (documented example; they vary). */
export const SAFARICOM_CALLBACK_IPS = [
  "196.201.214.200", "196.201.214.206", "196.201.213.114", "196.201.214.207",
  "196.201.214.208", "196.201.213.44", "196.201.212.127", "196.201.212.138",
  "196.201.212.129", "196.201.212.136", "196.201.212.74", "196.201.212.69",
]

/** The path under which Daraja posts STK results; never contains "mpesa" (Safaricom rejects such URLs). */
export const CALLBACK_ROUTE_PREFIX = "/hooks/lipa/stk"
