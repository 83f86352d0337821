// `npm run bench:plans`: proves that the reconcile job's and the callback
// path's queries stay flat as history grows. Builds a scratch database from
// the module's migrations, loads N settled ledger rows and N processed
// callbacks (default 1,000,000 each) plus ~200 open rows, and runs
// EXPLAIN (ANALYZE, BUFFERS) on the SQL each store method sends, 5 times.
//
// Usage: node scripts/bench-query-plans.js [--rows N] [--keep] [--strict] [--verbose]
//   --rows N    settled rows per table (env MPESA_PLAN_ROWS; default 1000000)
//   --keep      keep the scratch database mpesa_plan_bench afterwards
//   --strict    also fail when a query that scans open rows is served by an index
//               that holds settled history too (marked HISTORY otherwise)
//   --verbose   print every plan (text form)
//   --fail-ms N fail only above N ms (default: the 2 ms goal). CI uses a wider margin so a busy
//               machine cannot fail it, while a seq scan over 1M rows (tens of ms) still does.
// Server: DATABASE_URL's, else postgres://postgres@127.0.0.1:5432, else (or
// with MPESA_EMBEDDED_PG=1) an embedded PostgreSQL (scripts/lib/database.js).
//
// Exit code 1 when any query seq-scans mpesa_transaction / mpesa_callback, or
// its median planning or execution time is above 2 ms.
"use strict"
// The pieces live in scripts/lib/query-plans/ (one job each); this file parses the arguments and
// runs them in order.
const fs = require("fs")
const { Client } = require("pg")
const { findServer, DB_NAME } = require("./lib/query-plans/server")
const { migrationSql, applyMigrations } = require("./lib/query-plans/schema")
const { loadData } = require("./lib/query-plans/data")
const { printTables } = require("./lib/query-plans/tables")
const { queries } = require("./lib/query-plans/queries")
const { captureFromCode } = require("./lib/query-plans/capture")
const { explainAll, GOAL_MS } = require("./lib/query-plans/explain")
const { printReport } = require("./lib/query-plans/report")
const { log, secs } = require("./lib/query-plans/format")

// ------------------------------------------------------------------ arguments

function parseArgs(argv) {
  const opts = { rows: Number(process.env.MPESA_PLAN_ROWS || 1_000_000), keep: false, strict: false, verbose: false, failMs: GOAL_MS }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === "--rows") opts.rows = Number(argv[++i])
    else if (a.startsWith("--rows=")) opts.rows = Number(a.slice(7))
    else if (a === "--keep") opts.keep = true
    else if (a === "--strict") opts.strict = true
    else if (a === "--verbose") opts.verbose = true
    else if (a === "--fail-ms") opts.failMs = Number(argv[++i])
    else if (a === "--help" || a === "-h") {
      console.log(fs.readFileSync(__filename, "utf8").split("\n").slice(0, 18).join("\n"))
      process.exit(0)
    } else throw new Error(`unknown argument ${a}`)
  }
  if (!Number.isInteger(opts.rows) || opts.rows < 1000) throw new Error("--rows must be a whole number >= 1000")
  return opts
}

// ------------------------------------------------------------------ main

async function main() {
  const opts = parseArgs(process.argv.slice(2))
  const started = Date.now()
  const n = opts.rows
  const server = await findServer()
  const admin = new Client({ connectionString: server.adminUrl })
  await admin.connect()
  let failed = false
  let db
  try {
    await admin.query(`drop database if exists ${DB_NAME} with (force)`)
    await admin.query(`create database ${DB_NAME}`)
    log(`scratch database ${DB_NAME} on ${server.kind === "server" ? new URL(server.adminUrl).host : `${server.kind} PostgreSQL`}`)

    // ---------------------------------------------------------------- schema
    const { files, statements } = migrationSql()
    db = new Client({ connectionString: server.benchUrl })
    await db.connect()
    await applyMigrations(db, files, statements)

    // ---------------------------------------------------------------- data
    await loadData(server, db, n)

    // ---------------------------------------------------------------- sizes
    const indexes = await printTables(db)

    // ---------------------------------------------------------------- the SQL
    const now = new Date()
    const list = queries(n, now)
    const tCapture = Date.now()
    const unavailable = await captureFromCode(server.benchUrl, list)
    if (unavailable) {
      log(`${unavailable}: explaining the copies of the stores' SQL kept in this script`)
    } else {
      log(`captured the SQL the stores send (each method run once in a rolled-back savepoint) in ${secs(tCapture)}`)
    }

    // ---------------------------------------------------------------- plans
    const explained = await explainAll(db, list, opts, indexes, unavailable)
    const results = explained.results
    failed = explained.failed

    // ---------------------------------------------------------------- report
    printReport(results, { n, indexes, opts, failed, started })
  } finally {
    if (db) await db.end().catch(() => {})
    if (opts.keep) {
      log(`kept database ${DB_NAME} (${server.benchUrl})`)
    } else {
      await admin.query(`drop database if exists ${DB_NAME} with (force)`).catch((e) => log(`could not drop ${DB_NAME}: ${e.message}`))
    }
    await admin.end().catch(() => {})
    await server.stop()
  }
  return failed ? 1 : 0
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e)
    process.exit(1)
  }
)
