// The dev stack's steps, each one Medusa CLI command or service: migrations, the demo seed (and
// its publishable key), the admin user, the Daraja simulator and `medusa develop`.
"use strict"
const path = require("path")
const { ROOT } = require("./database")
const { SIMULATOR_PORT, ADMIN_EMAIL, ADMIN_PASSWORD, DEMO_API_KEY_TITLE } = require("./dev-config")
const { withClient } = require("./dev-database")
const { logger, stripAnsi, seconds } = require("./dev-output")
const { medusaCommand, spawnService, runMedusa } = require("./dev-processes")

async function migrate(env) {
  const log = logger("migrate")
  log("medusa db:migrate …")
  const r = await runMedusa("migrate", ["db:migrate"], {
    env,
    show: (l) => /\berror\b|Unable to/i.test(l),
  })
  log(`done in ${seconds(r.ms)}`)
  return r
}

async function seed(env, dbUrl) {
  const log = logger("seed")
  log("medusa exec ./src/scripts/seed-demo.ts …")
  const r = await runMedusa("seed", ["exec", "./src/scripts/seed-demo.ts"], {
    env,
    show: (l) => /\[seed-demo\]|error/i.test(l),
  })
  let publishableKey = null
  for (const line of r.lines) {
    const m = stripAnsi(line).match(/publishable API key: (pk_[A-Za-z0-9]+)/)
    if (m) publishableKey = m[1]
  }
  if (!publishableKey) publishableKey = await readPublishableKey(dbUrl).catch(() => null)
  log(`done in ${seconds(r.ms)}`)
  return { ...r, publishableKey }
}

async function readPublishableKey(dbUrl) {
  return withClient(dbUrl, async (c) => {
    const { rows } = await c.query(
      `SELECT token FROM api_key WHERE title = $1 AND type = 'publishable' AND revoked_at IS NULL AND deleted_at IS NULL
       ORDER BY created_at LIMIT 1`,
      [DEMO_API_KEY_TITLE]
    )
    return rows[0]?.token ?? null
  })
}

async function adminUserExists(dbUrl, email) {
  return withClient(dbUrl, async (c) => {
    const { rowCount } = await c.query(`SELECT 1 FROM "user" WHERE email = $1 AND deleted_at IS NULL`, [email])
    return rowCount > 0
  })
}

async function ensureAdminUser(env, dbUrl, { email = ADMIN_EMAIL, password = ADMIN_PASSWORD } = {}) {
  const log = logger("user")
  const exists = await adminUserExists(dbUrl, email).catch(() => false)
  if (exists) {
    log(`admin user ${email} already exists`)
    return { created: false, ms: 0 }
  }
  try {
    const r = await runMedusa("user", ["user", "-e", email, "-p", password], { env })
    log(`created admin user ${email} in ${seconds(r.ms)}`)
    return { created: true, ms: r.ms }
  } catch (e) {
    const text = (e.result?.lines || []).join("\n")
    if (/already exists/i.test(text)) {
      log(`admin user ${email} already exists`)
      return { created: false, ms: e.result.ms }
    }
    throw e
  }
}

function startSimulator(env, { port = SIMULATOR_PORT, extraArgs = [] } = {}) {
  logger("simulator")(`node bin/daraja-simulator.js --port ${port}`)
  return spawnService("simulator", process.execPath, [path.join(ROOT, "bin", "daraja-simulator.js"), "--port", String(port), ...extraArgs], {
    env,
  })
}

function startMedusa(env, { onServerError } = {}) {
  const log = logger("medusa")
  const [node, cli] = medusaCommand()
  log("medusa develop")
  return spawnService("medusa", node, [cli, "develop"], {
    env,
    onLine: (line) => {
      log(line)
      // `medusa develop` keeps watching files when its server dies; tell the caller.
      if (/Error starting server/.test(stripAnsi(line)) && onServerError) onServerError(line)
    },
  })
}

module.exports = { migrate, seed, readPublishableKey, adminUserExists, ensureAdminUser, startSimulator, startMedusa }
