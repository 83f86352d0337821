// The scratch database's schema: the mpesa module's own migrations, applied as plain SQL so the
// bench measures the indexes production gets (no Medusa boot needed).
"use strict"
const fs = require("fs")
const path = require("path")
const { ROOT } = require("../database")
const { log } = require("./format")

const MIGRATIONS_DIR = path.join(ROOT, "src", "modules", "mpesa", "migrations")

/** The SQL of every migration's up(), in file-name order, exactly as addSql receives it. */
function migrationSql() {
  const files = fs
    .readdirSync(MIGRATIONS_DIR)
    .filter((f) => /^Migration\d+\.(ts|js)$/.test(f))
    .sort()
  const out = []
  for (const file of files) {
    const text = fs.readFileSync(path.join(MIGRATIONS_DIR, file), "utf8")
    const start = text.search(/async\s+up\s*\(/)
    if (start < 0) throw new Error(`${file}: no up()`)
    const end = text.slice(start).search(/async\s+down\s*\(/)
    const body = (end < 0 ? text.slice(start) : text.slice(start, start + end))
      .split("\n")
      .filter((l) => !/^\s*\/\//.test(l))
      .join("\n")
    const re = /this\.addSql\(\s*(`(?:[^`\\]|\\.)*`|'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")\s*\)/g
    let m
    let n = 0
    while ((m = re.exec(body))) {
      const lit = m[1]
      if (lit[0] === "`" && lit.includes("${")) throw new Error(`${file}: addSql with an interpolated template is not supported`)
      out.push({ file, sql: lit.slice(1, -1).replace(/\\(.)/g, "$1") })
      n++
    }
    if (!n) throw new Error(`${file}: up() has no this.addSql(...) literal`)
  }
  return { files, statements: out }
}

async function applyMigrations(db, files, statements) {
  const serverVersion = (await db.query("show server_version")).rows[0].server_version
  for (const s of statements) {
    try {
      await db.query(s.sql)
    } catch (e) {
      throw new Error(`${s.file}: ${e.message}\n${s.sql}`)
    }
  }
  log(`applied ${statements.length} statements from ${files.length} migrations (${files.join(", ")}); PostgreSQL ${serverVersion}`)
}

module.exports = { migrationSql, applyMigrations }
