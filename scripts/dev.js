// `npm run dev`: the whole demo in one command.
//
//   1. a PostgreSQL (the machine's on localhost:5432, else an embedded one in .data/)
//      and the database `medusa_mpesa_demo` on it;
//   2. env defaults for everything in .env.template that is unset (a .env file wins),
//      with secrets generated once and kept in .data/dev-secrets.json;
//   3. the Daraja simulator (node bin/daraja-simulator.js --port 4010);
//   4. `medusa db:migrate`, the demo seed, the admin user;
//   5. `medusa develop` (store API + admin on http://localhost:9000);
//   6. the demo shop on http://localhost:8000 (scripts/lib/demo-shop.js).
//
// Ctrl-C (or SIGTERM) stops Medusa, the simulator and an embedded PostgreSQL.
// `scripts/dev-smoke.js` reuses the exported functions to boot and stop the stack.
"use strict"
// The pieces live in scripts/lib/dev-*.js (one job each); this file is the entry point and
// re-exports them, so every caller keeps requiring scripts/dev.js.
const { ADMIN_EMAIL, ADMIN_PASSWORD, DEMO_DATABASE, SIMULATOR_PORT, MEDUSA_PORT, SHOP_PORT } = require("./lib/dev-config")
const { redact, ensureDatabase, withOwnSignalHandling, resolveDatabase } = require("./lib/dev-database")
const { buildEnv, draftOrderWorkaround, loadDevSecrets, readDotEnv } = require("./lib/dev-env")
const { httpStatus, waitForHttp } = require("./lib/dev-http")
const { logger, seconds } = require("./lib/dev-output")
const { runMedusa } = require("./lib/dev-processes")
const { createStack, startStack } = require("./lib/dev-stack")
const { adminUserExists, ensureAdminUser, migrate, readPublishableKey, seed, startMedusa, startSimulator } = require("./lib/dev-steps")

function printBanner({ publishableKey, db, timings, shopUrl }) {
  const lines = [
    "M-Pesa Express demo store is up",
    "",
    `Shop             ${shopUrl}   (buy the towel, pay on the virtual phone)`,
    `Store API        http://localhost:${MEDUSA_PORT}`,
    `Publishable key  ${publishableKey || "(not found: see the [seed] lines above)"}`,
    "                 (send it as the x-publishable-api-key header on /store routes)",
    `Admin            http://localhost:${MEDUSA_PORT}/app   ${ADMIN_EMAIL} / ${ADMIN_PASSWORD}`,
    `Virtual phone    http://127.0.0.1:${SIMULATOR_PORT}/   (approve or decline STK prompts here)`,
    `Database         ${redact(db.url)}${db.kind === "embedded" ? " (embedded, data in .data/postgres-dev)" : ""}`,
    "",
    `Ready in ${seconds(Object.values(timings).reduce((a, b) => a + b, 0))} (migrate ${seconds(timings.migrate)}, seed ${seconds(timings.seed)}, medusa develop ${seconds(timings.boot)}). Ctrl-C stops everything.`,
  ]
  const width = Math.max(...lines.map((l) => l.length))
  const bar = "=".repeat(width + 4)
  const out = [bar, ...lines.map((l) => `  ${l}`), bar]
  process.stdout.write(`\n${out.join("\n")}\n\n`)
}

// ------------------------------------------------------------------- main ---

async function main() {
  const log = logger("dev")
  let exiting = false

  const shutdown = async (code, why) => {
    if (exiting) return
    exiting = true
    if (why) log(why)
    await stack.stop()
    log("stopped")
    process.exit(code)
  }

  const stack = createStack({
    onUnexpectedExit: (service, info) => {
      const how = info.error ? info.error.message : info.signal || `exit code ${info.code}`
      shutdown(typeof info.code === "number" && info.code !== 0 ? info.code : 1, `${service} exited unexpectedly (${how})`)
    },
  })
  process.on("SIGINT", () => shutdown(130, "Ctrl-C: stopping Medusa, the simulator and the database…"))
  process.on("SIGTERM", () => shutdown(143, "SIGTERM: stopping Medusa, the simulator and the database…"))
  process.on("SIGHUP", () => shutdown(129, "SIGHUP: stopping Medusa, the simulator and the database…"))

  try {
    await stack.start()
  } catch (e) {
    if (exiting) return
    log(`failed: ${e.message}`)
    process.exit(1)
  }
  if (!exiting) printBanner(stack)
}

module.exports = {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  DEMO_DATABASE,
  SIMULATOR_PORT,
  MEDUSA_PORT,
  SHOP_PORT,
  adminUserExists,
  buildEnv,
  createStack,
  withOwnSignalHandling,
  draftOrderWorkaround,
  ensureAdminUser,
  ensureDatabase,
  httpStatus,
  loadDevSecrets,
  logger,
  migrate,
  printBanner,
  readDotEnv,
  readPublishableKey,
  resolveDatabase,
  runMedusa,
  seed,
  startMedusa,
  startSimulator,
  startStack,
  waitForHttp,
}

if (require.main === module) {
  main()
}
