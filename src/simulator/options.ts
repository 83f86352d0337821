/**
 * The simulator's options, their defaults, and the one function that fills them in.
 * Every default is chosen so that `startDarajaSimulator()` with no arguments behaves like the
 * Safaricom sandbox a developer would otherwise point at (same shortcode, same passkey).
 */

/** Safaricom's published sandbox passkey for shortcode 174379 (test data, not a secret). */
export const SANDBOX_PASSKEY = "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919"

export interface MerchantConfig {
  /** BusinessShortCode: the paybill, or for tills the store / head-office number used on Go Live. */
  shortcode: string
  passkey: string
  /** Till numbers under this store number; only these are valid PartyB for CustomerBuyGoodsOnline. */
  tills?: string[]
  /** Shown on the virtual phone and in result parameters ("174379 - Sandbox Paybill"). */
  name?: string
}

/** What happens to a prompt for a phone number that is not in the outcome table. */
export type DefaultOutcome = "manual" | "success"

export interface SimulatorLogger {
  info(message: string): void
  warn(message: string): void
}

/**
 * Rules that real Daraja may or may not enforce: each is documented somewhere, yet widely used clients
 * (Safaricom's own sample library among them) break them and are reported to work. Off by default so the
 * simulator is never stricter than the evidence; `strict: true` turns them all on. See README.md.
 */
export interface StrictRules {
  /** STK push and query Timestamp must be within ±5 minutes of Nairobi time (off: any real YYYYMMDDHHmmss). */
  timestampWindow: boolean
  /** TransactionDesc at most 13 characters, as the API table says (off: any length; null / non-strings still fail). */
  transactionDescLength: boolean
  /** Each new token invalidates the previous one, as the FAQ says (off: every unexpired token stays valid). */
  singleActiveToken: boolean
}

export const STRICT_RULE_NAMES = Object.freeze(["timestampWindow", "transactionDescLength", "singleActiveToken"] as const)

const LENIENT_RULES: Readonly<StrictRules> = Object.freeze({
  timestampWindow: false,
  transactionDescLength: false,
  singleActiveToken: false,
})

export interface DarajaSimulatorOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number
  /** Interface to bind; default "127.0.0.1" so the control API is not exposed to the network. */
  host?: string
  /** Default "simulator-consumer-key". */
  consumerKey?: string
  /** Default "simulator-consumer-secret". */
  consumerSecret?: string
  /** Default: paybill 174379 and store 174380 with till 5123456, both with the sandbox passkey. */
  merchants?: MerchantConfig[]
  /**
   * Multiplies the simulated delays (callback delay, prompt timeout). 0.01 turns the 60 s prompt
   * timeout into 600 ms. Default 1. It does not scale `latencyMs` or token lifetimes: those are
   * measured by the client's own wall clock (HTTP timeouts, token caches), so scaling them would
   * make the client's behaviour under test diverge from production.
   */
  timeScale?: number
  /** Time from the customer's answer (or from the push, for table outcomes) to the callback. Default 2000. */
  callbackDelayMs?: number
  /** An unanswered prompt ends with 1037 after this long. Default 60000 (Safaricom's ~60 s). */
  promptTimeoutMs?: number
  /** Outcome for phones not in the outcome table. Default "manual". */
  defaultOutcome?: DefaultOutcome
  /** Lifetime of an access token, reported as `expires_in`. Default 3599. */
  tokenTtlSeconds?: number
  /** Added to every Daraja endpoint response (not the control API or page). Default 0. */
  latencyMs?: number
  /**
   * Strict profile: `true` turns every rule in StrictRules on, an object turns on the rules set to true.
   * Default false (lenient): the simulator accepts what real clients are reported to get away with.
   */
  strict?: boolean | Partial<StrictRules>
  /**
   * Daraja's documented duplicate rules, on by default in both profiles: a push to a phone whose prompt is
   * still open is refused (HTTP 500, 500.001.1001 "Unable to lock subscriber…"), and a push with the same
   * phone, amount and shortcode as one made less than 2 minutes (× timeScale) earlier ends with ResultCode 17.
   * Turn off only for load tests that push to one phone many times.
   */
  duplicateRules?: boolean
  /** Default: silent. */
  logger?: SimulatorLogger
}

export interface ResolvedOptions {
  port: number
  host: string
  consumerKey: string
  consumerSecret: string
  merchants: MerchantConfig[]
  timeScale: number
  callbackDelayMs: number
  promptTimeoutMs: number
  defaultOutcome: DefaultOutcome
  tokenTtlSeconds: number
  latencyMs: number
  strict: StrictRules
  duplicateRules: boolean
  logger: SimulatorLogger
}

