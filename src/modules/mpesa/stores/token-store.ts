import type { CachedToken, TokenCache } from "../../../lib/daraja"
import type { Knex } from "../types"

/**
 * The Daraja client's TokenCache, kept in PostgreSQL so that every process of
 * a deployment (server, worker) shares one token; refreshes are serialised
 * across processes with a transaction-scoped advisory lock. The row is keyed
 * by `rowKey` (base URL + consumer key), whatever key the client passes, so
 * one Daraja app always maps to one row.
 */
export class DatabaseTokenCache implements TokenCache {
  constructor(
    private readonly db: () => Knex,
    private readonly rowKey: string
  ) {}

  async get(): Promise<CachedToken | null> {
    const row = (await this.db()("mpesa_access_token").where({ id: this.rowKey }).whereNull("deleted_at").first()) as
      | { access_token: string; expires_at: Date }
      | undefined
    return row ? { accessToken: row.access_token, expiresAt: new Date(row.expires_at).getTime() } : null
  }

  async set(_key: string, token: CachedToken): Promise<void> {
    const now = new Date()
    await this.db()("mpesa_access_token")
      .insert({ id: this.rowKey, access_token: token.accessToken, expires_at: new Date(token.expiresAt), created_at: now, updated_at: now })
      .onConflict("id")
      .merge({ access_token: token.accessToken, expires_at: new Date(token.expiresAt), updated_at: now, deleted_at: null })
  }

  async invalidate(_key: string, accessToken: string): Promise<void> {
    await this.db()("mpesa_access_token").where({ id: this.rowKey, access_token: accessToken }).delete()
  }

  async withRefreshLock<T>(_key: string, fn: () => Promise<T>): Promise<T> {
    return this.db().transaction(async (trx) => {
      await trx.raw("select pg_advisory_xact_lock(hashtext(?))", [`mpesa-token:${this.rowKey}`])
      return fn()
    })
  }
}
