// The environment every child of the dev stack gets: .env files, the demo defaults, secrets
// generated once, and the simulator's certificate. Kept apart so it can be read (and reasoned
// about) without the process handling around it.
"use strict"
const crypto = require("crypto")
const fs = require("fs")
const path = require("path")
const { ROOT } = require("./database")
const { SIMULATOR_PORT, MEDUSA_PORT, SHOP_PORT, SECRETS_FILE } = require("./dev-config")
const { useColor } = require("./dev-output")

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

module.exports = { parseEnvText, readDotEnv, loadDevSecrets, simulatorCertificate, buildEnv, draftOrderWorkaround }
