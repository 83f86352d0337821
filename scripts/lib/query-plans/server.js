// Where the bench's scratch database lives: DATABASE_URL's server, else the one on
// 127.0.0.1:5432, else (or with MPESA_EMBEDDED_PG=1) an embedded PostgreSQL.
"use strict"
const { Client } = require("pg")
const { ensurePostgres, databaseUrl } = require("../database")
const { log } = require("./format")

// One per run: the scratch database is dropped WITH (FORCE), which must never end another
// run's connections (two worktrees or a CI beside a developer's bench on one server).
const DB_NAME = `mpesa_plan_bench_${process.pid}`

async function canQuery(url) {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 3000 })
  try {
    await c.connect()
    await c.query("select 1")
    return true
  } catch {
    return false
  } finally {
    await c.end().catch(() => {})
  }
}

function withDatabase(url, name) {
  const u = new URL(url)
  u.pathname = `/${name}`
  return u.toString()
}

async function findServer() {
  const candidates =
    process.env.MPESA_EMBEDDED_PG === "1" ? [] : [process.env.DATABASE_URL, "postgres://postgres@127.0.0.1:5432/postgres"].filter(Boolean)
  for (const url of candidates) {
    const adminUrl = withDatabase(url, "postgres")
    if (await canQuery(adminUrl)) {
      return { kind: "server", adminUrl, benchUrl: withDatabase(url, DB_NAME), stop: async () => {} }
    }
  }
  const db = await ensurePostgres({ purpose: "bench", log })
  return { kind: db.kind, adminUrl: databaseUrl(db, "postgres"), benchUrl: databaseUrl(db, DB_NAME), stop: db.stop }
}

module.exports = { DB_NAME, findServer }
