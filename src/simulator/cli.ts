/**
 * `daraja-simulator` command line: starts the simulator, prints where it is and how to use it, and
 * stops cleanly on SIGINT / SIGTERM. Flags win over environment variables, which win over defaults.
 */
import { describeOutcomeTable } from "./outcomes"
import { STRICT_RULE_NAMES, type DarajaSimulatorOptions, type DefaultOutcome, type SimulatorLogger, type StrictRules } from "./options"
import { startDarajaSimulator, type DarajaSimulator } from "./server"

export const CLI_DEFAULT_PORT = 4010

const USAGE = `Usage: daraja-simulator [options]

A local Safaricom Daraja (M-Pesa Express / STK Push) simulator.

Options:
  --port <n>                 Port to listen on (env DARAJA_SIMULATOR_PORT, default ${CLI_DEFAULT_PORT})
  --host <host>              Interface to bind (env DARAJA_SIMULATOR_HOST, default 127.0.0.1)
  --time-scale <x>           Multiply simulated delays, e.g. 0.1 (env DARAJA_SIMULATOR_TIME_SCALE, default 1)
  --callback-delay-ms <n>    Delay before callbacks (env DARAJA_SIMULATOR_CALLBACK_DELAY_MS, default 2000)
  --prompt-timeout-ms <n>    Unanswered prompts end with 1037 after this (env DARAJA_SIMULATOR_PROMPT_TIMEOUT_MS, default 60000)
  --default-outcome <mode>   "manual" or "success" for phones not in the table (env DARAJA_SIMULATOR_DEFAULT_OUTCOME, default manual)
  --latency-ms <n>           Added to every Daraja response (env DARAJA_SIMULATOR_LATENCY_MS, default 0)
  --strict[=<rules>]         Strict profile: all rules, or a comma list of ${STRICT_RULE_NAMES.join(", ")}
                             (env DARAJA_SIMULATOR_STRICT=true or a list; default off: lenient)
  --no-duplicate-rules       No subscriber lock and no ResultCode 17 for repeated pushes, for load tests
                             (env DARAJA_SIMULATOR_DUPLICATE_RULES=false; default on)
  --quiet                    Do not log each request and callback
  -h, --help                 Show this help

Credentials: DARAJA_SIMULATOR_CONSUMER_KEY / DARAJA_SIMULATOR_CONSUMER_SECRET
(default simulator-consumer-key / simulator-consumer-secret).`

export type CliParse =
  | { kind: "run"; options: DarajaSimulatorOptions; quiet: boolean }
  | { kind: "help" }
  | { kind: "error"; message: string }

type Env = Record<string, string | undefined>

const FLAGS: Record<string, { env: string; option: keyof DarajaSimulatorOptions; type: "number" | "string" | "outcome" }> = {
  "--port": { env: "DARAJA_SIMULATOR_PORT", option: "port", type: "number" },
  "--host": { env: "DARAJA_SIMULATOR_HOST", option: "host", type: "string" },
  "--time-scale": { env: "DARAJA_SIMULATOR_TIME_SCALE", option: "timeScale", type: "number" },
  "--callback-delay-ms": { env: "DARAJA_SIMULATOR_CALLBACK_DELAY_MS", option: "callbackDelayMs", type: "number" },
  "--prompt-timeout-ms": { env: "DARAJA_SIMULATOR_PROMPT_TIMEOUT_MS", option: "promptTimeoutMs", type: "number" },
  "--default-outcome": { env: "DARAJA_SIMULATOR_DEFAULT_OUTCOME", option: "defaultOutcome", type: "outcome" },
  "--latency-ms": { env: "DARAJA_SIMULATOR_LATENCY_MS", option: "latencyMs", type: "number" },
}

const TRUE_WORDS = ["1", "true", "yes", "on"]
const FALSE_WORDS = ["0", "false", "no", "off"]

