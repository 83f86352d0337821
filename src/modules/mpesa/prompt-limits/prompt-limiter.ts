import type { PromptLimitStore, CounterRow } from "../stores/prompt-limit-store"
import { clientKey, keyHasher, paymentCollectionKey, phoneKey, type KeyHasher } from "./keys"
import type { PromptLimitName, PromptLimits } from "./options"
import type { PromptAllowance, PromptAllowanceInput } from "../types"



/** One counter a prompt must pass. */
export type LimitCheck = { limit: PromptLimitName; key: string; max: number; windowMs: number }

export type { CounterRow }

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
 * in key order (stores/prompt-limit-store.ts), decides, and increments all
 * counters only if every one has room. Concurrent prompts that share a
 * counter are serialised on its row lock, so exactly `max` of them pass, and
 * a refused prompt uses up nothing on the other counters.
 */
export class PromptLimiter {
  private readonly store: PromptLimitStore
  private readonly limits: PromptLimits
  private readonly hash: KeyHasher

  /** `keySecret` keys the digests of phone numbers and client addresses (see keys.ts). */
  constructor(options: { store: PromptLimitStore; limits: PromptLimits; keySecret?: string | null }) {
    this.store = options.store
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
    const found = await this.store.read(checks.map((c) => c.key))
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
    const allowance = await this.store.locked(checks.map((c) => c.key), now, async (rows) => {
      const { allowance, updates } = decide(checks, rows, now)
      // A refused prompt leaves nothing behind, so a refused flood of fresh
      // phone numbers or collection ids cannot grow the table.
      return { result: allowance, updates, keepCreated: allowance.allowed }
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
    return this.store.deleteStale(new Date(now.getTime() - longestMs), batch)
  }
}
