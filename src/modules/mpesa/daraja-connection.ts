import type { Logger } from "@medusajs/framework/types"
import { createHash } from "crypto"
import { DarajaClient, DARAJA_BASE_URLS } from "../../lib/daraja"
import type { MpesaOptions } from "./options"
import { DatabaseTokenCache } from "./stores/token-store"
import type { Knex } from "./types"

/**
 * The module's Daraja client for one effective configuration: Medusa's
 * logger, the token shared by every process through PostgreSQL (one row per
 * host + consumer key + secret), and one HTTP call per
 * request — the module schedules its own retries and counts each status
 * query against the push's budget.
 */
export function createDarajaConnection(options: MpesaOptions, db: () => Knex, logger: Logger): DarajaClient {
  const baseUrl = options.baseUrl ?? DARAJA_BASE_URLS[options.environment]
  const cacheKey = tokenRowKey(options)
  return new DarajaClient({
    baseUrl,
    consumerKey: options.consumerKey,
    consumerSecret: options.consumerSecret,
    timeoutMs: options.requestTimeoutMs,
    retry: { attempts: 1 },
    // Daraja's logger passes structured meta (safe fields only: endpoint,
    // status, masked phone, ids); Medusa's logger takes one line.
    logger: {
      debug: (msg, meta) => logger.debug(withMeta(msg, meta)),
      info: (msg, meta) => logger.debug(withMeta(msg, meta)),
      warn: (msg, meta) => logger.warn(withMeta(msg, meta)),
      error: (msg, meta) => logger.error(withMeta(msg, meta)),
    },
    tokenCache: new DatabaseTokenCache(db, cacheKey),
  })
}

/**
 * The shared token's row: one per Daraja host *and* credentials, so after the
 * merchant changes the environment, key or secret, a token fetched with the
 * old ones is never used (a hash: the secret itself is not stored).
 */
export function tokenRowKey(options: Pick<MpesaOptions, "baseUrl" | "environment" | "consumerKey" | "consumerSecret">): string {
  const baseUrl = options.baseUrl ?? DARAJA_BASE_URLS[options.environment]
  return createHash("sha256").update(`${baseUrl}|${options.consumerKey}|${options.consumerSecret}`).digest("hex").slice(0, 32)
}

function withMeta(msg: string, meta?: Record<string, unknown>): string {
  return meta && Object.keys(meta).length ? `M-Pesa: ${msg} ${JSON.stringify(meta)}` : `M-Pesa: ${msg}`
}