/** "true" / "false" (and 1/0, yes/no, on/off), or a comma list of rule names. */
function parseStrict(value: string, source: string): { ok: true; strict: boolean | Partial<StrictRules> } | { ok: false; message: string } {
  const v = value.trim()
  if (v === "" || TRUE_WORDS.includes(v.toLowerCase())) return { ok: true, strict: true }
  if (FALSE_WORDS.includes(v.toLowerCase())) return { ok: true, strict: false }
  const rules: Partial<StrictRules> = {}
  for (const name of v.split(",").map((n) => n.trim())) {
    if (!(STRICT_RULE_NAMES as readonly string[]).includes(name)) {
      return { ok: false, message: `${source}: unknown strict rule "${name}" (rules: ${STRICT_RULE_NAMES.join(", ")})` }
    }
    rules[name as keyof StrictRules] = true
  }
  return { ok: true, strict: rules }
}

/** Pure, so it can be tested without starting anything. */
export function parseCliArgs(argv: readonly string[], env: Env): CliParse {
  const raw = new Map<string, string>()
  for (const [flag, spec] of Object.entries(FLAGS)) {
    const fromEnv = env[spec.env]
    if (fromEnv !== undefined && fromEnv !== "") raw.set(flag, fromEnv)
  }
  let strict: boolean | Partial<StrictRules> | undefined
  if (env.DARAJA_SIMULATOR_STRICT) {
    const parsed = parseStrict(env.DARAJA_SIMULATOR_STRICT, "DARAJA_SIMULATOR_STRICT")
    if (!parsed.ok) return { kind: "error", message: parsed.message }
    strict = parsed.strict
  }
  let duplicateRules: boolean | undefined
  if (env.DARAJA_SIMULATOR_DUPLICATE_RULES) {
    const v = env.DARAJA_SIMULATOR_DUPLICATE_RULES.trim().toLowerCase()
    if (TRUE_WORDS.includes(v)) duplicateRules = true
    else if (FALSE_WORDS.includes(v)) duplicateRules = false
    else return { kind: "error", message: `DARAJA_SIMULATOR_DUPLICATE_RULES must be true or false (got "${env.DARAJA_SIMULATOR_DUPLICATE_RULES}")` }
  }
  let quiet = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === "-h" || arg === "--help") return { kind: "help" }
    if (arg === "--quiet") {
      quiet = true
      continue
    }
    if (arg === "--no-duplicate-rules") {
      duplicateRules = false
      continue
    }
    // A bare --strict takes no value (so "--strict --quiet" works); rules are chosen with --strict=<list>.
    if (arg === "--strict" || arg.startsWith("--strict=")) {
      const parsed = parseStrict(arg === "--strict" ? "" : arg.slice("--strict=".length), "--strict")
      if (!parsed.ok) return { kind: "error", message: parsed.message }
      strict = parsed.strict
      continue
    }
    const eq = arg.indexOf("=")
    const flag = eq > 0 ? arg.slice(0, eq) : arg
    if (!FLAGS[flag]) return { kind: "error", message: `Unknown option ${arg}` }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i]
    if (value === undefined) return { kind: "error", message: `Option ${flag} needs a value` }
    raw.set(flag, value)
  }

  const options: DarajaSimulatorOptions = { port: CLI_DEFAULT_PORT }
  const mutable = options as Record<string, unknown>
  for (const [flag, value] of raw) {
    const spec = FLAGS[flag]
    if (spec.type === "number") {
      const n = Number(value)
      if (value.trim() === "" || !Number.isFinite(n) || n < 0) return { kind: "error", message: `${flag} must be a number >= 0 (got "${value}")` }
      mutable[spec.option] = n
    } else if (spec.type === "outcome") {
      if (value !== "manual" && value !== "success") return { kind: "error", message: `${flag} must be "manual" or "success"` }
      mutable[spec.option] = value as DefaultOutcome
    } else {
      mutable[spec.option] = value
    }
  }
  if (strict !== undefined) options.strict = strict
  if (duplicateRules !== undefined) options.duplicateRules = duplicateRules
  if (env.DARAJA_SIMULATOR_CONSUMER_KEY) options.consumerKey = env.DARAJA_SIMULATOR_CONSUMER_KEY
  if (env.DARAJA_SIMULATOR_CONSUMER_SECRET) options.consumerSecret = env.DARAJA_SIMULATOR_CONSUMER_SECRET
  return { kind: "run", options, quiet }
}

