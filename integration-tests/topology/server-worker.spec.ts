/**
 * Production topology: two `server` instances and one `worker` instance (`medusa start` with
 * MEDUSA_WORKER_MODE) on one PostgreSQL database and one Redis, behind a round-robin balancer,
 * with the Daraja simulator sending every callback twice (so the copies land on both servers).
 *
 * Needs the machine's PostgreSQL and Redis. Redis database 13 (MPESA_TOPOLOGY_REDIS_URL to
 * change it) is flushed at the start.
 */
import fs from "fs"
import path from "path"
import { Client } from "pg"
import { startDarajaSimulator, type DarajaSimulator } from "../../src/simulator"

// eslint-disable-next-line @typescript-eslint/no-var-requires
const topology = require("../../scripts/lib/topology.js")
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { freePort } = require("../../scripts/lib/database.js")

jest.setTimeout(300_000)

type Instance = {
  name: string
  mode: string
  port: number
  url: string
  lines: string[]
  running: boolean
  ready: () => Promise<void>
  kill: () => Promise<unknown>
  stop: () => Promise<unknown>
}
type Ack = { method: string; path: string; target: number; status: number }

const REDIS_URL = process.env.MPESA_TOPOLOGY_REDIS_URL || "redis://127.0.0.1:6379/13"
const dbUser = process.env.DB_USERNAME || "postgres"
const dbAuth = process.env.DB_PASSWORD ? `${dbUser}:${encodeURIComponent(process.env.DB_PASSWORD)}` : dbUser
const DATABASE_URL = `postgres://${dbAuth}@${process.env.DB_HOST || "localhost"}:${process.env.DB_PORT || 5432}/mpesa_topology_${process.pid}`
const LIMITED_PHONE = "254711999999"

