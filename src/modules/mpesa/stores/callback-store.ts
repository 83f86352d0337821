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
   * Runs `fn` while holding a row lock on an unprocessed callback, so the
   * subscriber and the recovery sweep never apply the same callback at once.
   * Returns null when the callback is already processed or locked elsewhere.
   */
  async withUnprocessed<T>(id: string, fn: (row: CallbackRow) => Promise<T>): Promise<T | null> {
    return this.db().transaction(async (trx) => {
      const row = (await trx(TABLE)
        .where({ id })
        .whereNull("processed_at")
        .forUpdate()
        .skipLocked()
        .first()) as CallbackRow | undefined
      if (!row) {
        return null
      }
      return fn(row)
    })
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
