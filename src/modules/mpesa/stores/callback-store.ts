import { generateEntityId } from "@medusajs/framework/utils"
import type { CallbackRow, CallbackStatus, Knex } from "../types"

const TABLE = "mpesa_callback"

/** SQL for the raw callback inbox. */
export class CallbackStore {
  constructor(private readonly db: () => Knex) {}

  async insert(row: {
    payload: unknown
    source_ip: string | null
    checkout_request_id: string | null
    merchant_request_id: string | null
    result_code: string | null
    status?: CallbackStatus
    note?: string | null
  }): Promise<CallbackRow> {
    const [inserted] = await this.db()(TABLE)
      .insert({
        id: generateEntityId(undefined, "mpesacb"),
        ...row,
        payload: JSON.stringify(row.payload ?? null),
        status: row.status ?? "received",
        processed_at: row.status === "invalid" ? new Date() : null,
      })
      .returning("*")
    return inserted as CallbackRow
  }

  async findById(id: string): Promise<CallbackRow | null> {
    return ((await this.db()(TABLE).where({ id }).first()) as CallbackRow | undefined) ?? null
  }

  /**
   * Leases an unprocessed callback for `leaseMs` and runs `fn`, so the
   * subscriber and the recovery sweep never apply the same callback at once.
   * Returns null when the callback is already processed or leased elsewhere.
   */
  async withLease<T>(id: string, now: Date, leaseMs: number, fn: (row: CallbackRow) => Promise<T>): Promise<T | null> {
    const [row] = (await this.db()(TABLE)
      .where({ id })
      .whereNull("processed_at")
      .where((q) => q.whereNull("locked_until").orWhere("locked_until", "<", now))
      .update({ locked_until: new Date(now.getTime() + leaseMs) })
      .returning("*")) as CallbackRow[]
    if (!row) {
      return null
    }
    try {
      return await fn(row)
    } finally {
      await this.db()(TABLE).where({ id }).update({ locked_until: null })
    }
  }

  async finish(id: string, status: CallbackStatus, note: string, transactionId: string | null, now: Date) {
    await this.db()(TABLE)
      .where({ id })
      .update({ status, note, transaction_id: transactionId, processed_at: now, updated_at: now })
  }

  /** Leaves the callback unprocessed (to be retried) with a reason. */
  async defer(id: string, status: CallbackStatus, note: string, transactionId: string | null, now: Date) {
    await this.db()(TABLE)
      .where({ id })
      .update({
        status,
        note,
        transaction_id: transactionId,
        attempts: this.db().raw("attempts + 1"),
        updated_at: now,
      })
  }

  async findWaitingFor(checkoutRequestId: string): Promise<CallbackRow[]> {
    return (await this.db()(TABLE)
      .where({ checkout_request_id: checkoutRequestId })
      .whereNull("processed_at")
      .orderBy("created_at", "asc")) as CallbackRow[]
  }

  /** Unprocessed callbacks not touched since `before` (restart recovery, deferred confirmations). */
  async findStale(before: Date, limit: number): Promise<CallbackRow[]> {
    return (await this.db()(TABLE)
      .whereNull("processed_at")
      .where("updated_at", "<", before)
      .orderBy("created_at", "asc")
      .limit(limit)) as CallbackRow[]
  }
}
