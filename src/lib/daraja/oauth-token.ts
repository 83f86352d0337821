import { createHash } from "node:crypto"
import { DARAJA_PATHS } from "./constants"
import type { DarajaLogger } from "./logger"
import { parseResponse } from "./parse"
import { oauthTokenResponseSchema } from "./schemas"
import type { CachedToken, TokenCache } from "./token-cache"
import type { DarajaTransport } from "./transport"

/**
 * Gets Daraja access tokens (client-credentials grant) and keeps them in the TokenCache until
 * `expiresAt - refreshMarginMs`. Concurrent callers in this process share one in-flight refresh; a cache with
 * `withRefreshLock` extends that across processes. This matters because every new token Daraja issues
 * invalidates the previous one.
 */
export class AccessTokenProvider {
  readonly #transport: DarajaTransport
  readonly #cache: TokenCache
  readonly #cacheKey: string
  // The Basic credential is computed once and kept in a private field so it never shows up in util.inspect().
  readonly #basicAuth: string
  readonly #secrets: readonly string[]
  readonly #refreshMarginMs: number
  readonly #now: () => Date
  readonly #logger: DarajaLogger
  readonly #runWithRetry: <T>(fn: () => Promise<T>) => Promise<T>
  #inFlight: Promise<string> | null = null

  constructor(options: {
    transport: DarajaTransport
    baseUrl: string
    consumerKey: string
    consumerSecret: string
    cache: TokenCache
    refreshMarginMs: number
    now: () => Date
    logger: DarajaLogger
    runWithRetry: <T>(fn: () => Promise<T>) => Promise<T>
  }) {
    this.#transport = options.transport
    this.#cache = options.cache
    this.#basicAuth = Buffer.from(`${options.consumerKey}:${options.consumerSecret}`, "utf8").toString("base64")
    this.#secrets = [options.consumerSecret, this.#basicAuth]
    this.#cacheKey = tokenCacheKey(options.baseUrl, options.consumerKey)
    this.#refreshMarginMs = options.refreshMarginMs
    this.#now = options.now
    this.#logger = options.logger
    this.#runWithRetry = options.runWithRetry
  }

  /** Values to redact from anything Daraja sends back on any call made with these credentials. */
  get secrets(): readonly string[] {
    return this.#secrets
  }

  async get(): Promise<string> {
    const cached = await this.#freshFromCache()
    if (cached) return cached
    // Checked after the await on purpose: concurrent callers that all missed the cache converge here.
    if (!this.#inFlight) {
      this.#inFlight = this.#refresh().finally(() => {
        this.#inFlight = null
      })
    }
    return this.#inFlight
  }

  /** Drop `accessToken` after Daraja rejected it (404.001.03), unless someone already replaced it. */
  async invalidate(accessToken: string): Promise<void> {
    try {
      await this.#cache.invalidate(this.#cacheKey, accessToken)
    } catch (err) {
      this.#logger.warn("daraja token cache invalidate failed", describeCacheError(err))
    }
  }

  // Cache failures (e.g. Redis down) degrade to fetching tokens directly instead of failing payments.
  async #freshFromCache(): Promise<string | null> {
    let token: CachedToken | null
    try {
      token = await this.#cache.get(this.#cacheKey)
    } catch (err) {
      this.#logger.warn("daraja token cache read failed; fetching a token directly", describeCacheError(err))
      return null
    }
    if (!token) return null
    return this.#now().getTime() < token.expiresAt - this.#refreshMarginMs ? token.accessToken : null
  }

  async #refresh(): Promise<string> {
    const refresh = async (): Promise<string> => {
      // Another process may have refreshed while we waited for the lock (or since our cache miss).
      const cached = await this.#freshFromCache()
      if (cached) return cached
      return this.#runWithRetry(() => this.#fetch())
    }
    const lock = this.#cache.withRefreshLock?.bind(this.#cache)
    if (!lock) return refresh()

    // Errors of our own refresh propagate; a failing lock (before or after running it) only costs the
    // cross-process guarantee, so the refresh still happens.
    let outcome: { ok: true; token: string } | { ok: false; error: unknown } | undefined
    try {
      await lock(this.#cacheKey, async () => {
        try {
          outcome = { ok: true, token: await refresh() }
        } catch (error) {
          outcome = { ok: false, error }
        }
      })
    } catch (err) {
      if (!outcome) this.#logger.warn("daraja token refresh lock failed; refreshing without it", describeCacheError(err))
    }
    const settled = outcome ?? { ok: true as const, token: await refresh() }
    if (settled.ok) return settled.token
    throw settled.error
  }

  async #fetch(): Promise<string> {
    const endpoint = DARAJA_PATHS.oauth
    const { data } = await this.#transport.send({
      method: "GET",
      endpoint,
      query: { grant_type: "client_credentials" },
      authorization: `Basic ${this.#basicAuth}`,
      secrets: this.#secrets,
    })
    const body = parseResponse(oauthTokenResponseSchema, data, endpoint)
    const expiresAt = this.#now().getTime() + body.expires_in * 1000
    try {
      await this.#cache.set(this.#cacheKey, { accessToken: body.access_token, expiresAt })
    } catch (err) {
      this.#logger.warn("daraja token cache write failed; token used for this call only", describeCacheError(err))
    }
    this.#logger.info("daraja access token refreshed", { expiresInSeconds: body.expires_in })
    return body.access_token
  }
}

/**
 * One token per Daraja app and environment. The consumer key is hashed so a shared cache (Redis) does not list
 * credentials in its key space.
 */
export function tokenCacheKey(baseUrl: string, consumerKey: string): string {
  const digest = createHash("sha256").update(`${baseUrl}\n${consumerKey}`).digest("hex").slice(0, 32)
  return `daraja:access-token:${digest}`
}

/**
 * Only the error's class and code are logged: cache client messages can include connection strings with
 * passwords (redis://:secret@host).
 */
function describeCacheError(err: unknown): Record<string, unknown> {
  const code = typeof err === "object" && err !== null ? (err as { code?: unknown }).code : undefined
  return {
    error: err instanceof Error ? err.name : typeof err,
    ...(typeof code === "string" && /^[A-Z0-9_]{2,40}$/.test(code) ? { code } : {}),
  }
}
