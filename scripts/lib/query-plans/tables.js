// What the scratch database holds once loaded: each table's size, and each index's entries and how
// many of them are settled history (the explain verdicts need that count).
"use strict"

async function printTables(db) {
  const sizes = (
    await db.query(`
      select c.relname, c.reltuples::bigint as rows, pg_relation_size(c.oid) as heap,
             pg_indexes_size(c.oid) as idx, pg_total_relation_size(c.oid) as total
      from pg_class c where c.relname in ('mpesa_transaction', 'mpesa_callback', 'mpesa_prompt_limit') order by c.relname`)
  ).rows
  const mb = (b) => `${(Number(b) / 1048576).toFixed(0)} MB`
  console.log("")
  console.log("Table sizes")
  for (const s of sizes) {
    console.log(`  ${s.relname.padEnd(20)} ${String(Number(s.rows).toLocaleString("en")).padStart(11)} rows   heap ${mb(s.heap).padStart(7)}   indexes ${mb(s.idx).padStart(7)}   total ${mb(s.total).padStart(7)}`)
  }

  // Entries in every index of the three tables (its predicate counted exactly).
  const indexRows = (
    await db.query(`
      select c.relname as index, t.relname as tbl, pg_get_expr(i.indpred, i.indrelid) as pred, i.indisunique or i.indisprimary as uniq
      from pg_index i join pg_class c on c.oid = i.indexrelid join pg_class t on t.oid = i.indrelid
      where t.relname in ('mpesa_transaction', 'mpesa_callback', 'mpesa_prompt_limit') order by t.relname, c.relname`)
  ).rows
  const tableRows = {}
  for (const s of sizes) tableRows[s.relname] = Number((await db.query(`select count(*) n from "${s.relname}"`)).rows[0].n)
  // "Open rows only": the index holds none of the settled history loaded above.
  const HISTORY_IDS = { mpesa_transaction: "mpesatx_h%", mpesa_callback: "mpesacb_h%" }
  const indexes = {}
  for (const ix of indexRows) {
    const like = HISTORY_IDS[ix.tbl]
    const { n: entries, hist } = (
      await db.query(
        `select count(*)::int as n, ${like ? `count(*) filter (where "id" like '${like}')::int` : "null"} as hist from "${ix.tbl}"${ix.pred ? ` where ${ix.pred}` : ""}`
      )
    ).rows[0]
    indexes[ix.index] = { ...ix, entries, history: hist, openOnly: like ? hist === 0 : null }
  }
  console.log("")
  console.log("Indexes (entries = rows matching the index predicate; settled = of those, rows of the loaded history)")
  for (const ix of Object.values(indexes)) {
    const what = ix.openOnly === null ? "n/a (counters)" : ix.openOnly ? "open rows only" : `${ix.history.toLocaleString("en")} settled`
    console.log(`  ${ix.index.padEnd(52)} ${String(ix.entries.toLocaleString("en")).padStart(11)}  ${what.padEnd(17)}${ix.pred ? `  WHERE ${ix.pred}` : ""}`)
  }
  return indexes
}

module.exports = { printTables }
