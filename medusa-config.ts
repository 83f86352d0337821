import { defineConfig, loadEnv } from "@medusajs/framework/utils"
import { mpesaOptionsFromEnv } from "./src/modules/mpesa"

loadEnv(process.env.NODE_ENV || "development", process.cwd())

// One options object for the module (state, Daraja calls) and the provider
// (validated at boot). Every field has an MPESA_* environment variable; see
// the README's configuration reference.
const mpesaOptions = mpesaOptionsFromEnv()

/**
 * Medusa's Redis modules, as its deployment guide registers them, when REDIS_URL is set: the
 * event bus (events reach the worker instances), the workflow engine (workflows and scheduled
 * jobs coordinated across instances), locking, and caching. Without REDIS_URL Medusa's
 * single-process defaults stay (local event bus, in-memory workflow engine and locking), which is
 * what `npm run dev` and `npm test` use.
 */
function redisModules(redisUrl: string | undefined) {
  if (!redisUrl) return []
  return [
    {
      resolve: "@medusajs/medusa/event-bus-redis",
      options: {
        redisUrl,
        // Events a worker process handles at once. BullMQ's default, 1, is kept: 10 measured no faster
        // (cart completion is CPU-bound), and two copies of one duplicated callback handled at the same
        // moment each spend a confirming STK Push Query. Every subscriber of ours is idempotent, so a
        // higher value is safe where a slow Daraja answer must not hold up other payments.
        workerOptions: { concurrency: Number(process.env.MEDUSA_EVENT_WORKER_CONCURRENCY || 1) },
        // Keep finished jobs briefly for inspection instead of forever.
        jobOptions: { removeOnComplete: { age: 3600, count: 1000 }, removeOnFail: { age: 3600, count: 1000 } },
      },
    },
    { resolve: "@medusajs/medusa/workflow-engine-redis", options: { redis: { redisUrl } } },
    {
      resolve: "@medusajs/medusa/locking",
      options: {
        providers: [{ resolve: "@medusajs/medusa/locking-redis", id: "locking-redis", is_default: true, options: { redisUrl } }],
      },
    },
    {
      resolve: "@medusajs/medusa/caching",
      options: {
        providers: [{ resolve: "@medusajs/medusa/caching-redis", id: "caching-redis", is_default: true, options: { redisUrl } }],
      },
    },
  ]
}

module.exports = defineConfig({
  projectConfig: {
    databaseUrl: process.env.DATABASE_URL,
    redisUrl: process.env.REDIS_URL || undefined,
    workerMode: (process.env.MEDUSA_WORKER_MODE as "shared" | "worker" | "server" | undefined) || "shared",
    http: {
      storeCors: process.env.STORE_CORS || "http://localhost:8000",
      adminCors: process.env.ADMIN_CORS || "http://localhost:9000",
      authCors: process.env.AUTH_CORS || "http://localhost:9000,http://localhost:8000",
      jwtSecret: process.env.JWT_SECRET || "supersecret",
      cookieSecret: process.env.COOKIE_SECRET || "supersecret",
    },
  },
  admin: {
    disable: process.env.MEDUSA_ADMIN_DISABLED === "true",
  },
  modules: [
    ...redisModules(process.env.REDIS_URL || undefined),
    { resolve: "./src/modules/mpesa", options: mpesaOptions },
    {
      resolve: "@medusajs/medusa/payment",
      // The provider runs inside the payment module's container; declaring the
      // dependency makes the `mpesa` module resolvable from it.
      dependencies: ["mpesa"],
      options: {
        providers: [{ resolve: "./src/providers/mpesa", id: "mpesa", options: mpesaOptions }],
      },
    },
  ],
})

