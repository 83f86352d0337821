/**
 * `daraja-simulator` command line: starts the simulator, prints where it is and how to use it, and
 * stops cleanly on SIGINT / SIGTERM. Flags win over environment variables, which win over defaults.
 */
import { describeOutcomeTable } from "./outcomes"
import type { DarajaSimulatorOptions, DefaultOutcome, SimulatorLogger } from "./options"
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

/** Pure, so it can be tested without starting anything. */
export function parseCliArgs(argv: readonly string[], env: Env): CliParse {
  const raw = new Map<string, string>()
  for (const [flag, spec] of Object.entries(FLAGS)) {
    const fromEnv = env[spec.env]
    if (fromEnv !== undefined && fromEnv !== "") raw.set(flag, fromEnv)
  }
  let quiet = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === "-h" || arg === "--help") return { kind: "help" }
    if (arg === "--quiet") {
      quiet = true
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
  if (env.DARAJA_SIMULATOR_CONSUMER_KEY) options.consumerKey = env.DARAJA_SIMULATOR_CONSUMER_KEY
  if (env.DARAJA_SIMULATOR_CONSUMER_SECRET) options.consumerSecret = env.DARAJA_SIMULATOR_CONSUMER_SECRET
  return { kind: "run", options, quiet }
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
