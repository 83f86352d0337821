#!/usr/bin/env node
/**
 * The mpesa module's one public face (issue 15): code outside
 * src/modules/mpesa may import the module's index (MPESA_MODULE, the service
 * interface, DTOs, helpers) and its `types` folder (browser code that must not
 * pull server code), never a file inside it. Prints each offending import and
 * exits 1; `findViolations()` is used by the unit test of the same rule.
 */
const fs = require("fs")
const path = require("path")

const ROOT = path.join(__dirname, "..")
const MODULE_DIR = path.join(ROOT, "src", "modules", "mpesa")
const ALLOWED = new Set([MODULE_DIR, path.join(MODULE_DIR, "types")])
// White-box tests that drive one internal part directly, named one by one so
// the list cannot grow unnoticed: the prompt-limits spec runs two limiters on
// two connection pools against the server's own table.
const WHITE_BOX_TESTS = new Set(["integration-tests/http/mpesa-prompt-limits.spec.ts"])
const SCANNED = ["src", "integration-tests", "scripts", "medusa-config.ts"]
const SKIPPED_DIRS = new Set(["node_modules", ".medusa", ".data", "dist", "build"])
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|\bjest\.mock\s*\(\s*|^\s*import\s+)["'`]([^"'`]+)["'`]/gm

function sourceFiles(p) {
  if (!fs.existsSync(p)) return []
  const stat = fs.statSync(p)
  if (stat.isFile()) return /\.(c|m)?[jt]sx?$/.test(p) ? [p] : []
  if (p === MODULE_DIR) return []
  return fs.readdirSync(p).flatMap((name) => (SKIPPED_DIRS.has(name) ? [] : sourceFiles(path.join(p, name))))
}

/** Where an import lands, without its extension or a trailing /index. */
function target(file, spec) {
  if (!spec.startsWith(".")) return null
  return path.resolve(path.dirname(file), spec).replace(/\.(c|m)?[jt]sx?$/, "").replace(/[\\/]index$/, "")
}

function findViolations() {
  const found = []
  for (const root of SCANNED) {
    for (const file of sourceFiles(path.join(ROOT, root))) {
      const text = fs.readFileSync(file, "utf8")
      for (const m of text.matchAll(IMPORT)) {
        const to = target(file, m[1])
        if (!to || !(to === MODULE_DIR || to.startsWith(MODULE_DIR + path.sep))) continue
        if (ALLOWED.has(to) || WHITE_BOX_TESTS.has(path.relative(ROOT, file).split(path.sep).join("/"))) continue
        const line = text.slice(0, m.index).split("\n").length
        found.push(`${path.relative(ROOT, file)}:${line} imports ${m[1]}`)
      }
    }
  }
  return found
}

module.exports = { findViolations }

if (require.main === module) {
  const violations = findViolations()
  if (violations.length) {
    console.error(`Code outside src/modules/mpesa imports the module's internals (use its index, src/modules/mpesa):\n  ${violations.join("\n  ")}`)
    process.exit(1)
  }
  console.log("module boundary: nothing outside src/modules/mpesa imports its internals")
}