/** One line per profile switch, for the banner. */
export function describeFidelity(o: { strict: StrictRules; duplicateRules: boolean }): string[] {
  const on = STRICT_RULE_NAMES.filter((name) => o.strict[name])
  const profile =
    on.length === 0
      ? "lenient (strict rules off: " + STRICT_RULE_NAMES.join(", ") + "; --strict turns them on)"
      : on.length === STRICT_RULE_NAMES.length
        ? "strict (" + on.join(", ") + ")"
        : "strict rules on: " + on.join(", ")
  const duplicates = o.duplicateRules
    ? "on (open prompt -> 500.001.1001 subscriber locked; same phone+amount within 2 min -> ResultCode 17)"
    : "off (--no-duplicate-rules)"
  return [`Profile: ${profile}`, `Duplicate rules: ${duplicates}`]
}

export function banner(sim: DarajaSimulator): string {
  const o = sim.options
  const merchants = o.merchants.map((m) => {
    const tills = m.tills && m.tills.length > 0 ? `, tills ${m.tills.join(", ")} (CustomerBuyGoodsOnline)` : " (CustomerPayBillOnline)"
    return `  ${m.shortcode}${m.name ? ` ${m.name}` : ""}${tills}\n    passkey ${m.passkey}`
  })
  return [
    `Daraja simulator listening on ${sim.url}`,
    `  virtual phone   ${sim.url}/`,
    `  control API     ${sim.url}/simulator/prompts, /simulator/faults, /simulator/stats`,
    `  certificate     ${sim.url}/simulator/certificate (encrypt SecurityCredential with this key)`,
    "",
    `Consumer key/secret: ${o.consumerKey} / ${o.consumerSecret}`,
    `Merchants:`,
    ...merchants,
    "",
    ...describeFidelity(o),
    "",
    `Outcomes by PhoneNumber (time scale ${o.timeScale}, callback delay ${o.callbackDelayMs} ms, prompt timeout ${o.promptTimeoutMs} ms):`,
    ...describeOutcomeTable(o.defaultOutcome),
    "",
    "Press Ctrl+C to stop.",
  ].join("\n")
}

const consoleLogger: SimulatorLogger = {
  info: (message) => console.log(message),
  warn: (message) => console.warn(message),
}

/** Entry point used by bin/daraja-simulator.js; resolves with the running simulator. */
export async function main(argv: readonly string[] = process.argv.slice(2), env: Env = process.env): Promise<DarajaSimulator | null> {
  const parsed = parseCliArgs(argv, env)
  if (parsed.kind === "help") {
    console.log(USAGE)
    return null
  }
  if (parsed.kind === "error") {
    console.error(`${parsed.message}\n\n${USAGE}`)
    process.exitCode = 2
    return null
  }
  const logger: SimulatorLogger = parsed.quiet ? { info: () => undefined, warn: consoleLogger.warn } : consoleLogger
  let sim: DarajaSimulator
  try {
    sim = await startDarajaSimulator({ ...parsed.options, logger })
  } catch (e) {
    console.error(`Could not start the Daraja simulator: ${e instanceof Error ? e.message : String(e)}`)
    process.exitCode = 1
    return null
  }
  console.log(banner(sim))
  const stop = (signal: string) => {
    console.log(`\n${signal} received, stopping the Daraja simulator…`)
    void sim.close().then(() => process.exit(0))
  }
  process.once("SIGINT", () => stop("SIGINT"))
  process.once("SIGTERM", () => stop("SIGTERM"))
  return sim
}

if (require.main === module) void main()
