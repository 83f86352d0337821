export interface CachedToken {
  accessToken: string
  /** epoch ms at which Daraja stops accepting the token */
  expiresAt: number
}

/**
 * Where access tokens live. Pluggable because Daraja invalidates the previous token whenever a new one is
 * generated: a Medusa server and worker with separate in-memory caches would keep knocking each other's token
 * out. A shared implementation (e.g. Redis) lets every process use one token.
 */
export interface TokenCache {
  get(key: string): Promise<CachedToken | null>
  set(key: string, token: CachedToken): Promise<void>
  /** remove the token only if it is still `accessToken` (another process may already have refreshed) */
  invalidate(key: string, accessToken: string): Promise<void>
  /** optional cross-process mutual exclusion around a refresh; when absent the client only single-flights in-process */
  withRefreshLock?<T>(key: string, fn: () => Promise<T>): Promise<T>
}

/** Per-process cache; enough for a single process or tests. */
export class InMemoryTokenCache implements TokenCache {
  readonly #tokens = new Map<string, CachedToken>()

  async get(key: string): Promise<CachedToken | null> {
    const token = this.#tokens.get(key)
    return token ? { ...token } : null
  }

  async set(key: string, token: CachedToken): Promise<void> {
    this.#tokens.set(key, { ...token })
  }

  async invalidate(key: string, accessToken: string): Promise<void> {
    if (this.#tokens.get(key)?.accessToken === accessToken) this.#tokens.delete(key)
  }
}
