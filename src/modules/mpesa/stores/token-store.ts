import type { Knex } from "../types"

/**
 * The Daraja client's TokenCache, kept in PostgreSQL so that every process of
 * a deployment (server, worker) shares one token; refreshes are serialised
 * across processes with a transaction-scoped advisory lock.
 */
export class DatabaseTokenCache {
  constructor(private readonly db: () => Knex) {}

  async get(key: string) {
    const row = (await this.db()("mpesa_access_token").where({ id: key }).whereNull("deleted_at").first()) as
      | { access_token: string; expires_at: Date }
      | undefined
    return row ? { accessToken: row.access_token, expiresAt: new Date(row.expires_at).getTime() } : null
  }

  async set(key: string, token: { accessToken: string; expiresAt: number }) {
    const now = new Date()
    await this.db()("mpesa_access_token")
      .insert({ id: key, access_token: token.accessToken, expires_at: new Date(token.expiresAt), created_at: now, updated_at: now })
      .onConflict("id")
      .merge({ access_token: token.accessToken, expires_at: new Date(token.expiresAt), updated_at: now, deleted_at: null })
  }

  async invalidate(key: string, accessToken: string) {
    await this.db()("mpesa_access_token").where({ id: key, access_token: accessToken }).delete()
  }

  async withRefreshLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.db().transaction(async (trx) => {
      await trx.raw("select pg_advisory_xact_lock(hashtext(?))", [`mpesa-token:${key}`])
      return fn()
    })
  }
}
