// EXPLAIN (ANALYZE, BUFFERS) of every query, and the verdict on each plan: a seq scan of a history
// table, a median above the goal, or a scan for open work that walks settled history fails it.
"use strict"
const { norm } = require("./capture")
const { median } = require("./format")

const RUNS = 5
const GOAL_MS = 2
const BIG_TABLES = new Set(["mpesa_transaction", "mpesa_callback"])

function walk(node, visit, depth = 0) {
  visit(node, depth)
  for (const child of node.Plans || []) walk(child, visit, depth + 1)
}

function summarise(plan) {
  const scans = []
  walk(plan.Plan, (node) => {
    // Scans only: a ModifyTable node (the INSERT/UPDATE/DELETE itself) names its table too.
    if ((node["Relation Name"] || node["Index Name"]) && node["Node Type"] !== "ModifyTable") {
      const removed = (node["Rows Removed by Filter"] || 0) + (node["Rows Removed by Index Recheck"] || 0)
      scans.push({
        type: node["Node Type"],
        relation: node["Relation Name"] || null,
        index: node["Index Name"] || null,
        perLoop: (node["Actual Rows"] || 0) + removed,
        read: ((node["Actual Rows"] || 0) + removed) * (node["Actual Loops"] || 1),
      })
    }
    for (const arbiter of node["Conflict Arbiter Indexes"] || []) {
      scans.push({ type: "Conflict Arbiter", relation: node["Relation Name"], index: arbiter, perLoop: 0, read: 0 })
    }
  })
  const top = plan.Plan
  return {
    planning: plan["Planning Time"],
    execution: plan["Execution Time"],
    scans,
    buffers: (top["Shared Hit Blocks"] || 0) + (top["Shared Read Blocks"] || 0),
  }
}

async function explainAll(db, list, opts, indexes, unavailable) {
  let failed = false
  const results = []
  for (const q of list) {
    const sql = q.code ? q.code.sql : q.sql
    const params = q.code ? q.code.params : q.params
    const origin = !q.code ? "copy" : norm(q.code.sql) === norm(q.sql) ? "code" : "code*"
    const prelude = [...(q.setup || []).map((x) => ({ sql: x, params: [] })), ...(q.code ? q.code.before : [])]
    const runs = []
    let textPlan = null
    for (let r = 0; r < RUNS; r++) {
      await db.query("begin")
      try {
        for (const p of prelude) await db.query(p.sql, p.params)
        const res = await db.query(`explain (analyze, buffers, format json) ${sql}`, params)
        runs.push(summarise(res.rows[0]["QUERY PLAN"][0]))
      } finally {
        await db.query("rollback")
      }
    }
    if (opts.verbose) {
      await db.query("begin")
      try {
        for (const p of prelude) await db.query(p.sql, p.params)
        textPlan = (await db.query(`explain (analyze, buffers) ${sql}`, params)).rows.map((x) => x["QUERY PLAN"]).join("\n")
      } finally {
        await db.query("rollback")
      }
    }
    const last = runs[runs.length - 1]
    const tableOf = (s) => s.relation || indexes[s.index]?.tbl
    const big = last.scans.filter((s) => BIG_TABLES.has(tableOf(s)))
    const seqBig = big.filter((s) => s.type === "Seq Scan").map((s) => s.relation)
    const seqAny = last.scans.filter((s) => s.type === "Seq Scan").map((s) => s.relation)
    const used = [...new Set(last.scans.map((s) => s.index).filter(Boolean))]
    const planning = median(runs.map((x) => x.planning))
    const execution = median(runs.map((x) => x.execution))
    const notes = []
    if (seqBig.length) notes.push(`FAIL seq scan on ${[...new Set(seqBig)].join(", ")}`)
    if (execution > opts.failMs) notes.push(`FAIL execution ${execution.toFixed(3)} ms > ${opts.failMs} ms`)
    if (planning > opts.failMs) notes.push(`FAIL planning ${planning.toFixed(3)} ms > ${opts.failMs} ms`)
    // A scan for open work is history-bound when it walks an index over a big table that also holds
    // settled rows; a unique-key probe (<= 1 row per loop, e.g. "id in (subquery)") is not a walk.
    const history =
      q.expect === "open" &&
      big.some((s) => s.index && s.type !== "Conflict Arbiter" && indexes[s.index]?.openOnly === false && !(indexes[s.index].uniq && s.perLoop <= 1))
    if (history) notes.push(opts.strict ? "FAIL index holds settled history (--strict)" : "HISTORY: index holds settled rows")
    const seqSmall = [...new Set(seqAny.filter((t) => !BIG_TABLES.has(t)))]
    if (seqSmall.length) notes.push(`WARN seq scan on ${seqSmall.join(", ")} (not a history table: its cost grows with that table's live rows)`)
    const verdict = notes.some((x) => x.startsWith("FAIL"))
      ? "FAIL"
      : history
        ? "HISTORY"
        : seqSmall.length
          ? "WARN"
          : q.expect === "open"
          ? "ok open-only"
          : q.expect === "range"
            ? "ok stale range"
            : "ok key lookup"
    if (verdict === "FAIL") failed = true
    if (origin === "code*") notes.push("NOTE the SQL the code sends differs from this script's copy (explained the code's; update the copy)")
    if (origin === "copy" && !unavailable) notes.push(`NOTE explained this script's copy: running the store method failed (${q.callError})`)
    results.push({ q, sql, params, origin, planning, execution, runs, seqBig, seqAny, used, read: last.scans.reduce((a, s) => a + s.read, 0), buffers: last.buffers, verdict, notes, textPlan })
  }
  return { results, failed }
}

module.exports = { RUNS, GOAL_MS, BIG_TABLES, summarise, explainAll }
