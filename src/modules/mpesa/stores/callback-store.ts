import { generateEntityId } from "@medusajs/framework/utils"
import type { CallbackKind, CallbackRow, CallbackStatus, Knex } from "../types"
import { callbackTable } from "./tables"


export type CallbackInsert = {
  kind?: CallbackKind
  refund_id?: string | null
  request_id?: string | null
  payload: unknown
  source_ip: string | null
  transaction_id: string | null
  checkout_request_id: string | null
  merchant_request_id: string | null
  result_code: string | null
  status?: CallbackStatus
  note?: string | null
  now: Date
}

/** SQL for the raw callback inbox. */
export class CallbackStore {
  constructor(private readonly db: () => Knex) {}

  async insert(row: CallbackInsert): Promise<CallbackRow> {
    return this.insertWith(this.db(), row)
  }

  /**
   * Stores a callback unless its signed URL already holds `limit` of them
   * (null then: nothing stored). One URL is one push's STK callback URL, or one
   * request's result URL of one kind. Counting and inserting happen under a
   * transaction-scoped advisory lock per URL, so simultaneous posts to one URL
   * queue on it and never store more than `limit` rows between them; posts to
   * other URLs do not wait.
   */
  async insertWithinLimit(row: CallbackInsert, limit: number): Promise<CallbackRow | null> {
    const kind = row.kind ?? "stk"
    const url = kind === "stk" ? `stk:${row.transaction_id}` : `${kind}:${row.request_id}`
    return this.db().transaction(async (trx) => {
      await trx.raw("select pg_advisory_xact_lock(hashtext(?))", [`mpesa-callback-url:${url}`])
      const stored = callbackTable(trx).where({ kind }).whereNull("deleted_at")
      if (row.transaction_id) stored.where("transaction_id", row.transaction_id) // the indexed column
      if (kind !== "stk") stored.where("request_id", row.request_id ?? null)
      const [{ n }] = (await stored.count({ n: "*" })) as { n: string | number }[]
      return Number(n) >= limit ? null : this.insertWith(trx, row)
    })
  }

  private async insertWith(db: Knex, row: CallbackInsert): Promise<CallbackRow> {
    const { now, ...fields } = row
    const [inserted] = await callbackTable(db)
      .insert({
        id: generateEntityId(undefined, "mpesacb"),
        ...fields,
        payload: JSON.stringify(row.payload ?? null),
        status: row.status ?? "received",
        processed_at: row.status === "invalid" ? now : null,
        // The sweep looks at it only if the immediate processing did not finish.
        next_check_at: row.status === "invalid" ? null : now,
      })
      .returning("*")
    return inserted
  }

  /** Callbacks stored and not applied yet (the admin's "waiting" count while work with Daraja is paused). */
  async countWaiting(): Promise<number> {
    const [{ n }] = (await callbackTable(this.db())
      .whereNull("processed_at")
      .whereNull("deleted_at")
      .whereNotNull("next_check_at")
      .count({ n: "*" })) as { n: string | number }[]
    return Number(n)
  }

  async findById(id: string): Promise<CallbackRow | null> {
    return ((await callbackTable(this.db()).where({ id }).first())) ?? null
  }

  /**
   * Leases an unprocessed callback for `leaseMs` and runs `fn`, so the
   * subscriber and the recovery sweep never apply the same callback at once.
   * Returns null when the callback is already processed or leased elsewhere.
   */
  async withLease<T>(id: string, now: Date, leaseMs: number, fn: (row: CallbackRow) => Promise<T>): Promise<T | null> {
    const [row] = (await callbackTable(this.db())
      .where({ id })
      .whereNull("processed_at")
      .where((q) => q.whereNull("locked_until").orWhere("locked_until", "<", now))
      .update({ locked_until: new Date(now.getTime() + leaseMs) })
      .returning("*"))
    if (!row) {
      return null
    }
    try {
      return await fn(row)
    } finally {
      await callbackTable(this.db()).where({ id }).update({ locked_until: null })
    }
  }

  async finish(id: string, status: CallbackStatus, note: string, now: Date) {
    await callbackTable(this.db())
      .where({ id })
      .update({ status, note, processed_at: now, next_check_at: null, updated_at: now })
  }

  /** Leaves the callback unprocessed, to be checked again at `nextCheckAt`, with a reason. */
  async defer(id: string, note: string, nextCheckAt: Date, now: Date) {
    await callbackTable(this.db())
      .where({ id })
      .update({ note, attempts: this.db().raw("attempts + 1"), next_check_at: nextCheckAt, updated_at: now })
  }

  /**
   * Unprocessed callbacks due for a (re)check: restart recovery and deferred confirmations.
   * Rows under a live lease are someone else's work right now (or a dead worker's, until the
   * lease runs out): skipping them keeps the sweep from spending its batch on them every tick.
   */
  async findDue(now: Date, limit: number): Promise<CallbackRow[]> {
    return (await callbackTable(this.db())
      .whereNull("processed_at")
      .whereNull("deleted_at")
      .whereNotNull("next_check_at")
      .where("next_check_at", "<=", now)
      .where((q) => q.whereNull("locked_until").orWhere("locked_until", "<", now))
      .orderBy("next_check_at", "asc")
      .limit(limit))
  }

  async list(
    filters: { status?: CallbackStatus[]; transactionId?: string; transactionIds?: string[] },
    page: { take: number; skip: number }
  ) {
    const q = callbackTable(this.db()).whereNull("deleted_at")
    if (filters.status?.length) q.whereIn("status", filters.status)
    if (filters.transactionId) q.where("transaction_id", filters.transactionId)
    if (filters.transactionIds) q.whereIn("transaction_id", filters.transactionIds)
    return (await q.orderBy("created_at", "desc").limit(page.take).offset(page.skip))
  }
}
