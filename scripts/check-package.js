#!/usr/bin/env node
/*
 * Checks what `npm publish` would ship, from `npm pack --dry-run --json` (run `npm run build` first):
 *   1. no tests, fixtures, test helpers, demo config or seed script are in the tarball;
 *   2. every entry point in package.json "exports" has its .js and its .d.ts in the tarball
 *      (a wildcard entry is checked on a concrete instance, e.g. modules/mpesa);
 *   3. every relative require()/import in a shipped .js or .d.ts resolves to a shipped file, so an
 *      exclusion in "files" can't strip something the runtime needs;
 *   4. the storefront browser bundles import nothing but React (and each other);
 *   5. the "bin" scripts ship.
 * Prints the file count and sizes; exits 1 with the list of problems otherwise. Plain Node, no deps.
 */
"use strict"

const { spawnSync } = require("child_process")
const fs = require("fs")
const path = require("path")

const root = path.join(__dirname, "..")
const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"))

// What must never ship. Matched against each tarball path (forward slashes, relative to the root).
const FORBIDDEN = [
  [/(^|\/)__tests__\//, "test folder (__tests__)"],
  [/(^|\/)__(fixtures|mocks)__\//, "test fixtures/mocks"],
  [/(^|\/)fixtures?\//, "fixtures"],
  [/\.(spec|test)\.[cm]?[jt]sx?$/, "test file (*.spec.* / *.test.*)"],
  [/(^|\/)integration-tests\//, "integration tests"],
  [/(^|\/)(test-?helpers?|test-?utils?|testing)(\/|\.[cm]?[jt]s$)/, "test helpers"],
  [/(^|\/)jest\.(config|setup)/, "jest config"],
  [/seed/i, "seed script"],
  [/(^|\/)src\/scripts\//, "medusa exec script (src/scripts)"],
  [/(^|\/)medusa-config\./, "demo medusa-config"],
  [/(^|\/)\.env($|\.)/, "env file"],
  [/(^|\/)\.data\//, "local data (.data/)"],
  [/(^|\/)\.snapshot-[^/]*\.json$/, "migration snapshot (dev-only, for plugin:db:generate)"],
  [/\.tsbuildinfo$/, "tsc build info"],
  [/(^|\/)(coverage|bench-results|uploads)\//, "local output"],
]

// Entry points without TypeScript declarations, on purpose.
const NO_TYPES = {
  "./package.json": "not code",
  "./admin": "admin extensions bundle, loaded by Medusa's admin build, not imported from TypeScript",
  "./storefront/styles.css": "a stylesheet",
}

// Concrete instances that wildcard entries must resolve for (any other wildcard needs one match).
const WILDCARD_INSTANCES = {
  "./modules/*": ["mpesa"],
  "./.medusa/server/src/modules/*": ["mpesa"],
  "./providers/*": ["mpesa"],
  "./*": ["simulator/index"], // the simulator's programmatic entry (README: .../simulator/index)
}

function npmPack() {
  const args = ["pack", "--dry-run", "--json", "--ignore-scripts"]
  const execPath = process.env.npm_execpath
  const [cmd, argv] =
    execPath && /npm-cli\.js$/.test(execPath) ? [process.execPath, [execPath, ...args]] : ["npm", args]
  const r = spawnSync(cmd, argv, { cwd: root, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 })
  if (r.status !== 0) {
    console.error(`npm pack --dry-run failed (exit ${r.status}):\n${r.stderr || r.error}`)
    process.exit(1)
  }
  const out = r.stdout
  try {
    return JSON.parse(out.slice(out.indexOf("[")))[0]
  } catch (error) {
    console.error(`could not parse npm pack --json output: ${error.message}\n${out.slice(0, 2000)}`)
    process.exit(1)
  }
}

const kb = (n) => `${(n / 1024).toFixed(1)} kB`

const pack = npmPack()
const files = pack.files.map((f) => f.path.replace(/\\/g, "/"))
const shipped = new Set(files)
const problems = []

if (!files.some((f) => f.startsWith(".medusa/server/"))) {
  console.error("nothing from .medusa/server is in the package: run `npm run build` first")
  process.exit(1)
}

// 1. Forbidden files.
for (const f of files) {
  for (const [re, why] of FORBIDDEN) {
    if (re.test(f)) {
      problems.push(`ships ${f}  (${why})`)
      break
    }
  }
}

// 2. Entry points: .js and .d.ts.
function targets(value, conditions = []) {
  if (typeof value === "string") return [{ conditions, target: value }]
  if (value && typeof value === "object") {
    return Object.entries(value).flatMap(([cond, v]) => targets(v, [...conditions, cond]))
  }
  return []
}
const strip = (p) => p.replace(/^\.\//, "")
const dtsFor = (js) => js.replace(/\.js$/, ".d.ts").replace(/\.mjs$/, ".d.mts").replace(/\.cjs$/, ".d.cts")

const entryReport = []
for (const [key, value] of Object.entries(pkg.exports || {})) {
  const all = targets(value)
  const typed = all.filter((t) => t.conditions.includes("types"))
  const code = all.filter((t) => !t.conditions.includes("types"))
  let instances = [null]
  if (key.includes("*")) {
    instances = WILDCARD_INSTANCES[key]
    if (!instances) {
      // Unknown wildcard: it must match at least one shipped file.
      const [pre, post] = strip(code[0].target).split("*")
      const hit = files.find((f) => f.startsWith(pre) && f.endsWith(post) && f.length >= pre.length + post.length)
      if (!hit) problems.push(`export ${key}: no shipped file matches ${code[0].target}`)
      instances = hit ? [hit.slice(pre.length, hit.length - post.length)] : []
    }
  }
  for (const inst of instances) {
    const sub = (p) => strip(inst === null ? p : p.split("*").join(inst))
    const name = inst === null ? key : `${key} (as ${key.replace("*", inst)})`
    for (const t of code) {
      if (!shipped.has(sub(t.target))) problems.push(`export ${name}: missing ${sub(t.target)}`)
    }
    if (key in NO_TYPES) {
      entryReport.push(`  ${name}: ${sub(code[0].target)}${typed.length ? " + types" : `, no types (${NO_TYPES[key]})`}`)
      continue
    }
    const dts = typed.length ? typed.map((t) => sub(t.target)) : code.map((t) => dtsFor(sub(t.target)))
    for (const d of new Set(dts)) {
      if (!shipped.has(d)) {
        problems.push(`export ${name}: missing declarations ${d}${typed.length ? "" : ' (and no "types" condition)'}`)
      }
    }
    if (!typed.length) problems.push(`export ${name}: no "types" condition`)
    entryReport.push(`  ${name}: ${sub(code[0].target)} + ${dts[0]}`)
  }
}

// 3. Relative imports of shipped code resolve to shipped files.
const REQUIRE_RE = /\brequire\(\s*["'](\.{1,2}\/[^"']*)["']\s*\)/g
const IMPORT_RE = /\b(?:from\s+|import\s*\(\s*|import\s+)["'](\.{1,2}\/[^"']*)["']/g
function resolves(fromFile, spec, exts) {
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(fromFile), spec))
  const candidates = [base, ...exts.map((e) => base + e), ...exts.map((e) => `${base}/index${e}`)]
  return candidates.some((c) => shipped.has(c))
}
for (const f of files) {
  const isDts = /\.d\.[cm]?ts$/.test(f)
  const isJs = /\.[cm]?js$/.test(f)
  if (!isDts && !isJs) continue
  let text
  try {
    text = fs.readFileSync(path.join(root, f), "utf8")
  } catch {
    continue
  }
  text = text.replace(/\/\/# sourceMappingURL=.*$/gm, "")
  const exts = isDts ? [".d.ts", ".js", ".json"] : [".js", ".json", ".mjs", ".cjs", ".node"]
  for (const re of isDts ? [IMPORT_RE] : [REQUIRE_RE, IMPORT_RE]) {
    for (const m of text.matchAll(re)) {
      if (!resolves(f, m[1], exts)) problems.push(`${f} imports ${m[1]}, which does not ship`)
    }
  }
}

// 4. Browser bundles of the storefront import nothing but React and each other (no server code).
for (const f of files.filter((f) => f.startsWith(".medusa/server/storefront/") && /\.[cm]js$/.test(f))) {
  const text = fs.readFileSync(path.join(root, f), "utf8")
  const specs = [...text.matchAll(/\b(?:from|import|require\()\s*["']([^"']+)["']/g)].map((m) => m[1])
  for (const spec of specs) {
    if (!/^(react|react\/jsx-runtime|\.\/index\.[cm]js)$/.test(spec)) problems.push(`${f} imports ${spec} (a storefront bundle may import only react)`)
  }
}

// 5. bin scripts.
const bins = typeof pkg.bin === "string" ? { [pkg.name]: pkg.bin } : pkg.bin || {}
for (const [name, p] of Object.entries(bins)) {
  if (!shipped.has(strip(p))) problems.push(`bin ${name}: missing ${strip(p)}`)
}

// 5. The admin bundle (what a store's admin build loads through "./admin") registers the settings
//    pages and both widgets, and keeps React, the router, React Query and the JS SDK external: a
//    second copy inside the bundle would break their contexts in the merchant's admin.
const ADMIN_ROUTES = ["/settings/mpesa", "/settings/mpesa-transactions"]
const ADMIN_WIDGETS = [["mpesa-order-payment", "order.details"], ["mpesa-region-status", "region.details"]]
const MUST_STAY_EXTERNAL = ["react", "react-dom", "react-router-dom", "@tanstack/react-query", "@medusajs/js-sdk", "@medusajs/ui"]
for (const bundle of [".medusa/server/src/admin/index.mjs", ".medusa/server/src/admin/index.js"]) {
  if (!shipped.has(bundle)) {
    problems.push(`admin bundle ${bundle} does not ship`)
    continue
  }
  const text = fs.readFileSync(path.join(root, bundle), "utf8")
  for (const route of ADMIN_ROUTES) {
    if (!text.includes(`path: "${route}"`)) problems.push(`${bundle}: no admin route ${route}`)
  }
  for (const [id, zone] of ADMIN_WIDGETS) {
    if (!new RegExp(`zone:\\s*\\[\\s*"${zone.replace(".", "\\.")}"`).test(text)) problems.push(`${bundle}: no widget in zone ${zone}`)
    if (!text.includes(`id: "${id}"`)) problems.push(`${bundle}: no widget with id ${id}`)
  }
  const imported = new Set(
    [...text.matchAll(/(?:from\s+|require\()["']([^"']+)["']/g)].map((m) => m[1].replace(/\/.*$/, (rest) => (m[1].startsWith("@") ? rest.split("/").slice(0, 2).join("/") : "")))
  )
  for (const dep of MUST_STAY_EXTERNAL.filter((d) => d !== "react-dom")) {
    if (![...imported].some((i) => i === dep || i.startsWith(`${dep}/`))) problems.push(`${bundle}: does not import ${dep} (bundled, or unused?)`)
  }
  // Tell-tale strings of bundled copies.
  for (const [marker, what] of [
    ["__SECRET_INTERNALS_DO_NOT_USE_OR_YOU_WILL_BE_FIRED", "React"],
    ["useInRouterContext", "react-router"],
    ["QueryClientContext", "React Query"],
    ["class Client", "the JS SDK"],
  ]) {
    if (text.includes(marker)) problems.push(`${bundle}: contains a bundled copy of ${what}`)
  }
  entryReport.push(`  admin bundle ${bundle}: ${kb(Buffer.byteLength(text))}, routes ${ADMIN_ROUTES.join(", ")}, widgets ${ADMIN_WIDGETS.map((w) => w[0]).join(", ")}`)
}

// Report.
const groups = {}
for (const f of files) {
  const dir = f.includes("/") ? f.split("/").slice(0, f.startsWith(".medusa/server/src/") ? 4 : 1).join("/") : "(root)"
  const g = (groups[dir] ||= { js: 0, dts: 0, other: 0 })
  if (/\.d\.[cm]?ts$/.test(f)) g.dts++
  else if (/\.[cm]?js$/.test(f)) g.js++
  else g.other++
}
console.log(`${pack.name}@${pack.version}: ${pack.entryCount} files, unpacked ${kb(pack.unpackedSize)}, tarball ${kb(pack.size)}`)
for (const [dir, g] of Object.entries(groups).sort()) {
  const parts = [g.js && `${g.js} js`, g.dts && `${g.dts} d.ts`, g.other && `${g.other} other`].filter(Boolean)
  console.log(`  ${dir}: ${parts.join(", ")}`)
}
console.log("entry points:")
console.log(entryReport.join("\n"))

if (problems.length) {
  console.error(`\npackage check FAILED (${problems.length} problem${problems.length === 1 ? "" : "s"}):`)
  for (const p of problems) console.error(`  - ${p}`)
  process.exit(1)
}
console.log("package check passed")
