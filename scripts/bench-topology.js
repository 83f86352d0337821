// `npm run bench -- --topology [N]`: N concurrent M-Pesa checkouts (default 100) through
//   (a) one `medusa start` process (MEDUSA_WORKER_MODE=shared, no Redis), and
//   (b) two `server` instances and one `worker` instance on Redis behind a round-robin balancer,
// each on a fresh copy of the demo store, printed side by side; and for each deployment Medusa's
// own ceiling: N carts paid with Medusa's system provider completed at once (no M-Pesa), so the
// M-Pesa throughput reads as a ratio to it. Prints numbers; asserts nothing.
"use strict"
const path = require("path")
const { ensurePostgres, databaseUrl, ROOT } = require("./lib/database")
const topology = require("./lib/topology")

const N = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) || process.env.BENCH_CHECKOUTS || 100)
const REDIS_URL = process.env.MPESA_TOPOLOGY_REDIS_URL || "redis://127.0.0.1:6379/13"
const PHONE = "254708374149"
const CEILING_CONCURRENCY = 10

/** Runs fn over items with at most `size` in flight; results in input order. */
async function pool(items, size, fn) {
  const out = new Array(items.length)
  let next = 0
  await Promise.all(
    [...Array(Math.min(size, items.length))].map(async () => {
      while (next < items.length) {
        const i = next++
        out[i] = await fn(items[i])
      }
    })
  )
  return out
}

require("ts-node").register({ transpileOnly: true, swc: true, project: path.join(ROOT, "tsconfig.json") })
const { startDarajaSimulator } = require(path.join(ROOT, "src", "simulator"))
const { Client } = require("pg")

