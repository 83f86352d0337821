import type { Knex } from "../types"
import { PLAIN_FIELD_NAMES, SECRET_FIELD_NAMES, type SettingsRow } from "../settings/settings-fields"

const TABLE = "mpesa_setting"
export const SETTINGS_ROW_ID = "default"

/** The only SQL on mpesa_setting: one row, its version bumped on every save. */
export class SettingsStore {
  constructor(private readonly db: () => Knex) {}

  /** The saved version (0 when nothing was ever saved): the cheap check every process makes. */
  async version(): Promise<number> {
    const row = (await this.db()(TABLE).select("version").where({ id: SETTINGS_ROW_ID }).first()) as
      | { version: number }
      | undefined
    return row?.version ?? 0
  }

  async load(): Promise<SettingsRow | null> {
    const row = (await this.db()(TABLE).where({ id: SETTINGS_ROW_ID }).whereNull("deleted_at").first()) as
      | SettingsRow
      | undefined
    return row ?? null
  }

  /** Writes the given columns and bumps the version in one statement; returns the new row. */
  async save(columns: Partial<SettingsRow>, updatedBy: string | null): Promise<SettingsRow> {
    const allowed = new Set<string>([
      ...PLAIN_FIELD_NAMES,
      ...SECRET_FIELD_NAMES.flatMap((f) => [`${f}_enc`, `${f}_last4`]),
    ])
    const values = Object.fromEntries(Object.entries(columns).filter(([k]) => allowed.has(k)))
    const now = new Date()
    const [row] = await this.db()(TABLE)
      .insert({ id: SETTINGS_ROW_ID, version: 1, ...values, updated_by: updatedBy, created_at: now, updated_at: now })
      .onConflict("id")
      .merge({
        ...values,
        updated_by: updatedBy,
        updated_at: now,
        deleted_at: null,
        version: this.db().raw(`${TABLE}.version + 1`),
      })
      .returning("*")
    return row as SettingsRow
  }
}
