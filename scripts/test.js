// `npm test`: unit tests, then module and HTTP integration tests against a
// real PostgreSQL (the machine's, or an embedded one when none answers), and
// one closing line "tests: N passed, N failed".
"use strict"
const { spawn } = require("child_process")
const fs = require("fs")
const path = require("path")
const { ensurePostgres, ROOT } = require("./lib/database")

const SUITES = [
  { type: "unit", label: "unit" },
  { type: "integration:modules", label: "module integration" },
  { type: "integration:http", label: "HTTP integration" },
  { type: "e2e", label: "browser end-to-end" },
  { type: "topology", label: "server/worker topology" },
]

/** spawn, resolved with { status } when the child exits (spawnSync's shape, without blocking). */
function run(command, args, options) {
  return new Promise((resolve) => {
    const child = spawn(command, args, options)
    child.once("error", () => resolve({ status: 1 }))
    child.once("exit", (code, signal) => resolve({ status: code ?? (signal ? 1 : 0) }))
  })
}

const TOPOLOGY_REDIS_URL = process.env.MPESA_TOPOLOGY_REDIS_URL || "redis://127.0.0.1:6379/13"
function redisAvailable() {
  return require("./lib/topology").redisAvailable(TOPOLOGY_REDIS_URL)
}

function chromiumPath() {
  const candidate = process.env.CHROMIUM_PATH || "/usr/bin/chromium"
  return fs.existsSync(candidate) ? candidate : null
}

async function main() {
  // `node scripts/test.js [suite types…] [-- jest args…]`, e.g. `integration:modules -- -t ledger`.
  const argv = process.argv.slice(2)
  const dashDash = argv.indexOf("--")
  const only = dashDash === -1 ? argv : argv.slice(0, dashDash)
  const jestArgs = dashDash === -1 ? [] : argv.slice(dashDash + 1)
  const suites = only.length ? SUITES.filter((s) => only.includes(s.type)) : SUITES
  const needsDb = suites.some((s) => s.type !== "unit")
  const db = needsDb ? await ensurePostgres({ purpose: "test" }) : null
  const stop = async () => db && (await db.stop())
  process.on("SIGINT", () => stop().finally(() => process.exit(130)))
  process.on("SIGTERM", () => stop().finally(() => process.exit(143)))

  const outDir = path.join(ROOT, ".data")
  fs.mkdirSync(outDir, { recursive: true })
  let passed = 0
  let failed = 0
  let broken = false
  const failures = []
  const skipped = []
  const started = Date.now()
  try {
    for (const suite of suites) {
      if (suite.type === "e2e" && !only.includes("e2e") && !process.env.CI && !chromiumPath()) {
        // A developer without Chromium still gets the rest of the suite; CI (CI=true) never skips.
        skipped.push(`${suite.label}: Chromium not found (apt-get install chromium, or set CHROMIUM_PATH)`)
        console.log(`\n=== ${suite.label} tests: SKIPPED, Chromium not found ===`)
        continue
      }
      if (suite.type === "topology" && !only.includes("topology") && !process.env.CI && !(await redisAvailable())) {
        // The multi-instance suite needs Redis by definition; single-process tests never do.
        skipped.push(`${suite.label}: no Redis at ${TOPOLOGY_REDIS_URL}`)
        console.log(`\n=== ${suite.label} tests: SKIPPED, no Redis at ${TOPOLOGY_REDIS_URL} ===`)
        continue
      }
      const out = path.join(outDir, `jest-${suite.type.replace(":", "-")}.json`)
      fs.rmSync(out, { force: true })
      const t0 = Date.now()
      console.log(`\n=== ${suite.label} tests ===`)
      // Asynchronous on purpose: an embedded PostgreSQL started by this process writes its log to
      // a pipe this process must keep reading. With spawnSync the event loop stops, the pipe fills,
      // and the server's checkpointer blocks on its next log line — DROP DATABASE then waits for
      // that checkpoint forever and the suite hangs.
      const result = await run(
        process.execPath,
        [require.resolve("jest/bin/jest"), "--runInBand", "--forceExit", "--passWithNoTests", "--json", `--outputFile=${out}`, ...jestArgs],
        {
          cwd: ROOT,
          stdio: "inherit",
          env: {
            ...process.env,
            TEST_TYPE: suite.type,
            NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --experimental-vm-modules`.trim(),
            ...(db ? { DB_HOST: db.host, DB_PORT: String(db.port), DB_USERNAME: db.user, DB_PASSWORD: db.password } : {}),
          },
        }
      )
      let report = null
      try {
        report = JSON.parse(fs.readFileSync(out, "utf8"))
      } catch {
        report = null
      }
      const p = report?.numPassedTests ?? 0
      const f = report?.numFailedTests ?? 0
      passed += p
      failed += f
      for (const file of report?.testResults ?? []) {
        for (const t of file.assertionResults ?? []) {
          if (t.status === "failed") failures.push(`${suite.label}: ${path.relative(ROOT, file.name)} › ${t.fullName}`)
        }
        if (file.status === "failed" && !(file.assertionResults ?? []).some((t) => t.status === "failed")) {
          failures.push(`${suite.label}: ${path.relative(ROOT, file.name)} failed to run: ${String(file.message ?? "").split("\n").slice(0, 3).join(" ")}`)
        }
      }
      if (result.status !== 0 && f === 0) {
        broken = true // a suite failed to run (syntax error, DB down…): never report green
        failed += Math.max(1, report?.numFailedTestSuites ?? 1)
      }
      console.log(`${suite.label}: ${p} passed, ${f} failed (${((Date.now() - t0) / 1000).toFixed(1)} s)`)
    }
  } finally {
    await stop()
  }
  console.log(`\nwall time ${((Date.now() - started) / 1000).toFixed(1)} s${db ? ` (database: ${db.kind})` : ""}${broken ? " — a suite failed to run" : ""}`)
  // Repeated at the very end so a log tail (all CI keeps) names what failed.
  for (const line of failures) console.log(`FAILED ${line}`)
  for (const line of skipped) console.log(`SKIPPED ${line}`)
  console.log(`tests: ${passed} passed, ${failed} failed`)
  process.exit(failed > 0 ? 1 : 0)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
