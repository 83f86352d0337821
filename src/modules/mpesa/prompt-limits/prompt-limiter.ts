import type { Knex } from "../types"
import { clientKey, keyHasher, paymentCollectionKey, phoneKey, type KeyHasher } from "./keys"
import type { PromptLimitName, PromptLimits } from "./options"

export const PROMPT_LIMIT_TABLE = "mpesa_prompt_limit"

export type PromptAllowanceInput = {
  /** Normalised MSISDN (2547XXXXXXXX), or null when the request carries no valid phone. */
  phone: string | null
  paymentCollectionId: string
  /** `req.ip`; null skips the client limit. */
  clientIp: string | null
}

export type PromptAllowance =
  | { allowed: true }
  | { allowed: false; limit: PromptLimitName; retryAfterSeconds: number }

/** One counter a prompt must pass. */
export type LimitCheck = { limit: PromptLimitName; key: string; max: number; windowMs: number }

/** A counter as stored. */
export type CounterRow = { id: string; window_started_at: Date | string; hits: number }

/** Rows deleted per cleanup pass; a pass runs after each allowed prompt. */
const CLEANUP_BATCH = 200

/**
 * The counters that apply to one prompt, sorted by key: every transaction
 * locks rows in the same order, so two prompts sharing keys can never
 * deadlock. Limits with `max: 0` and absent inputs are skipped.
 */
export function limitChecks(input: PromptAllowanceInput, limits: PromptLimits, hash: KeyHasher): LimitCheck[] {
  const checks: LimitCheck[] = []
  const add = (limit: PromptLimitName, key: string, cfg: { max: number; windowSeconds: number }) => {
    if (cfg.max > 0) checks.push({ limit, key, max: cfg.max, windowMs: cfg.windowSeconds * 1000 })
  }
  if (input.phone) add("phone", phoneKey(input.phone, hash), limits.phone)
  if (input.paymentCollectionId) {
    add("payment_collection", paymentCollectionKey(input.paymentCollectionId, hash), limits.paymentCollection)
  }
  if (input.clientIp) add("client", clientKey(input.clientIp, hash), limits.client)
  return checks.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
}

/**
 * The decision for one prompt, given the locked counter rows (fixed windows
 * that start at the first prompt after the previous window ended). Refused if
 * any counter is at its max in its current window, reporting the longest wait
 * among the exhausted ones; otherwise every counter gets one more hit. A
 * refusal changes no counter.
 */
export function decide(
  checks: LimitCheck[],
  rows: ReadonlyMap<string, CounterRow>,
  now: Date
): { allowance: PromptAllowance; updates: { id: string; hits: number; window_started_at: Date }[] } {
  const t = now.getTime()
  let refusal: { limit: PromptLimitName; retryAfterSeconds: number } | null = null
  const updates: { id: string; hits: number; window_started_at: Date }[] = []
  for (const check of checks) {
    const row = rows.get(check.key)
    const started = row ? new Date(row.window_started_at).getTime() : NaN
    const current = row && Number.isFinite(started) && t - started < check.windowMs
    const hits = current ? row.hits : 0
    const windowStart = current ? started : t
    if (hits >= check.max) {
      // Clamped: a server whose clock runs ahead may have started the window "in the future".
      const waitMs = Math.min(windowStart + check.windowMs - t, check.windowMs)
      const retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1000))
      if (!refusal || retryAfterSeconds > refusal.retryAfterSeconds) {
        refusal = { limit: check.limit, retryAfterSeconds }
      }
    }
    updates.push({ id: check.key, hits: hits + 1, window_started_at: new Date(windowStart) })
  }
  if (refusal) {
    return { allowance: { allowed: false, ...refusal }, updates: [] }
  }
  return { allowance: { allowed: true }, updates }
}

/**
 * Counts M-Pesa prompts per phone number, payment collection and client
 * address in PostgreSQL, so the limits hold across every server instance.
 *
 * `consume` runs one short transaction: it upserts-and-locks each counter row
 * in key order (`INSERT ... ON CONFLICT (id) DO UPDATE ... RETURNING`, which
 * locks the row whether it was just created or already there), decides, and
 * increments all counters only if every one has room. Concurrent prompts that
 * share a counter are serialised on its row lock, so exactly `max` of them
 * pass, and a refused prompt uses up nothing on the other counters.
 */
