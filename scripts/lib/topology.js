// A production-shaped deployment on one machine: Medusa `server` and `worker` instances
// (`medusa start` with MEDUSA_WORKER_MODE) sharing one PostgreSQL database and one Redis, with
// a round-robin HTTP balancer in front of the servers. Used by the topology tests and by
// `npm run bench -- --topology`; nothing here is used by the plugin itself.
"use strict"
const { spawn } = require("child_process")
const fs = require("fs")
const http = require("http")
const net = require("net")
const { freePort, ROOT } = require("./database")

const IS_WINDOWS = process.platform === "win32"
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** [node, the Medusa CLI]: no npx, so no npm start-up cost. */
function medusaCli() {
  return [process.execPath, require.resolve("@medusajs/cli/cli.js", { paths: [ROOT] })]
}

/** Sends raw RESP commands to Redis (no client library needed): e.g. flushRedis("redis://127.0.0.1:6379/7"). */
function redisCommands(redisUrl, commands, timeoutMs = 3000) {
  const u = new URL(redisUrl)
  const db = Number(u.pathname.replace(/^\//, "") || 0)
  const all = [["SELECT", String(db)], ...commands]
  const wire = all.map((args) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`).join("")
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: u.hostname, port: Number(u.port || 6379) })
    let out = ""
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`Redis at ${u.host} did not answer within ${timeoutMs} ms`))
    }, timeoutMs)
    socket.on("error", (e) => {
      clearTimeout(timer)
      reject(e)
    })
    socket.on("data", (d) => {
      out += d.toString("utf8")
      // One reply line per command (SELECT, FLUSHDB, PING… all answer on one line).
      if (out.split("\r\n").filter(Boolean).length >= all.length) {
        clearTimeout(timer)
        socket.end()
        resolve(out.split("\r\n").filter(Boolean))
      }
    })
    socket.write(wire)
  })
}

async function redisAvailable(redisUrl) {
  try {
    const replies = await redisCommands(redisUrl, [["PING"]], 1000)
    return replies.includes("+PONG")
  } catch {
    return false
  }
}

function flushRedis(redisUrl) {
  return redisCommands(redisUrl, [["FLUSHDB"]])
}

/** Peak resident memory of a process (Linux VmHWM), in MB; null where /proc is not available. */
function peakRssMb(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8")
    const m = status.match(/VmHWM:\s+(\d+)\s+kB/)
    return m ? Number(m[1]) / 1024 : null
  } catch {
    return null
  }
}

async function waitForHealth(url, { timeoutMs = 120_000, shouldAbort = () => null } = {}) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const reason = shouldAbort()
    if (reason) throw new Error(reason)
    try {
      const res = await fetch(`${url}/health`)
      if (res.ok) return
    } catch {}
    await sleep(250)
  }
  throw new Error(`${url}/health did not answer within ${timeoutMs / 1000} s`)
}

/**
 * One `medusa start` instance. mode: "server" | "worker" | "shared". The worker also listens on
 * its port (Medusa's /health), which is how we know it is up.
 */
function startInstance({ name, mode, port, env, onLine = () => {} }) {
  const [node, cli] = medusaCli()
  const child = spawn(node, [cli, "start"], {
    cwd: ROOT,
    env: { ...env, PORT: String(port), MEDUSA_WORKER_MODE: mode },
    stdio: ["ignore", "pipe", "pipe"],
    detached: !IS_WINDOWS,
  })
  const lines = []
  let peak = 0
  const sample = setInterval(() => {
    const mb = peakRssMb(child.pid)
    if (mb) peak = Math.max(peak, mb)
  }, 500)
  for (const stream of [child.stdout, child.stderr]) {
    let buf = ""
    stream.on("data", (d) => {
      buf += d.toString("utf8")
      let i
      while ((i = buf.indexOf("\n")) !== -1) {
        const line = buf.slice(0, i)
        buf = buf.slice(i + 1)
        if (lines.length > 5000) lines.shift()
        lines.push(line)
        onLine(line)
      }
    })
  }
  let exit = null
  const exited = new Promise((resolve) =>
    child.once("exit", (code, signal) => {
      clearInterval(sample)
      exit = { code, signal }
      resolve(exit)
    })
  )
  const instance = {
    name,
    mode,
    port,
    url: `http://127.0.0.1:${port}`,
    pid: child.pid,
    lines,
    exited,
    get running() {
      return exit === null
    },
    /** Peak RSS seen while it ran (MB): the process's own VmHWM, sampled every 0.5 s. */
    get peakRssMb() {
      const now = exit === null ? peakRssMb(child.pid) : null
      return Math.max(peak, now || 0) || null
    },
    ready: () =>
      waitForHealth(`http://127.0.0.1:${port}`, {
        shouldAbort: () => (exit ? `${name} exited (${exit.signal || `code ${exit.code}`}):\n${lines.slice(-30).join("\n")}` : null),
      }),
    /** SIGKILL: the process dies mid-work, as in a crash or an OOM kill. */
    kill: async () => {
      if (exit) return exit
      signalGroup(child, "SIGKILL")
      return exited
    },
    stop: async () => {
      if (exit) return exit
      signalGroup(child, "SIGTERM")
      const t = setTimeout(() => signalGroup(child, "SIGKILL"), 10_000)
      const r = await exited
      clearTimeout(t)
      return r
    },
  }
  return instance
}

function signalGroup(child, signal) {
  try {
    if (!IS_WINDOWS) process.kill(-child.pid, signal)
    else child.kill(signal)
  } catch {
    try {
      child.kill(signal)
    } catch {}
  }
}

/**
 * A round-robin HTTP balancer in front of the server instances, like the load balancer of a
 * real deployment. `onResponse(info)` sees every proxied answer (path, target, status) as it
 * completes; a target that refuses the connection is skipped for the next one.
 */
async function startBalancer({ targets, onResponse = () => {} }) {
  let next = 0
  const state = { targets: [...targets] }
  const server = http.createServer((req, res) => {
    const chunks = []
    req.on("data", (c) => chunks.push(c))
    req.on("end", () => forward(req, res, Buffer.concat(chunks), state.targets.length))
  })
  function forward(req, res, body, attemptsLeft) {
    if (!state.targets.length || attemptsLeft <= 0) {
      res.writeHead(502).end("no upstream")
      return
    }
    const target = state.targets[next++ % state.targets.length]
    const upstream = http.request(
      { host: "127.0.0.1", port: target, method: req.method, path: req.url, headers: { ...req.headers, host: `127.0.0.1:${target}` } },
      (up) => {
        const out = []
        up.on("data", (c) => out.push(c))
        up.on("end", () => {
          res.writeHead(up.statusCode || 502, up.headers)
          res.end(Buffer.concat(out))
          onResponse({ method: req.method, path: req.url, target, status: up.statusCode })
        })
      }
    )
    upstream.on("error", () => forward(req, res, body, attemptsLeft - 1))
    upstream.end(body)
  }
  const port = await freePort()
  await new Promise((r) => server.listen(port, "127.0.0.1", r))
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    setTargets: (ports) => (state.targets = [...ports]),
    close: () => new Promise((r) => server.close(() => r())),
  }
}

/** The store API as a storefront uses it, against any base URL. */
function storeClient(baseUrl, publishableKey) {
  const headers = { "content-type": "application/json", "x-publishable-api-key": publishableKey }
  const call = async (method, url, body, { allow = [] } = {}) => {
    const res = await fetch(`${baseUrl}${url}`, { method, headers, body: body ? JSON.stringify(body) : undefined })
    const json = await res.json().catch(() => ({}))
    if (!res.ok && !allow.includes(res.status)) throw new Error(`${method} ${url} -> ${res.status} ${JSON.stringify(json).slice(0, 300)}`)
    return { status: res.status, body: json }
  }
  let cached = null
  const catalogue = async () => {
    if (cached) return cached
    const { body: r } = await call("GET", "/store/regions")
    const region = r.regions.find((x) => x.currency_code === "kes")
    const { body: p } = await call("GET", "/store/products?handle=kikoy-beach-towel&fields=*variants")
    cached = { regionId: region.id, variantId: p.products[0].variants[0].id }
    return cached
  }
  return {
    call,
    /** A cart with the towel, a Nairobi address and shipping, and its payment collection. */
    async readyCart({ email = `shopper-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@example.co.ke` } = {}) {
      // One email per cart: Medusa creates a guest customer per new email, and concurrent carts with
      // the same new email race on that insert ("Customer with email … already exists").
      const { regionId, variantId } = await catalogue()
      const { body: c } = await call("POST", "/store/carts", {
        region_id: regionId,
        email,
        items: [{ variant_id: variantId, quantity: 1 }],
        shipping_address: { first_name: "Achieng", last_name: "Otieno", address_1: "Kimathi St", city: "Nairobi", country_code: "ke", phone: "0712345678" },
      })
      const { body: so } = await call("GET", `/store/shipping-options?cart_id=${c.cart.id}`)
      await call("POST", `/store/carts/${c.cart.id}/shipping-methods`, { option_id: so.shipping_options[0].id })
      const { body: pc } = await call("POST", "/store/payment-collections", { cart_id: c.cart.id })
      return { cartId: c.cart.id, collectionId: pc.payment_collection.id }
    },
    /** Creates the payment session (for M-Pesa: sends the STK Push). */
    async pay(collectionId, providerId, data = {}, opts = {}) {
      const t0 = process.hrtime.bigint()
      const r = await call("POST", `/store/payment-collections/${collectionId}/payment-sessions`, { provider_id: providerId, data }, opts)
      const ms = Number(process.hrtime.bigint() - t0) / 1e6
      const session = r.body.payment_collection?.payment_sessions?.[0]
      return { status: r.status, body: r.body, ms, sessionId: session?.id }
    },
    complete: (cartId) => call("POST", `/store/carts/${cartId}/complete`, {}, { allow: [400, 409, 500] }),
  }
}

module.exports = {
  flushRedis,
  medusaCli,
  peakRssMb,
  redisAvailable,
  redisCommands,
  sleep,
  startBalancer,
  startInstance,
  storeClient,
  waitForHealth,
}

/**
 * A fresh store database for a topology run: dropped if it exists, created, migrated and seeded
 * with the demo store (scripts/dev.js's own steps). Returns the URL and the publishable key.
 */
async function prepareStore({ databaseUrl, env, seedScript = null }) {
  const dev = require("../dev")
  const { Client } = require("pg")
  const u = new URL(databaseUrl)
  const name = decodeURIComponent(u.pathname.slice(1))
  const admin = new URL(databaseUrl)
  admin.pathname = "/postgres"
  const pg = new Client({ connectionString: admin.toString() })
  await pg.connect()
  try {
    await pg.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
    await pg.query(`CREATE DATABASE "${name}"`)
  } finally {
    await pg.end()
  }
  const withDb = { ...env, DATABASE_URL: databaseUrl }
  await dev.migrate(withDb)
  let publishableKey
  if (seedScript) {
    // e.g. the bench's seed (the demo store plus the system provider as a baseline)
    await dev.runMedusa("seed", ["exec", seedScript], { env: withDb })
    publishableKey = await dev.readPublishableKey(databaseUrl)
  } else {
    ;({ publishableKey } = await dev.seed(withDb, databaseUrl))
  }
  if (!publishableKey) throw new Error("the demo seed printed no publishable API key")
  return { publishableKey }
}

async function dropDatabase(databaseUrl) {
  const { Client } = require("pg")
  const u = new URL(databaseUrl)
  const name = decodeURIComponent(u.pathname.slice(1))
  u.pathname = "/postgres"
  const pg = new Client({ connectionString: u.toString() })
  await pg.connect()
  try {
    await pg.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
  } finally {
    await pg.end()
  }
}

/** The environment every instance of one deployment shares (the server/worker split is added per instance). */
function deploymentEnv({ databaseUrl, redisUrl, darajaUrl, callbackBaseUrl, extra = {} }) {
  const base = { ...process.env }
  // Nothing of the test runner's own configuration leaks into the instances.
  for (const k of Object.keys(base)) if (/^(MPESA_|MEDUSA_|JEST_|DB_)/.test(k)) delete base[k]
  return {
    ...base,
    NODE_ENV: "production",
    LOG_LEVEL: "info",
    DATABASE_URL: databaseUrl,
    ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
    MEDUSA_ADMIN_DISABLED: "true",
    MEDUSA_DISABLE_TELEMETRY: "true",
    JWT_SECRET: "topology-jwt-secret",
    COOKIE_SECRET: "topology-cookie-secret",
    MPESA_ENVIRONMENT: "sandbox",
    MPESA_BASE_URL: darajaUrl,
    MPESA_CONSUMER_KEY: "simulator-consumer-key",
    MPESA_CONSUMER_SECRET: "simulator-consumer-secret",
    MPESA_SHORTCODE: "174379",
    MPESA_PASSKEY: "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919",
    MPESA_TRANSACTION_TYPE: "paybill",
    MPESA_CALLBACK_BASE_URL: callbackBaseUrl,
    MPESA_CALLBACK_SECRET: "topology-callback-secret-0123456789abcdef",
    ...extra,
  }
}

module.exports.prepareStore = prepareStore
module.exports.dropDatabase = dropDatabase
module.exports.deploymentEnv = deploymentEnv
