// `npm run bench`: N concurrent full M-Pesa checkouts against a real Medusa
// server and the Daraja simulator, all on loopback. Prints numbers; asserts
// nothing (correctness lives in the tests). Usage: npm run bench -- [N] [--plans] [--topology]
// --topology: N (default 100) checkouts through 2 server instances + 1 worker on Redis, side by
// side with one process, and Medusa's own cart-completion ceiling (scripts/bench-topology.js).
// --plans (or BENCH_PLANS=1): afterwards, the query-plan step
// (scripts/bench-query-plans.js, also `npm run bench:plans`), which fails the
// run if a job or callback query seq-scans the history or takes over 2 ms.
//
// Measures:
//   - Daraja calls per completed checkout, by endpoint
//   - payment-session creation latency with M-Pesa vs Medusa's own system
//     provider on the same server: the difference is the time the plugin adds
//     (the simulator answers on loopback with no added latency)
//   - callback received -> order created latency (ledger/callback rows vs order rows)
//   - callback acknowledgement latency as Daraja (the simulator) sees it
//   - orders created vs expected, duplicate orders, process memory
//   - refunds through Daraja Reversal from the admin API (one at a time and at once): latency of
//     POST /admin/payments/:id/refund until Medusa recorded it, reversals sent per refund
"use strict"
if (process.argv.includes("--topology")) {
  // Two server instances and one worker on Redis, side by side with one process: bench-topology.js.
  require("./bench-topology")
  return
}
const { spawn } = require("child_process")
const path = require("path")
const crypto = require("crypto")
const { ensurePostgres, databaseUrl, freePort, ROOT } = require("./lib/database")

const N = Number(process.argv.slice(2).find((a) => !a.startsWith("--")) || process.env.BENCH_CHECKOUTS || 50)
const PLANS = process.argv.includes("--plans") || process.env.BENCH_PLANS === "1"
const DB_NAME = "medusa_mpesa_bench"
const SUCCESS_PHONE = "0708374149"

require("ts-node").register({ transpileOnly: true, swc: true, project: path.join(ROOT, "tsconfig.json") })
const { startDarajaSimulator } = require(path.join(ROOT, "src", "simulator"))
const { Client } = require("pg")

const log = (m) => console.log(`[bench] ${m}`)
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const pct = (xs, p) => {
  if (!xs.length) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]
}
const fmt = (x) => (Number.isFinite(x) ? `${x.toFixed(1)} ms` : "n/a")

function run(cmd, args, env, { quiet = true } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: quiet ? ["ignore", "pipe", "pipe"] : "inherit" })
    let out = ""
    child.stdout?.on("data", (d) => (out += d))
    child.stderr?.on("data", (d) => (out += d))
    child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(" ")} exited ${code}\n${out.slice(-3000)}`))))
  })
}

async function waitForHealth(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/health`)
      if (res.ok) return
    } catch {}
    await sleep(500)
  }
  throw new Error(`Medusa did not answer ${url}/health within ${timeoutMs / 1000} s`)
}