export const DEFAULT_MERCHANTS: readonly MerchantConfig[] = Object.freeze([
  { shortcode: "174379", passkey: SANDBOX_PASSKEY, name: "Sandbox Paybill" },
  { shortcode: "174380", passkey: SANDBOX_PASSKEY, tills: ["5123456"], name: "Sandbox Till Store" },
])

export const SILENT_LOGGER: SimulatorLogger = { info: () => undefined, warn: () => undefined }

export function resolveOptions(options: DarajaSimulatorOptions = {}): ResolvedOptions {
  const resolved: ResolvedOptions = {
    port: options.port ?? 0,
    host: options.host ?? "127.0.0.1",
    consumerKey: options.consumerKey ?? "simulator-consumer-key",
    consumerSecret: options.consumerSecret ?? "simulator-consumer-secret",
    merchants: (options.merchants ?? DEFAULT_MERCHANTS).map((m) => ({ ...m, tills: [...(m.tills ?? [])] })),
    timeScale: options.timeScale ?? 1,
    callbackDelayMs: options.callbackDelayMs ?? 2000,
    promptTimeoutMs: options.promptTimeoutMs ?? 60_000,
    defaultOutcome: options.defaultOutcome ?? "manual",
    tokenTtlSeconds: options.tokenTtlSeconds ?? 3599,
    latencyMs: options.latencyMs ?? 0,
    strict: resolveStrict(options.strict),
    duplicateRules: options.duplicateRules ?? true,
    logger: options.logger ?? SILENT_LOGGER,
  }
  assertValid(resolved)
  return resolved
}

/** `true` / `false` / a partial set of rules -> every rule spelled out. Unknown rule names fail loudly. */
export function resolveStrict(strict: boolean | Partial<StrictRules> | undefined): StrictRules {
  if (strict === undefined || strict === false) return { ...LENIENT_RULES }
  if (strict === true) return { timestampWindow: true, transactionDescLength: true, singleActiveToken: true }
  if (typeof strict !== "object" || strict === null || Array.isArray(strict)) {
    throw new Error("Daraja simulator option `strict` must be a boolean or an object of rule switches")
  }
  const rules: StrictRules = { ...LENIENT_RULES }
  for (const [name, value] of Object.entries(strict)) {
    if (!(STRICT_RULE_NAMES as readonly string[]).includes(name)) {
      throw new Error(`Daraja simulator option \`strict\` has no rule "${name}" (rules: ${STRICT_RULE_NAMES.join(", ")})`)
    }
    if (value === undefined) continue
    if (typeof value !== "boolean") throw new Error(`Daraja simulator option \`strict.${name}\` must be a boolean`)
    rules[name as keyof StrictRules] = value
  }
  return rules
}

// Options come from code or the CLI; failing at start with the option's name beats odd behaviour later.
function assertValid(o: ResolvedOptions): void {
  const nonNegative: Array<[string, number]> = [
    ["port", o.port],
    ["timeScale", o.timeScale],
    ["callbackDelayMs", o.callbackDelayMs],
    ["promptTimeoutMs", o.promptTimeoutMs],
    ["latencyMs", o.latencyMs],
  ]
  for (const [name, value] of nonNegative) {
    if (!Number.isFinite(value) || value < 0) throw new Error(`Daraja simulator option \`${name}\` must be a number >= 0`)
  }
  if (!Number.isInteger(o.port) || o.port > 65535) throw new Error("Daraja simulator option `port` must be an integer 0..65535")
  if (!Number.isFinite(o.tokenTtlSeconds) || o.tokenTtlSeconds <= 0) {
    throw new Error("Daraja simulator option `tokenTtlSeconds` must be a number > 0")
  }
  if (o.defaultOutcome !== "manual" && o.defaultOutcome !== "success") {
    throw new Error('Daraja simulator option `defaultOutcome` must be "manual" or "success"')
  }
  if (typeof o.duplicateRules !== "boolean") throw new Error("Daraja simulator option `duplicateRules` must be a boolean")
  if (!o.consumerKey || !o.consumerSecret) throw new Error("Daraja simulator options `consumerKey` and `consumerSecret` must not be empty")
  if (o.merchants.length === 0) throw new Error("Daraja simulator option `merchants` must list at least one merchant")
  for (const m of o.merchants) {
    if (!/^\d{5,7}$/.test(m.shortcode)) throw new Error(`Daraja simulator merchant shortcode "${m.shortcode}" must be 5-7 digits`)
    if (!m.passkey) throw new Error(`Daraja simulator merchant ${m.shortcode} needs a passkey`)
    for (const till of m.tills ?? []) {
      if (!/^\d{5,8}$/.test(till)) throw new Error(`Daraja simulator till "${till}" (merchant ${m.shortcode}) must be 5-8 digits`)
    }
  }
}
