import type { Knex } from "../types"

export const PROMPT_LIMIT_TABLE = "mpesa_prompt_limit"

/** A counter as stored. */
export type CounterRow = { id: string; window_started_at: Date | string; hits: number }

type CounterUpdate = { id: string; hits: number; window_started_at: Date }

/** The prompt-limit counters (mpesa_prompt_limit); the limiter's rules live in prompt-limits/. */
export class PromptLimitStore {
  constructor(private readonly db: () => Knex) {}

  /** Counters as `locked` reads them (it counts a row's hits whatever its deleted_at); locks nothing. */
  async read(ids: string[]): Promise<CounterRow[]> {
    return this.db()<CounterRow>(PROMPT_LIMIT_TABLE).whereIn("id", ids).select("id", "window_started_at", "hits")
  }

  /**
   * In one transaction: creates or locks each counter in the order given
   * (`INSERT ... ON CONFLICT (id) DO UPDATE ... RETURNING` locks the row
   * whether it was just created or already there), lets `decide` look at
   * them, then writes its updates; counters this call created are deleted
   * again unless `keepCreated`.
   */
  async locked<T>(
    ids: string[],
    now: Date,
    decide: (rows: ReadonlyMap<string, CounterRow>) => Promise<{ result: T; updates: CounterUpdate[]; keepCreated: boolean }>
  ): Promise<T> {
    return this.db().transaction(async (trx) => {
      const rows = new Map<string, CounterRow>()
      const created: string[] = []
      for (const id of ids) {
        // Creates the row or takes its lock; `xmax = 0` tells the two apart.
        const result = await trx.raw<{ rows: (CounterRow & { inserted: boolean })[] }>(
          `insert into "${PROMPT_LIMIT_TABLE}" ("id", "window_started_at", "hits", "created_at", "updated_at")
           values (?, ?, 0, ?, ?)
           on conflict ("id") do update set "updated_at" = excluded."updated_at", "deleted_at" = null
           returning "id", "window_started_at", "hits", (xmax = 0) as "inserted"`,
          [id, now, now, now]
        )
        const row = result.rows[0]
        rows.set(id, row)
        if (row.inserted) created.push(row.id)
      }
      const { result, updates, keepCreated } = await decide(rows)
      if (!keepCreated && created.length) {
        await trx(PROMPT_LIMIT_TABLE).whereIn("id", created).delete()
      }
      for (const u of updates) {
        await trx(PROMPT_LIMIT_TABLE)
          .where({ id: u.id })
          .update({ hits: u.hits, window_started_at: u.window_started_at, updated_at: now })
      }
      return result
    })
  }

  /** Deletes up to `batch` counters whose window started before `cutoff`, skipping rows a prompt holds. */
  async deleteStale(cutoff: Date, batch: number): Promise<number> {
    const result = await this.db().raw<{ rowCount: number | null }>(
      `delete from "${PROMPT_LIMIT_TABLE}" where "id" in (
         select "id" from "${PROMPT_LIMIT_TABLE}"
         where "window_started_at" < ? and "deleted_at" is null
         limit ? for update skip locked)`,
      [cutoff, batch]
    )
    return result.rowCount ?? 0
  }
}