export class PromptLimiter {
  private readonly db: () => Knex
  private readonly limits: PromptLimits
  private readonly hash: KeyHasher

  /**
   * `db` returns the knex connection (the module's `__pg_connection__`), read
   * at call time like the other stores. `keySecret` keys the digests of phone
   * numbers and client addresses (see keys.ts).
   */
  constructor(options: { db: () => Knex; limits: PromptLimits; keySecret?: string | null }) {
    this.db = options.db
    this.limits = options.limits
    this.hash = keyHasher(options.keySecret)
  }

  /**
   * The decision `consume` would make now, without counting or locking
   * anything: the store middleware's early answer (429 before Medusa touches
   * the payment collection). Only `consume`, at the push, is authoritative.
   */
  async check(input: PromptAllowanceInput, now: Date): Promise<PromptAllowance> {
    if (!this.limits.enabled) {
      return { allowed: true }
    }
    const checks = limitChecks(input, this.limits, this.hash)
    if (!checks.length) {
      return { allowed: true }
    }
    // Rows as `consume` reads them (it counts a row's hits whatever its deleted_at).
    const found = (await this.db()(PROMPT_LIMIT_TABLE)
      .whereIn(
        "id",
        checks.map((c) => c.key)
      )
      .select("id", "window_started_at", "hits")) as CounterRow[]
    return decide(checks, new Map(found.map((r) => [r.id, r])), now).allowance
  }

  async consume(input: PromptAllowanceInput, now: Date): Promise<PromptAllowance> {
    if (!this.limits.enabled) {
      return { allowed: true }
    }
    const checks = limitChecks(input, this.limits, this.hash)
    if (!checks.length) {
      return { allowed: true }
    }
    const allowance = await this.db().transaction(async (trx) => {
      const rows = new Map<string, CounterRow>()
      const created: string[] = []
      for (const check of checks) {
        // Creates the row or takes its lock; `xmax = 0` tells the two apart.
        const result = await trx.raw(
          `insert into "${PROMPT_LIMIT_TABLE}" ("id", "window_started_at", "hits", "created_at", "updated_at")
           values (?, ?, 0, ?, ?)
           on conflict ("id") do update set "updated_at" = excluded."updated_at", "deleted_at" = null
           returning "id", "window_started_at", "hits", (xmax = 0) as "inserted"`,
          [check.key, now, now, now]
        )
        const row = result.rows[0] as CounterRow & { inserted: boolean }
        rows.set(check.key, row)
        if (row.inserted) created.push(row.id)
      }
      const { allowance, updates } = decide(checks, rows, now)
      if (!allowance.allowed && created.length) {
        // A refused prompt leaves nothing behind, so a refused flood of fresh
        // phone numbers or collection ids cannot grow the table.
        await trx(PROMPT_LIMIT_TABLE).whereIn("id", created).delete()
      }
      for (const u of updates) {
        await trx(PROMPT_LIMIT_TABLE)
          .where({ id: u.id })
          .update({ hits: u.hits, window_started_at: u.window_started_at, updated_at: now })
      }
      return allowance
    })
    if (allowance.allowed) {
      await this.cleanup(now).catch(() => undefined) // housekeeping only; never fails a prompt
    }
    return allowance
  }

  /**
   * Deletes up to one batch of counters whose window ended long ago (older
   * than the longest configured window: such a row counts as zero for every
   * limit). Rows locked by a prompt in flight are skipped.
   */
  async cleanup(now: Date, batch = CLEANUP_BATCH): Promise<number> {
    const longestMs =
      Math.max(this.limits.phone.windowSeconds, this.limits.paymentCollection.windowSeconds, this.limits.client.windowSeconds) *
      1000
    const cutoff = new Date(now.getTime() - longestMs)
    const result = await this.db().raw(
      `delete from "${PROMPT_LIMIT_TABLE}" where "id" in (
         select "id" from "${PROMPT_LIMIT_TABLE}"
         where "window_started_at" < ? and "deleted_at" is null
         limit ? for update skip locked)`,
      [cutoff, batch]
    )
    return result.rowCount ?? 0
  }
}
