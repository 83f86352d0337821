// The SQL the code really sends: the store methods run against the scratch database and what knex
// sends is recorded, so the bench explains the code's statements rather than its own copies.
"use strict"
const path = require("path")
const { ROOT } = require("../database")

const norm = (sql) => sql.replace(/\s+/g, " ").trim()
const TX_CONTROL = /^(begin|commit|rollback|savepoint|release savepoint)\b/i

/**
 * Runs every query's store method against the scratch database, each in a
 * savepoint that is rolled back, and records the statements knex sends. Sets
 * q.code = { sql, params } for the statement it picks. Returns null, or why
 * the stores could not be used (then the copies in queries() are explained).
 */
async function captureFromCode(benchUrl, list) {
  let stores
  try {
    require("ts-node").register({ transpileOnly: true, swc: true, project: path.join(ROOT, "tsconfig.json") })
    const mpesa = path.join(ROOT, "src", "modules", "mpesa")
    const { LedgerStore } = require(path.join(mpesa, "stores", "ledger-store.ts"))
    const { CallbackStore } = require(path.join(mpesa, "stores", "callback-store.ts"))
    const { PromptLimiter } = require(path.join(mpesa, "prompt-limits", "prompt-limiter.ts"))
    stores = { LedgerStore, CallbackStore, PromptLimiter }
  } catch (e) {
    return `could not load the stores (${String(e.message).split("\n")[0]})`
  }
  const knex = require("knex")({ client: "pg", connection: benchUrl, pool: { min: 1, max: 1 } })
  const seen = []
  let recording = false
  knex.on("query", (q) => {
    if (recording && !TX_CONTROL.test(q.sql.trim())) seen.push({ sql: q.sql, params: q.bindings || [] })
  })
  try {
    const outer = await knex.transaction()
    let current = outer
    const db = () => current
    const s = {
      ledger: new stores.LedgerStore(db),
      callbacks: new stores.CallbackStore(db),
      limiter: (limits) => new stores.PromptLimiter({ db, limits, keySecret: null }),
    }
    for (const q of list) {
      const sp = await outer.transaction()
      current = sp
      seen.length = 0
      try {
        for (const sql of q.setup || []) await sp.raw(sql)
        recording = true
        await q.call(s)
      } catch (e) {
        q.callError = String(e.message).split("\n")[0]
      } finally {
        recording = false
        await sp.rollback().catch(() => {})
      }
      const pick = q.pick ?? 0
      const at = typeof pick === "number" ? pick : seen.findIndex((x) => x.sql.includes(pick))
      const hit = seen[at]
      // `before`: what the method sent ahead of it (replayed before each EXPLAIN, so the state matches).
      if (hit) q.code = { sql: hit.sql, params: hit.params, before: seen.slice(0, at) }
      else q.callError = q.callError ?? `no statement matching ${JSON.stringify(pick)} among ${seen.length} sent`
    }
    await outer.rollback().catch(() => {})
  } finally {
    await knex.destroy()
  }
  return null
}

module.exports = { norm, captureFromCode }