describe("server and worker instances on one PostgreSQL and one Redis", () => {
  let sim: DarajaSimulator
  let balancer: { url: string; setTargets: (ports: number[]) => void; close: () => Promise<void> }
  let env: Record<string, string>
  let pg: Client
  let store: ReturnType<typeof topology.storeClient>
  let publishableKey: string
  const acks: Ack[] = []
  const instances: Record<string, Instance> = {}
  const everyInstance: Instance[] = []
  let onAck: (a: Ack) => void = () => {}
  let phoneSeq = 0

  const nextPhone = () => `2547110${String(++phoneSeq).padStart(5, "0")}`

  async function start(name: string, mode: "server" | "worker", port?: number): Promise<Instance> {
    const instance: Instance = topology.startInstance({ name, mode, port: port ?? (await freePort()), env })
    instances[name] = instance
    everyInstance.push(instance)
    await instance.ready()
    return instance
  }

  /** Orders per cart, read from Medusa's own tables. */
  async function ordersPerCart(cartIds: string[]): Promise<Map<string, number>> {
    const { rows } = await pg.query(
      "SELECT cart_id, count(*)::int n FROM order_cart WHERE cart_id = ANY($1) AND deleted_at IS NULL GROUP BY cart_id",
      [cartIds]
    )
    return new Map(rows.map((r) => [r.cart_id as string, r.n as number]))
  }

  async function waitForOrders(cartIds: string[], timeoutMs: number): Promise<Map<string, number>> {
    const deadline = Date.now() + timeoutMs
    let orders = await ordersPerCart(cartIds)
    while (orders.size < cartIds.length && Date.now() < deadline) {
      await topology.sleep(500)
      orders = await ordersPerCart(cartIds)
    }
    await topology.sleep(3000) // anything that would double an order has landed by now
    return ordersPerCart(cartIds)
  }

  /** Paid carts: each cart's push paid, with its callback acknowledged by a server. */
  async function checkouts(n: number) {
    const carts = await Promise.all([...Array(n)].map(() => store.readyCart()))
    const sessions = await Promise.all(carts.map((c: { collectionId: string }) => store.pay(c.collectionId, "pp_mpesa_mpesa", { phone: nextPhone() })))
    for (const s of sessions) expect(s.status).toBe(200)
    return { cartIds: carts.map((c: { cartId: string }) => c.cartId), sessionIds: sessions.map((s: { sessionId: string }) => s.sessionId) }
  }

  const callbackAcks = () => acks.filter((a) => a.path.startsWith("/hooks/lipa/stk/") && a.status === 200)

  beforeAll(async () => {
    if (!(await topology.redisAvailable(REDIS_URL))) throw new Error(`Redis is not answering at ${REDIS_URL}`)
    await topology.flushRedis(REDIS_URL)
    // Every phone pays; Daraja's duplicate rules are off because many carts pay the same amount.
    // Strict: each new token invalidates the previous one, so an instance fetching its own token
    // would make another's calls fail with 404.001.03 (and show up as extra tokens).
    sim = await startDarajaSimulator({ defaultOutcome: "success", duplicateRules: false, strict: true, callbackDelayMs: 300 })
    sim.setFaults({ duplicateCallbacks: true })
    balancer = await topology.startBalancer({
      targets: [],
      onResponse: (a: Ack) => {
        acks.push(a)
        onAck(a)
      },
    })
    env = topology.deploymentEnv({
      databaseUrl: DATABASE_URL,
      redisUrl: REDIS_URL,
      darajaUrl: sim.url,
      callbackBaseUrl: balancer.url,
      extra: {
        MPESA_POLL_INTERVAL_MS: "2000",
        MPESA_LIMIT_CLIENT_MAX: "0", // every test request comes from 127.0.0.1
        MPESA_LIMIT_PHONE_MAX: "3",
      },
    })
    ;({ publishableKey } = await topology.prepareStore({ databaseUrl: DATABASE_URL, env }))
    await Promise.all([start("server-a", "server"), start("server-b", "server"), start("worker", "worker")])
    balancer.setTargets([instances["server-a"].port, instances["server-b"].port])
    store = topology.storeClient(balancer.url, publishableKey)
    pg = new Client({ connectionString: DATABASE_URL })
    await pg.connect()
  })

  afterAll(async () => {
    await pg?.end().catch(() => {})
    await Promise.all(everyInstance.map((i) => i.stop().catch(() => {})))
    // Each instance's log, for a failure's post-mortem (ignored folder, not committed).
    const dir = path.resolve(__dirname, "../../.data/topology")
    fs.mkdirSync(dir, { recursive: true })
    everyInstance.forEach((i, n) => fs.writeFileSync(path.join(dir, `${n + 1}-${i.name}.log`), i.lines.join("\n")))
    await balancer?.close().catch(() => {})
    await sim?.close().catch(() => {})
    await topology.dropDatabase(DATABASE_URL).catch(() => {})
    await topology.flushRedis(REDIS_URL).catch(() => {})
  })

  it("completes every paid cart exactly once while callbacks arrive twice, on both servers, and subscribers and jobs run only on the worker", async () => {
    const before = sim.stats()
    const n = 16
    const { cartIds } = await checkouts(n)
    const orders = await waitForOrders(cartIds, 120_000)

    expect(orders.size).toBe(n)
    expect([...orders.values()].every((count) => count === 1)).toBe(true)
    // Both servers acknowledged callbacks; every callback was persisted and applied or marked a duplicate.
    const targets = new Set(callbackAcks().map((a) => a.target))
    expect(targets).toEqual(new Set([instances["server-a"].port, instances["server-b"].port]))
    const { rows } = await pg.query("SELECT status, count(*)::int n FROM mpesa_callback GROUP BY status")
    const byStatus = Object.fromEntries(rows.map((r) => [r.status, r.n]))
    expect(byStatus).toEqual({ applied: n, duplicate: n })
    // One token for the whole run (none fetched per instance, none refused with 404.001.03), one push
    // per checkout, and about one confirming query: the polling job never queried a row twice. (The two
    // copies of a callback can, rarely, be confirmed at the same moment by the worker's event handler
    // and its reconcile sweep, each with a query; without the Redis event bus every copy costs one: 2n.)
    const after = sim.stats()
    expect(after.tokensIssued - before.tokensIssued).toBeLessThanOrEqual(1)
    expect(after.calls.stkPush - before.calls.stkPush).toBe(n)
    expect(after.calls.stkQuery - before.calls.stkQuery).toBeLessThanOrEqual(n + n / 4)
    // Server instances load no subscribers and no jobs; the callback events they queued reached the
    // worker through Redis (with Medusa's local event bus they would never leave the server, and only
    // the reconcile job's sweep of stored callbacks would make the orders).
    for (const name of ["server-a", "server-b"]) {
      const log = instances[name].lines.join("\n")
      expect(log).not.toMatch(/M-Pesa reconcile|mpesa-reconcile/)
      expect(log).not.toMatch(/Processing mpesa\.callback\.received/)
    }
    const delivered = instances["worker"].lines.filter((l) => /Processing mpesa\.callback\.received \(priority: \d+\) which has 1 subscribers/.test(l))
    expect(delivered.length).toBeGreaterThan(0)
  })

  it("holds the per-phone prompt limit across server instances", async () => {
    const answers: number[] = []
    for (let i = 0; i < 4; i++) {
      const cart = await store.readyCart()
      // Alternately straight to server A and server B: each sees only part of the traffic.
      const server = topology.storeClient(instances[i % 2 ? "server-b" : "server-a"].url, publishableKey)
      const r = await server.pay(cart.collectionId, "pp_mpesa_mpesa", { phone: LIMITED_PHONE }, { allow: [429] })
      answers.push(r.status)
    }
    expect(answers).toEqual([200, 200, 200, 429])
  })

  it("loses nothing acknowledged when the worker is killed (SIGKILL) in the middle of a burst and restarted", async () => {
    const n = 10
    const killed = new Promise<void>((resolve) => {
      let seen = 0
      onAck = (a) => {
        if (a.path.startsWith("/hooks/lipa/stk/") && a.status === 200 && ++seen === Math.ceil(n / 2)) {
          onAck = () => {}
          void instances["worker"].kill().then(() => resolve())
        }
      }
    })
    const ackedBefore = callbackAcks().length
    const { cartIds } = await checkouts(n)
    await killed
    expect(instances["worker"].running).toBe(false)
    const port = instances["worker"].port
    await topology.sleep(2000) // callbacks keep arriving at the servers while no worker runs
    await start("worker", "worker", port)
    const orders = await waitForOrders(cartIds, 150_000)

    expect(callbackAcks().length - ackedBefore).toBeGreaterThanOrEqual(n)
    expect(orders.size).toBe(n)
    expect([...orders.values()].every((count) => count === 1)).toBe(true)
  })

  it("loses nothing when a server instance is killed right after acknowledging a callback", async () => {
    const n = 6
    const victim = instances["server-a"]
    const killed = new Promise<void>((resolve) => {
      onAck = (a) => {
        if (a.path.startsWith("/hooks/lipa/stk/") && a.status === 200 && a.target === victim.port) {
          onAck = () => {}
          void victim.kill().then(() => resolve())
        }
      }
    })
    // Callbacks only after every push has been answered: the kill must not cut a shopper's request.
    sim.setFaults({ duplicateCallbacks: true, callbackDelayMs: 4000 })
    const { cartIds } = await checkouts(n)
    await killed
    sim.setFaults({ duplicateCallbacks: true, callbackDelayMs: null })
    expect(victim.running).toBe(false)
    // The balancer skips the dead server; callbacks and the shopper's polling go to the other.
    const orders = await waitForOrders(cartIds, 150_000)
    expect(orders.size).toBe(n)
    expect([...orders.values()].every((count) => count === 1)).toBe(true)
    await start("server-a", "server", victim.port)
  })
})
