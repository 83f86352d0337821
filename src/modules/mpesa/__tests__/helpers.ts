import { execFileSync } from "child_process"
import path from "path"
import { startDarajaSimulator, type DarajaSimulator } from "../../../simulator"

/** A free TCP port, chosen before the runner builds the module's options (it copies them at load time). */
export function freePortSync(): number {
  const out = execFileSync(process.execPath, [
    "-e",
    "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})",
  ])
  return Number(out.toString())
}

export const MIGRATIONS = path.join(__dirname, "..", "migrations")
export const PASSKEY = "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919"

export function moduleOptions(simPort: number, overrides: Record<string, unknown> = {}) {
  return {
    consumerKey: "simulator-consumer-key",
    consumerSecret: "simulator-consumer-secret",
    shortcode: "174379",
    passkey: PASSKEY,
    baseUrl: `http://127.0.0.1:${simPort}`,
    callbackBaseUrl: "http://127.0.0.1:9", // nothing listens: callbacks are fed in by hand
    callbackSecret: "module-test-secret-0123456789abcdef",
    firstQueryDelayMs: 20_000,
    queryBackoffMs: 15_000,
    expiryMs: 180_000,
    ...overrides,
  }
}

/** The test's clock, injected as the module's `mpesaClock`. */
export function testClock() {
  let now = Date.now()
  return {
    clock: { now: () => new Date(now) },
    tick: (ms: number) => {
      now += ms
    },
    reset: () => {
      now = Date.now()
    },
  }
}

export function recordingEventBus() {
  const emitted: { name: string; data: { id: string } }[] = []
  const bus = {
    emitted,
    emit: async (e: { name: string; data: { id: string } } | { name: string; data: { id: string } }[]) => {
      for (const one of Array.isArray(e) ? e : [e]) emitted.push(one)
    },
    subscribe: () => bus,
    unsubscribe: () => bus,
    releaseGroupedEvents: async () => undefined,
    clearGroupedEvents: async () => undefined,
  }
  return bus
}

/** Keeps warnings and errors (they are what a merchant would see), drops debug noise. */
export const quietLogger = {
  debug: () => undefined,
  info: () => undefined,
  log: () => undefined,
  warn: () => undefined,
  error: (...args: unknown[]) => console.error(...args),
  activity: () => "",
  progress: () => undefined,
  success: () => undefined,
  failure: () => undefined,
  shouldLog: () => false,
  setLogLevel: () => undefined,
  unsetLogLevel: () => undefined,
  panic: (...args: unknown[]) => console.error(...args),
}

/**
 * Starts a strict simulator on `port` around the file's tests (registered before the runner's
 * own hooks, so it listens before the module boots) and returns a getter for it.
 */
export function useStrictSimulator(port: number): () => DarajaSimulator {
  let sim: DarajaSimulator
  beforeAll(async () => {
    sim = await startDarajaSimulator({ port, callbackDelayMs: 50, promptTimeoutMs: 600_000, strict: true })
  })
  afterAll(async () => {
    await sim?.close()
  })
  return () => sim
}