const log = (m) => console.log(`[bench:topology] ${m}`)
const pct = (xs, p) => {
  if (!xs.length) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]
}
const ms = (x) => (Number.isFinite(x) ? (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(0)} ms`) : "n/a")

async function waitForOrders(pg, cartIds, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const n = Number((await pg.query("SELECT count(DISTINCT cart_id) n FROM order_cart WHERE cart_id = ANY($1) AND deleted_at IS NULL", [cartIds])).rows[0].n)
    if (n >= cartIds.length) return
    await topology.sleep(100)
  }
}

/** One deployment: fresh database, instances, N M-Pesa checkouts, then N system-provider completions. */
async function runDeployment({ label, kind, db, sim }) {
  const dbUrl = databaseUrl(db, `medusa_mpesa_bench_${kind}`)
  const redisUrl = kind === "topology" ? REDIS_URL : undefined
  if (redisUrl) await topology.flushRedis(redisUrl)
  const balancer = await topology.startBalancer({ targets: [] })
  const env = topology.deploymentEnv({
    databaseUrl: dbUrl,
    redisUrl,
    darajaUrl: sim.url,
    callbackBaseUrl: balancer.url,
    extra: { LOG_LEVEL: "warn", MPESA_POLL_INTERVAL_MS: "5000", MPESA_LIMITS_ENABLED: "false" },
  })
  let t = Date.now()
  // The bench's seed: the demo store plus Medusa's system provider, the ceiling's baseline.
  const { publishableKey } = await topology.prepareStore({ databaseUrl: dbUrl, env, seedScript: "./src/scripts/seed-bench.ts" })
  log(`${label}: store migrated and seeded in ${((Date.now() - t) / 1000).toFixed(1)} s`)
  const { freePort } = require("./lib/database")
  const plan = kind === "topology" ? [["server-a", "server"], ["server-b", "server"], ["worker", "worker"]] : [["medusa", "shared"]]
  const instances = []
  t = Date.now()
  for (const [name, mode] of plan) instances.push(topology.startInstance({ name, mode, port: await freePort(), env }))
  const pg = new Client({ connectionString: dbUrl })
  try {
    await Promise.all(instances.map((i) => i.ready()))
    log(`${label}: ${instances.length} instance(s) up in ${((Date.now() - t) / 1000).toFixed(1)} s`)
    balancer.setTargets(instances.filter((i) => i.mode !== "worker").map((i) => i.port))
    await pg.connect()
    const store = topology.storeClient(balancer.url, publishableKey)

    // Warm-up: JIT, pools, the shared token.
    const warm = await store.readyCart()
    await store.pay(warm.collectionId, "pp_mpesa_mpesa", { phone: PHONE })
    await waitForOrders(pg, [warm.cartId], 60_000)

    // M-Pesa: N carts, then N concurrent pushes; the simulator pays each.
    const carts = await Promise.all([...Array(N)].map(() => store.readyCart()))
    const before = sim.stats()
    const started = Date.now()
    const sessions = await Promise.all(carts.map((c) => store.pay(c.collectionId, "pp_mpesa_mpesa", { phone: PHONE })))
    const cartIds = carts.map((c) => c.cartId)
    await waitForOrders(pg, cartIds, 300_000)
    const wallMs = Date.now() - started
    await topology.sleep(2000) // stragglers (late queries, duplicates) land before counting
    const after = sim.stats()
    const calls = Object.fromEntries(Object.keys(after.calls).map((k) => [k, after.calls[k] - before.calls[k]]))
    // Orders still missing after the wait (e.g. a completion rolled back and waiting for its retry) are
    // waited for a little longer, and counted either way.
    await waitForOrders(pg, cartIds, 60_000)
    const orderRows = (await pg.query("SELECT cart_id, count(*) n FROM order_cart WHERE cart_id = ANY($1) AND deleted_at IS NULL GROUP BY cart_id", [cartIds])).rows
    const sessionIds = sessions.map((s) => s.sessionId)
    const timing = (
      await pg.query(
        `SELECT extract(epoch FROM cb.created_at) * 1000 AS cb_at, extract(epoch FROM o.created_at) * 1000 AS order_at
           FROM mpesa_transaction t
           JOIN mpesa_callback cb ON cb.checkout_request_id = t.checkout_request_id AND cb.status = 'applied'
           JOIN payment_session ps ON ps.id = t.payment_session_id
           JOIN cart_payment_collection cpc ON cpc.payment_collection_id = ps.payment_collection_id
           JOIN order_cart oc ON oc.cart_id = cpc.cart_id
           JOIN "order" o ON o.id = oc.order_id
          WHERE t.payment_session_id = ANY($1)`,
        [sessionIds]
      )
    ).rows.map((r) => ({ cb: Number(r.cb_at), order: Number(r.order_at) }))
    const ids = new Set((await pg.query("SELECT checkout_request_id FROM mpesa_transaction WHERE payment_session_id = ANY($1)", [sessionIds])).rows.map((r) => r.checkout_request_id))
    const acks = sim
      .callbacks()
      .filter((c) => ids.has(c.reference) && c.outcome === "delivered")
      .map((c) => new Date(c.finishedAt).getTime() - new Date(c.startedAt).getTime())
    const firstCallback = Math.min(...timing.map((x) => x.cb))
    const lastOrder = Math.max(...timing.map((x) => x.order))

    // Medusa's ceiling: N carts paid with the system provider (authorised at once), completed at once.
    const plain = await Promise.all([...Array(N)].map(() => store.readyCart()))
    await Promise.all(plain.map((c) => store.pay(c.collectionId, "pp_system_default", {})))
    // Ten at a time: all N at once mostly measures lock waits and timeouts, not throughput.
    const c0 = Date.now()
    const completions = await pool(plain, CEILING_CONCURRENCY, (c) => store.complete(c.cartId))
    const ceilingMs = Date.now() - c0
    const ceilingOk = completions.filter((r) => r.status === 200 && r.body.type === "order").length
    const ceilingErrors = completions.filter((r) => !(r.status === 200 && r.body.type === "order"))
    if (ceilingErrors.length) log(`${label}: ceiling: ${ceilingErrors.length} completions failed, e.g. ${ceilingErrors[0].status} ${JSON.stringify(ceilingErrors[0].body).slice(0, 200)}`)

    return {
      label,
      instances: instances.map((i) => `${i.name} ${i.peakRssMb ? `${i.peakRssMb.toFixed(0)} MB` : "n/a"}`).join(", "),
      orders: orderRows.reduce((n, r) => n + Number(r.n), 0),
      duplicates: orderRows.filter((r) => Number(r.n) > 1).length,
      pushPerCheckout: calls.stkPush / N,
      queryPerCheckout: calls.stkQuery / N,
      tokens: after.tokensIssued - before.tokensIssued,
      oauthCalls: calls.oauth,
      ackP50: pct(acks, 50),
      ackP99: pct(acks, 99),
      toOrderP50: pct(timing.map((x) => x.order - x.cb), 50),
      toOrderP99: pct(timing.map((x) => x.order - x.cb), 99),
      wallMs,
      throughput: timing.length / Math.max(0.001, (lastOrder - firstCallback) / 1000),
      ceiling: ceilingOk / Math.max(0.001, ceilingMs / 1000),
      ceilingOk,
    }
  } finally {
    await pg.end().catch(() => {})
    await Promise.all(instances.map((i) => i.stop().catch(() => {})))
    // Each instance's log (warnings and errors) for a post-mortem; .data is ignored by git.
    const dir = path.join(ROOT, ".data", "bench-topology")
    require("fs").mkdirSync(dir, { recursive: true })
    for (const i of instances) require("fs").writeFileSync(path.join(dir, `${kind}-${i.name}.log`), i.lines.join("\n"))
    await balancer.close().catch(() => {})
    if (process.env.BENCH_KEEP_DB !== "1") await topology.dropDatabase(dbUrl).catch(() => {})
    if (redisUrl) await topology.flushRedis(redisUrl).catch(() => {})
  }
}

async function main() {
  if (!(await topology.redisAvailable(REDIS_URL))) throw new Error(`the topology bench needs Redis at ${REDIS_URL} (MPESA_TOPOLOGY_REDIS_URL)`)
  const db = await ensurePostgres({ purpose: "test", log })
  // Every checkout pays from one phone: Daraja's duplicate rules off; callbacks after 200 ms.
  const sim = await startDarajaSimulator({ defaultOutcome: "success", duplicateRules: false, callbackDelayMs: 200 })
  try {
    const only = process.env.BENCH_ONLY // "single" or "topology": one column (for investigating)
    const single = only === "topology" ? null : await runDeployment({ label: "one process", kind: "single", db, sim })
    const split = only === "single" ? null : await runDeployment({ label: "2 servers + 1 worker", kind: "topology", db, sim })
    if (!single || !split) {
      console.log(JSON.stringify(single || split, null, 2))
      return
    }
    const rows = [
      ["orders created / expected", (r) => `${r.orders} / ${N}`],
      ["carts with more than one order", (r) => String(r.duplicates)],
      ["Daraja calls per checkout", (r) => `push ${r.pushPerCheckout.toFixed(2)}, query ${r.queryPerCheckout.toFixed(2)}`],
      ["token requests during the run", (r) => `${r.tokens} issued (${r.oauthCalls} OAuth calls)`],
      ["callback acknowledgement p50 / p99", (r) => `${ms(r.ackP50)} / ${ms(r.ackP99)}`],
      ["callback -> order p50 / p99", (r) => `${ms(r.toOrderP50)} / ${ms(r.toOrderP99)}`],
      ["pushes -> last order", (r) => ms(r.wallMs)],
      ["M-Pesa completion throughput", (r) => `${r.throughput.toFixed(2)} orders/s`],
      [`Medusa ceiling (system provider, ${CEILING_CONCURRENCY} at a time)`, (r) => `${r.ceiling.toFixed(2)} orders/s (${r.ceilingOk}/${N} completed)`],
      ["M-Pesa / ceiling", (r) => `${(r.throughput / r.ceiling).toFixed(2)}x`],
      ["peak memory per instance", (r) => r.instances],
    ]
    const w0 = Math.max(...rows.map(([k]) => k.length)) + 2
    const w1 = Math.max(single.label.length, ...rows.map(([, f]) => f(single).length)) + 3
    console.log("")
    console.log(`M-Pesa checkout benchmark, topology mode: ${N} concurrent checkouts per deployment, simulator on loopback, database: ${db.kind}, Redis ${REDIS_URL}`)
    console.log(`  ${"".padEnd(w0)}${single.label.padEnd(w1)}${split.label}`)
    for (const [k, f] of rows) console.log(`  ${k.padEnd(w0)}${f(single).padEnd(w1)}${f(split)}`)
  } finally {
    await sim.close().catch(() => {})
    await db.stop()
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e)
    process.exit(1)
  }
)
