import { freePort } from "./env"

/**
 * The real `npm run dev` stack (PostgreSQL database, Daraja simulator, migrations, seed, admin
 * user, `medusa develop` with the admin) for end-to-end browser tests, on free ports and a
 * database of its own so it can run beside a developer's `npm run dev`.
 *
 * scripts/dev.js reads its ports and database name from the environment when it is first
 * required, so this sets them and then requires it — once per test file (jest isolates modules
 * per file).
 */
export type DevStack = {
  /** the demo shop (demo-shop/, served by scripts/lib/demo-shop.js) */
  shopUrl: string
  storeUrl: string
  adminUrl: string
  simulatorUrl: string
  publishableKey: string
  env: Record<string, string>
  stop: () => Promise<void>
}

export const ADMIN_EMAIL = "admin@mpesa.local"
export const ADMIN_PASSWORD = "supersecret"

export async function startDevStack({
  database,
  env = {},
}: {
  /** a database name of the test's own, e.g. "mpesa_e2e_admin" (dropped and recreated by nobody: the seed is idempotent) */
  database: string
  /** extra environment for every child (MPESA_* options, MPESA_SETTINGS_KEY…) */
  env?: Record<string, string>
}): Promise<DevStack> {
  const medusaPort = await freePort()
  const simulatorPort = await freePort()
  const shopPort = await freePort()
  Object.assign(process.env, {
    MPESA_SHOP_PORT: String(shopPort),
    PORT: String(medusaPort),
    MPESA_SIMULATOR_PORT: String(simulatorPort),
    MPESA_DEV_DATABASE: database,
    ...env,
  })
  // Under scripts/test.js the database server is the test run's own (DB_* env; with MPESA_EMBEDDED_PG=1 an
  // embedded one private to this worktree): point the stack at it instead of starting a second server.
  if (process.env.DB_HOST) {
    const user = encodeURIComponent(process.env.DB_USERNAME || "postgres")
    const password = process.env.DB_PASSWORD ? `:${encodeURIComponent(process.env.DB_PASSWORD)}` : ""
    process.env.DATABASE_URL = `postgres://${user}${password}@${process.env.DB_HOST}:${process.env.DB_PORT || 5432}/${database}`
    delete process.env.MPESA_EMBEDDED_PG
  }
  // Plain require on purpose: scripts/dev.js is the very code `npm run dev` runs.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const dev = require("../../scripts/dev.js") as {
    createStack: (o: { healthTimeoutMs?: number; onUnexpectedExit?: (s: string, info: unknown) => void }) => {
      start: () => Promise<unknown>
      stop: () => Promise<void>
      publishableKey: string | null
      shopUrl: string | null
      env: Record<string, string>
    }
  }
  const stack = dev.createStack({ healthTimeoutMs: 240_000 })
  await stack.start()
  if (!stack.publishableKey) {
    await stack.stop()
    throw new Error("the demo seed printed no publishable API key")
  }
  return {
    shopUrl: stack.shopUrl ?? `http://localhost:${shopPort}`,
    storeUrl: `http://localhost:${medusaPort}`,
    adminUrl: `http://localhost:${medusaPort}/app`,
    simulatorUrl: `http://127.0.0.1:${simulatorPort}`,
    publishableKey: stack.publishableKey,
    env: stack.env,
    stop: () => stack.stop(),
  }
}
