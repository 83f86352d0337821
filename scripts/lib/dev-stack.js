// The whole dev stack as one object that starts its pieces in order and stops them in reverse:
// shared by `npm run dev` (scripts/dev.js), scripts/dev-smoke.js and the e2e tests.
"use strict"
const { ROOT } = require("./database")
const { startDemoShop } = require("./demo-shop")
const { SIMULATOR_PORT, MEDUSA_PORT, SHOP_PORT } = require("./dev-config")
const { ensureDatabase, redact, resolveDatabase } = require("./dev-database")
const { buildEnv, simulatorCertificate } = require("./dev-env")
const { assertPortFree, waitForHttp } = require("./dev-http")
const { logger, stripAnsi } = require("./dev-output")
const { signalGroup, inFlight } = require("./dev-processes")
const { migrate, seed, ensureAdminUser, startSimulator, startMedusa } = require("./dev-steps")

/**
 * The demo stack: `start()` brings up the database, env, simulator, migrations, seed, admin user
 * and `medusa develop`, then waits for /health; `stop()` (safe at any moment, also mid-start)
 * ends everything in reverse order. `onUnexpectedExit(service, info)` is called when Medusa or
 * the simulator dies on its own.
 */
function createStack({ onUnexpectedExit = () => {}, simulatorArgs = [], healthTimeoutMs = 240_000 } = {}) {
  const log = logger("dev")
  const stack = {
    env: null,
    source: null,
    db: null,
    timings: {},
    publishableKey: null,
    services: [],
    simulator: null,
    medusa: null,
    shopUrl: null,
    stopped: false,
    start,
    stop,
  }
  let stopping = null

  const step = async (name, fn) => {
    if (stack.stopped) throw new Error("stopped")
    const t = Date.now()
    const result = await fn()
    if (name) stack.timings[name] = Date.now() - t
    if (stack.stopped) throw new Error("stopped")
    return result
  }

  async function start() {
    try {
      await step(null, async () => {
        await assertPortFree(MEDUSA_PORT, "Medusa")
        await assertPortFree(SIMULATOR_PORT, "Daraja simulator")
        await assertPortFree(SHOP_PORT, "demo shop (set MPESA_SHOP_PORT)")
      })
      await step("database", async () => {
        stack.db = await resolveDatabase()
        await ensureDatabase(stack.db.url)
      })
      const { env, source } = buildEnv({ databaseUrl: stack.db.url })
      stack.env = env
      stack.source = source
      if (env.NODE_PATH && env.NODE_PATH !== process.env.NODE_PATH) {
        log("WARNING: @medusajs/draft-order is installed only under node_modules/@medusajs/medusa/node_modules, so it")
        log("  is not resolvable from the project root. The server still starts (NODE_PATH is set for it), but the")
        log("  admin at /app stays blank (vite cannot resolve @medusajs/draft-order/admin). Fix: install with")
        log('  "@medusajs/ui": "4.2.6" (the version Medusa 2.21.2 pins) and a regenerated lockfile.')
      }
      log(`database ${redact(env.DATABASE_URL)} (${source.DATABASE_URL === ".env" ? "from .env" : stack.db.kind})`)
      log(
        `Daraja at ${env.MPESA_BASE_URL}, callbacks to ${env.MPESA_CALLBACK_BASE_URL} ` +
          `(callback secret from ${source.MPESA_CALLBACK_SECRET === "demo default" ? ".data/dev-secrets.json" : source.MPESA_CALLBACK_SECRET})`
      )

      const simulator = (stack.simulator = startSimulator(env, { extraArgs: simulatorArgs }))
      stack.services.push(simulator)
      simulator.exited.then((info) => !simulator.stopping && !stack.stopped && onUnexpectedExit("simulator", info))

      await step("migrate", () => migrate(env))
      const seeded = await step("seed", () => seed(env, env.DATABASE_URL))
      stack.publishableKey = seeded.publishableKey
      await step("user", () => ensureAdminUser(env, env.DATABASE_URL))
      await step(null, () =>
        waitForHttp(`http://127.0.0.1:${SIMULATOR_PORT}/`, {
          timeoutMs: 30_000,
          shouldAbort: () => (stack.stopped ? "stopped" : simulator.running ? null : "the Daraja simulator exited"),
        })
      )

      await step(null, () => simulatorCertificate(env, source, ROOT))
      await step("boot", async () => {
        let serverError = null
        const medusa = (stack.medusa = startMedusa(env, { onServerError: (line) => (serverError = stripAnsi(line).trim()) }))
        stack.services.push(medusa)
        medusa.exited.then((info) => !medusa.stopping && !stack.stopped && onUnexpectedExit("medusa", info))
        await waitForHttp(`http://localhost:${MEDUSA_PORT}/health`, {
          timeoutMs: healthTimeoutMs,
          shouldAbort: () =>
            stack.stopped
              ? "stopped"
              : !medusa.running
                ? "medusa develop exited"
                : serverError
                  ? `the Medusa server failed to start: ${serverError}`
                  : null,
        })
      })
      await step("shop", async () => {
        const shop = await startDemoShop({
          port: SHOP_PORT,
          storeUrl: `http://localhost:${MEDUSA_PORT}`,
          publishableKey: stack.publishableKey,
          simulatorUrl: `http://127.0.0.1:${SIMULATOR_PORT}`,
        })
        stack.shopUrl = shop.url
        stack.services.push({ tag: "shop", running: true, stop: shop.stop }) // stopped first
      })
      return stack
    } catch (e) {
      await stop()
      throw e
    }
  }

  function stop() {
    stack.stopped = true
    if (!stopping) {
      stopping = (async () => {
        for (const child of inFlight) signalGroup(child, "SIGTERM")
        for (const s of [...stack.services].reverse()) {
          if (s.running) log(`stopping ${s.tag}`)
          await s.stop().catch(() => {})
        }
        if (stack.db) await stack.db.stop().catch(() => {})
      })()
    }
    return stopping
  }

  return stack
}

async function startStack(options) {
  return createStack(options).start()
}

module.exports = { createStack, startStack }
