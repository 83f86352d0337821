// The bench's report: one line per query (its plan and time against the goal), a legend, the
// flagged queries with an index that would serve them, every plan with --verbose, and the verdict.
"use strict"
const { RUNS, GOAL_MS } = require("./explain")
const { secs } = require("./format")

function printReport(results, { n, indexes, opts, failed, started }) {
  console.log("")
  console.log(`Query plans: ${n.toLocaleString("en")} settled rows per table, median of ${RUNS} EXPLAIN ANALYZE runs (DML rolled back); goal <= ${GOAL_MS} ms`)
  const head = ["#", "query", "sql", "plan ms", "exec ms", "seq scan big", "rows read", "bufs", "index used (entries)", "verdict"]
  const rows = results.map((r, i) => [
    String(i + 1),
    r.q.name,
    r.origin,
    r.planning.toFixed(3),
    r.execution.toFixed(3),
    r.seqBig.length ? `YES ${[...new Set(r.seqBig)].join(",")}` : r.seqAny.length ? `no (${[...new Set(r.seqAny)].join(",")})` : "no",
    String(r.read),
    String(r.buffers),
    r.used.length ? r.used.map((ix) => `${ix} (${indexes[ix] ? indexes[ix].entries.toLocaleString("en") : "?"})`).join(", ") : "-",
    r.verdict,
  ])
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c].length)))
  const right = new Set([0, 3, 4, 6, 7])
  const line = (cells) => "  " + cells.map((x, c) => (right.has(c) ? x.padStart(widths[c]) : x.padEnd(widths[c]))).join("  ")
  console.log(line(head))
  console.log("  " + widths.map((w) => "-".repeat(w)).join("  "))
  for (const row of rows) console.log(line(row))
  console.log(
    "  sql: code = the statement the store method sent (captured), code* = it differs from this script's copy, copy = this script's copy." +
      "\n  rows read: index/heap rows the scans visited (incl. rows removed by filters); bufs: shared buffers touched; entries: rows in the index." +
      "\n  ok open-only: served by an index holding open rows only; ok key lookup: unique-key/owner probe (must find settled rows too, O(log n));" +
      "\n  HISTORY: a scan for open work walks an index that also holds settled rows; WARN: seq scan of a small, non-history table."
  )

  const flagged = results.filter((r) => !r.verdict.startsWith("ok") || r.notes.length)
  if (flagged.length) {
    console.log("")
    console.log("Flagged")
    for (const r of flagged) {
      console.log(`  ${r.q.name} (${r.q.src}): ${r.notes.join("; ")}`)
      if (r.q.fix) {
        console.log(`    would be served over open rows only by: ${r.q.fix}`)
        if (r.q.fixNote) console.log(`    (${r.q.fixNote})`)
      }
    }
  }
  if (opts.verbose) {
    for (const r of results) {
      console.log(`\n--- ${r.q.name}: planning ${r.runs.map((x) => x.planning.toFixed(3)).join(" ")} ms; execution ${r.runs.map((x) => x.execution.toFixed(3)).join(" ")} ms`)
      console.log(`${r.sql}\n${r.params.map((v, i) => `$${i + 1}=${v instanceof Date ? v.toISOString() : JSON.stringify(v)}`).join(" ")}\n${r.textPlan}`)
    }
  }
  console.log("")
  console.log(`${failed ? "FAILED" : "PASSED"}: ${results.filter((r) => r.verdict === "FAIL").length} of ${results.length} queries fail the goal, ${results.filter((r) => r.verdict === "HISTORY").length} served by an index that also holds settled rows; total ${secs(started)}`)
}

module.exports = { printReport }