async function main() {
  const db = await ensurePostgres({ purpose: "test", log })
  const admin = new Client({ connectionString: databaseUrl(db, "postgres") })
  await admin.connect()
  await admin.query(`drop database if exists ${DB_NAME}`)
  await admin.query(`create database ${DB_NAME}`)
  await admin.end()

  // Every bench cart pays the same total from the same phone: Daraja's duplicate rules (lock, result 17) off.
  const sim = await startDarajaSimulator({ callbackDelayMs: 200, duplicateRules: false })
  const port = await freePort()
  const baseUrl = `http://localhost:${port}`
  const env = {
    ...process.env,
    NODE_ENV: "development",
    DATABASE_URL: databaseUrl(db, DB_NAME),
    PORT: String(port),
    MEDUSA_ADMIN_DISABLED: "true",
    LOG_LEVEL: "error",
    MPESA_ENVIRONMENT: "sandbox",
    MPESA_BASE_URL: sim.url,
    MPESA_CONSUMER_KEY: "simulator-consumer-key",
    MPESA_CONSUMER_SECRET: "simulator-consumer-secret",
    MPESA_SHORTCODE: "174379",
    MPESA_PASSKEY: "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919",
    MPESA_CALLBACK_BASE_URL: baseUrl,
    MPESA_CALLBACK_SECRET: crypto.randomBytes(24).toString("base64url"),
    MPESA_POLL_INTERVAL_MS: "5000",
    // 50 checkouts from one phone and one address: the abuse limits would (rightly) refuse them.
    MPESA_LIMITS_ENABLED: "false",
    // Refunds: the simulator's key pair stands in for Safaricom's certificate.
    MPESA_INITIATOR_NAME: "testapi",
    MPESA_INITIATOR_PASSWORD: crypto.randomBytes(12).toString("base64url"),
    MPESA_CERTIFICATE_PEM: sim.publicKeyPem,
  }
  const medusaBin = path.join(ROOT, "node_modules", ".bin", "medusa")
  let server
  // `medusa develop` runs the server as a grandchild and does not stop it on
  // SIGTERM, so the whole process group is signalled.
  const killGroup = (sig) => {
    try {
      process.kill(-server.pid, sig)
    } catch {}
  }
  const cleanup = async () => {
    if (server && server.exitCode === null) {
      killGroup("SIGTERM")
      await Promise.race([new Promise((r) => server.once("exit", r)), sleep(8000)])
    }
    if (server) {
      await sleep(500)
      killGroup("SIGKILL")
    }
    await sim.close().catch(() => {})
    await db.stop()
  }
  process.on("SIGINT", () => cleanup().finally(() => process.exit(130)))

  try {
    let t = Date.now()
    await run(medusaBin, ["db:migrate"], env)
    await run(medusaBin, ["exec", "./src/scripts/seed-bench.ts"], env) // the demo store + the system provider (baseline)
    const adminEmail = "bench-admin@example.co.ke"
    const adminPassword = crypto.randomBytes(12).toString("base64url")
    await run(medusaBin, ["user", "-e", adminEmail, "-p", adminPassword], env)
    log(`database migrated and seeded in ${((Date.now() - t) / 1000).toFixed(1)} s`)

    t = Date.now()
    server = spawn(medusaBin, ["develop"], { cwd: ROOT, env, stdio: ["ignore", "ignore", "inherit"], detached: true })
    await waitForHealth(baseUrl, 180_000)
    log(`Medusa answered /health after ${((Date.now() - t) / 1000).toFixed(1)} s`)

    const pg = new Client({ connectionString: env.DATABASE_URL })
    await pg.connect()
    const key = (await pg.query("select token from api_key where title = 'Demo storefront' and revoked_at is null limit 1")).rows[0].token
    const h = { "content-type": "application/json", "x-publishable-api-key": key }
    const api = async (method, url, body) => {
      const res = await fetch(`${baseUrl}${url}`, { method, headers: h, body: body ? JSON.stringify(body) : undefined })
      const json = await res.json().catch(() => ({}))
      if (!res.ok) throw new Error(`${method} ${url} -> ${res.status} ${JSON.stringify(json)}`)
      return json
    }
    const { regions } = await api("GET", "/store/regions")
    const region = regions.find((r) => r.currency_code === "kes")
    const { products } = await api("GET", "/store/products?handle=kikoy-beach-towel&fields=*variants")
    const variantId = products[0].variants[0].id

    async function readyCart() {
      const { cart } = await api("POST", "/store/carts", {
        region_id: region.id,
        email: "bench@example.co.ke",
        items: [{ variant_id: variantId, quantity: 1 }],
        shipping_address: { first_name: "B", last_name: "Ench", address_1: "Kimathi St", city: "Nairobi", country_code: "ke" },
      })
      const { shipping_options } = await api("GET", `/store/shipping-options?cart_id=${cart.id}`)
      await api("POST", `/store/carts/${cart.id}/shipping-methods`, { option_id: shipping_options[0].id })
      const { payment_collection } = await api("POST", "/store/payment-collections", { cart_id: cart.id })
      return { cartId: cart.id, collectionId: payment_collection.id }
    }
    async function waitForOrders(cartIds, timeoutMs) {
      const deadline = Date.now() + timeoutMs
      while (Date.now() < deadline) {
        const n = Number((await pg.query("select count(distinct cart_id) n from order_cart where cart_id = any($1) and deleted_at is null", [cartIds])).rows[0].n)
        if (n >= cartIds.length) return
        await sleep(100)
      }
    }
    async function callbackToOrderMs(sessionIds) {
      const { rows } = await pg.query(
        `select extract(epoch from (o.created_at - cb.created_at)) * 1000 ms
           from mpesa_transaction t
           join mpesa_callback cb on cb.checkout_request_id = t.checkout_request_id and cb.status = 'applied'
           join payment_session ps on ps.id = t.payment_session_id
           join cart_payment_collection cpc on cpc.payment_collection_id = ps.payment_collection_id
           join order_cart oc on oc.cart_id = cpc.cart_id
           join "order" o on o.id = oc.order_id
          where t.payment_session_id = any($1)`,
        [sessionIds]
      )
      return rows.map((r) => Number(r.ms))
    }
    async function ackMs(sessionIds) {
      const { rows } = await pg.query("select checkout_request_id from mpesa_transaction where payment_session_id = any($1)", [sessionIds])
      const ids = new Set(rows.map((r) => r.checkout_request_id))
      return sim
        .callbacks()
        .filter((c) => ids.has(c.reference) && c.outcome === "delivered")
        .map((c) => new Date(c.finishedAt).getTime() - new Date(c.startedAt).getTime())
    }
    async function timedSession(collectionId, providerId, data) {
      const t0 = process.hrtime.bigint()
      const res = await api("POST", `/store/payment-collections/${collectionId}/payment-sessions`, { provider_id: providerId, data })
      const ms = Number(process.hrtime.bigint() - t0) / 1e6
      return { ms, sessionId: res.payment_collection.payment_sessions[0].id }
    }

    // Warm-up (JIT, token, connection pools), then the baseline with Medusa's own provider.
    const warm = await readyCart()
    await timedSession(warm.collectionId, "pp_system_default", {})
    const baseline = []
    for (const c of await Promise.all([...Array(N)].map(() => readyCart()))) {
      baseline.push(c)
    }
    const baselineMs = (await Promise.all(baseline.map((c) => timedSession(c.collectionId, "pp_system_default", {})))).map((r) => r.ms)
    // Uncontended: one checkout at a time, each provider, to isolate the plugin's own cost.
    const SEQ = 10
    const seqSystem = []
    const seqMpesa = []
    for (let i = 0; i < SEQ; i++) {
      const a = await readyCart()
      seqSystem.push((await timedSession(a.collectionId, "pp_system_default", {})).ms)
      const b = await readyCart()
      const r = await timedSession(b.collectionId, "pp_mpesa_mpesa", { phone: SUCCESS_PHONE })
      seqMpesa.push(r)
      await waitForOrders([b.cartId], 30_000) // truly one at a time, completion included
    }

    // The run: N carts, then N concurrent M-Pesa sessions; the simulator approves each.
    // Stats are diffed, not reset: resetting the simulator would invalidate the shared token.
    const carts = await Promise.all([...Array(N)].map(() => readyCart()))
    const before = sim.stats().calls
    const started = Date.now()
    const sessions = await Promise.all(carts.map((c) => timedSession(c.collectionId, "pp_mpesa_mpesa", { phone: SUCCESS_PHONE })))
    const mpesaMs = sessions.map((s) => s.ms)
    const cartIds = carts.map((c) => c.cartId)
    await waitForOrders(cartIds, 120_000)
    const wallMs = Date.now() - started
    await sleep(1500) // let stragglers (duplicates, late queries) land before counting
    const after = sim.stats().calls

    const orders = (await pg.query("select cart_id, count(*) n from order_cart where cart_id = any($1) and deleted_at is null group by cart_id", [cartIds])).rows
    const duplicates = orders.filter((r) => Number(r.n) > 1).length
    const totalOrders = orders.reduce((n, r) => n + Number(r.n), 0)
    const latency = await callbackToOrderMs(sessions.map((x) => x.sessionId))
    const seqLatency = await callbackToOrderMs(seqMpesa.map((x) => x.sessionId))
    const acks = await ackMs(sessions.map((x) => x.sessionId))
    const seqAcks = await ackMs(seqMpesa.map((x) => x.sessionId))
    const calls = Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - before[k]]))
    const completed = Math.max(1, orders.length)

    // Refunds from the admin API: Medusa's refund route -> our provider -> Daraja Reversal -> the
    // simulator's Result callback -> the ledger -> back to Medusa, which records the refund.
    const login = await fetch(`${baseUrl}/auth/user/emailpass`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: adminEmail, password: adminPassword }),
    }).then((r) => r.json())
    const adminHeaders = { "content-type": "application/json", authorization: `Bearer ${login.token}` }
    const paymentsFor = async (sessionIds) =>
      (await pg.query("select id, amount from payment where payment_session_id = any($1) and deleted_at is null", [sessionIds])).rows
    async function timedRefund(payment) {
      const t0 = process.hrtime.bigint()
      const res = await fetch(`${baseUrl}/admin/payments/${payment.id}/refund`, {
        method: "POST",
        headers: adminHeaders,
        body: JSON.stringify({ amount: Number(payment.amount) }),
      })
      await res.text()
      return { ms: Number(process.hrtime.bigint() - t0) / 1e6, ok: res.ok }
    }
    const R = Math.min(N, 20)
    const seqPayments = await paymentsFor(seqMpesa.map((x) => x.sessionId))
    const beforeRefunds = sim.stats().calls
    const seqRefunds = []
    for (const p of seqPayments) seqRefunds.push(await timedRefund(p))
    const burstPayments = (await paymentsFor(sessions.map((x) => x.sessionId))).slice(0, R)
    const burstRefunds = await Promise.all(burstPayments.map(timedRefund))
    const refundCalls = sim.stats().calls
    const refunded = [...seqPayments, ...burstPayments].map((p) => p.id)
    const recorded = Number((await pg.query("select count(*) n from refund where payment_id = any($1) and deleted_at is null", [refunded])).rows[0].n)
    const allRefunds = [...seqRefunds, ...burstRefunds]
    await pg.end()

    const seqMs = seqMpesa.map((x) => x.ms)
    console.log("")
    console.log(`M-Pesa checkout benchmark: ${N} concurrent checkouts (+${SEQ} one at a time), simulator on loopback, database: ${db.kind}`)
    console.log(`  orders created / expected      ${totalOrders} / ${N}   (carts with >1 order: ${duplicates})`)
    console.log(`  wall time, pushes -> last order ${(wallMs / 1000).toFixed(1)} s`)
    console.log(`  Daraja calls per checkout      stkPush ${(calls.stkPush / completed).toFixed(2)}, stkQuery ${(calls.stkQuery / completed).toFixed(2)}, oauth ${(calls.oauth / completed).toFixed(2)} (oauth calls in the run: ${calls.oauth})`)
    console.log(`  plugin time added to the push  one at a time: p50 ${fmt(pct(seqMs, 50) - pct(seqSystem, 50))}  p99 ${fmt(pct(seqMs, 99) - pct(seqSystem, 99))}   (M-Pesa session p50 ${fmt(pct(seqMs, 50))} vs Medusa system provider ${fmt(pct(seqSystem, 50))})`)
    console.log(`                                 ${N} at once:    p50 ${fmt(pct(mpesaMs, 50) - pct(baselineMs, 50))}  p99 ${fmt(pct(mpesaMs, 99) - pct(baselineMs, 99))}   (M-Pesa p50 ${fmt(pct(mpesaMs, 50))} vs system ${fmt(pct(baselineMs, 50))})`)
    console.log(`  callback -> order created      one at a time: p50 ${fmt(pct(seqLatency, 50))}  p99 ${fmt(pct(seqLatency, 99))}   ${N} at once: p50 ${fmt(pct(latency, 50))}  p99 ${fmt(pct(latency, 99))}`)
    console.log(`  callback acknowledgement       one at a time: p50 ${fmt(pct(seqAcks, 50))}  p99 ${fmt(pct(seqAcks, 99))}   ${N} at once: p50 ${fmt(pct(acks, 50))}  p99 ${fmt(pct(acks, 99))}`)
    const seqRefundMs = seqRefunds.map((r) => r.ms)
    const burstRefundMs = burstRefunds.map((r) => r.ms)
    console.log(`  refunds (Daraja Reversal)      recorded by Medusa / asked ${recorded} / ${allRefunds.length} (answered 200: ${allRefunds.filter((r) => r.ok).length}); reversals sent ${refundCalls.reversal - beforeRefunds.reversal}, transaction status ${refundCalls.transactionStatus - beforeRefunds.transactionStatus}`)
    console.log(`  refund request -> recorded     one at a time: p50 ${fmt(pct(seqRefundMs, 50))}  p99 ${fmt(pct(seqRefundMs, 99))}   ${burstRefunds.length} at once: p50 ${fmt(pct(burstRefundMs, 50))}  p99 ${fmt(pct(burstRefundMs, 99))}   (the simulator answers 200 ms after each request)`)
  } finally {
    await cleanup()
  }
}

main()
  .then(() => PLANS && run(process.execPath, [path.join(__dirname, "bench-query-plans.js")], process.env, { quiet: false }))
  .then(
    () => process.exit(0),
    (e) => {
      console.error(e)
      process.exit(1)
    }
  )
