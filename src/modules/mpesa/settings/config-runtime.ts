import type { Logger } from "@medusajs/framework/types"
import { MedusaError } from "@medusajs/framework/utils"
import { DARAJA_BASE_URLS, type DarajaClient } from "../../../lib/daraja"
import { createDarajaConnection } from "../daraja-connection"
import type { MpesaOptions } from "../options"
import type { Knex } from "../types"
import { checkConnection } from "./connection-check"
import type { ConnectionCheck } from "../types"
import { mergeOptions, resolveEffectiveConfig, savedOverrides, type EffectiveConfig, type SettingsIssue } from "./effective-config"
import { PAUSED_SHOPPER_MESSAGE, pauseNotice, type PauseNotice } from "./pause-notice"
import { lastFour, SecretBox, SETTINGS_KEY_ENV } from "./secret-box"
import { PLAIN_FIELD_NAMES, SECRET_FIELD_NAMES, type SettingsPatch, type SettingsRow } from "./settings-fields"
import { SettingsStore } from "../stores/settings-store"

/** How long a process trusts its cached settings before checking the saved version again. */
export const SETTINGS_CHECK_MS = 2_000

/** While paused, background work repeats its error log line at most this often (the first one is logged at once). */
export const PAUSE_REMINDER_MS = 5 * 60_000

/**
 * The effective configuration of one process: boot options with the saved
 * settings on top, re-read when the saved version changes. Sending a push and
 * testing the connection always check the version first, so a save reaches the
 * very next push in every process (server and worker); background work checks
 * it at most every SETTINGS_CHECK_MS. No in-memory setter: the database is the
 * only way in.
 */
export class ConfigRuntime {
  private readonly store: SettingsStore
  private effective: EffectiveConfig
  private checkedAt = 0
  private client: DarajaClient | null = null
  private remindedAt = 0

  constructor(
    private readonly db: () => Knex,
    private readonly base: () => MpesaOptions,
    private readonly raw: unknown,
    private readonly logger: Logger,
    private readonly env: NodeJS.ProcessEnv = process.env
  ) {
    this.store = new SettingsStore(db)
    this.effective = { options: base(), version: -1, sources: {} as EffectiveConfig["sources"], missing: [], problem: null, problemKind: null }
  }

  /** The configuration in force (sync; call `refresh` first where freshness matters). */
  options(): MpesaOptions {
    return this.effective.options
  }

  current(): EffectiveConfig {
    return this.effective
  }

  daraja(): DarajaClient {
    // The one way to Daraja: while the saved settings cannot be used, no call goes out with the boot
    // (MPESA_* / default) credentials and hosts in their place, whichever path asks.
    if (this.effective.problem) {
      throw new MedusaError(MedusaError.Types.UNEXPECTED_STATE, `M-Pesa is paused: ${this.effective.problem}`)
    }
    if (!this.client) {
      this.client = createDarajaConnection(this.effective.options, this.db, this.logger)
    }
    return this.client
  }

  /** Re-reads the settings when their saved version moved (`force`: check now, whatever the cache age). */
  async refresh(force = false): Promise<EffectiveConfig> {
    if (!force && this.effective.version >= 0 && Date.now() - this.checkedAt < SETTINGS_CHECK_MS) {
      return this.effective
    }
    let version: number
    try {
      version = await this.store.version()
    } catch (e) {
      // Table not migrated yet (a store upgrading the plugin): boot options only.
      this.logger.debug(`M-Pesa: settings not readable (${(e as Error).message}); using the configured options`)
      version = 0
      if (this.effective.version !== 0) this.load(null)
      this.checkedAt = Date.now()
      return this.effective
    }
    if (version !== this.effective.version) {
      this.load(version === 0 ? null : await this.store.load())
    }
    this.checkedAt = Date.now()
    return this.effective
  }

  private load(row: SettingsRow | null): void {
    const next = resolveEffectiveConfig({ base: this.base(), raw: this.raw, row, box: SecretBox.fromEnv(this.env) })
    const notice = pauseNotice(next)
    if (notice && next.problem !== this.effective.problem) {
      this.logger.error(`M-Pesa paused: ${notice.problem} ${notice.fix} ${notice.meanwhile}`)
      this.remindedAt = Date.now()
    } else if (!notice && this.effective.problem) {
      this.logger.info("M-Pesa: the saved settings can be used again; work with Daraja resumes")
    }
    this.effective = next
    this.client = null // the next call builds a client (and token row) for these credentials
  }

  /** Why work with Daraja is paused (the saved settings cannot be used), or null. */
  pause(): PauseNotice | null {
    return pauseNotice(this.effective)
  }

  /**
   * For background work (callback confirmation, polling, reversal checks):
   * true while paused, so the caller leaves its work as it is (nothing
   * counted, nothing expired) for when the settings can be used again.
   */
  skipWhilePaused(work: string): boolean {
    const notice = this.pause()
    if (!notice) return false
    if (Date.now() - this.remindedAt >= PAUSE_REMINDER_MS) {
      this.remindedAt = Date.now()
      this.logger.error(`M-Pesa paused (${work} waiting): ${notice.problem} ${notice.fix}`)
    }
    return true
  }

  /** For an admin action that needs Daraja: refused while paused, saying what is wrong and what to do. */
  assertNotPaused(action: string): void {
    const notice = this.pause()
    if (notice) {
      throw new MedusaError(MedusaError.Types.NOT_ALLOWED, `${action} is not possible while M-Pesa is paused. ${notice.problem} ${notice.fix}`)
    }
  }

  /** Refuses a push that cannot work, naming what to fix (a pause: to the merchant, in the log; the shopper gets a short line). */
  assertUsable(): void {
    const { problem, missing } = this.effective
    if (problem) {
      this.logger.warn(`M-Pesa: a payment prompt was refused because M-Pesa is paused: ${problem}`)
      throw new MedusaError(MedusaError.Types.UNEXPECTED_STATE, PAUSED_SHOPPER_MESSAGE)
    }
    if (missing.length) {
      throw new MedusaError(
        MedusaError.Types.UNEXPECTED_STATE,
        `M-Pesa is not set up yet: ${missing.join(", ")} missing. Set them in Settings -> M-Pesa (or MPESA_* variables)`
      )
    }
  }

  async testConnection(): Promise<ConnectionCheck> {
    const effective = await this.refresh(true)
    const o = effective.options
    const where = { baseUrl: o.baseUrl ?? DARAJA_BASE_URLS[o.environment], environment: o.environment }
    if (effective.problem) {
      return { ...base(where), ok: false, code: "settings", message: effective.problem }
    }
    if (!o.consumerKey || !o.consumerSecret) {
      return { ...base(where), ok: false, code: "settings", message: "Enter the consumer key and consumer secret of your Daraja app first." }
    }
    return checkConnection(this.daraja(), where)
  }

  /** Saves a patch after validating the result as a whole; returns the new effective config. */
  async save(patch: SettingsPatch, actor: string | null): Promise<EffectiveConfig> {
    const box = SecretBox.fromEnv(this.env)
    const columns: Partial<SettingsRow> = {}
    for (const field of PLAIN_FIELD_NAMES) {
      if (patch[field] !== undefined) {
        const v = patch[field]
        columns[field] = v === null || v === "" ? null : v
      }
    }
    for (const field of SECRET_FIELD_NAMES) {
      if (patch.clear_secrets?.includes(field)) {
        columns[`${field}_enc`] = null
        columns[`${field}_last4`] = null
      }
      const v = patch[field]
      if (v === undefined || v === "") continue // empty keeps the stored secret
      if (!box) {
        throw invalid([{ field, message: `cannot be stored: set ${SETTINGS_KEY_ENV} on the server first (secrets are saved only encrypted)` }])
      }
      columns[`${field}_enc`] = box.seal(v)
      columns[`${field}_last4`] = lastFour(v)
    }
    const current = await this.store.load()
    const next = { ...(current ?? emptyRow()), ...columns } as SettingsRow
    let overrides
    try {
      overrides = savedOverrides(next, box)
    } catch (e) {
      throw invalid([{ field: "settings", message: (e as Error).message }])
    }
    const merged = mergeOptions(this.base(), overrides)
    if (!merged.ok) throw invalid(merged.issues)
    await this.store.save(columns, actor)
    return this.refresh(true)
  }
}

function base(where: { baseUrl: string; environment: "sandbox" | "production" }) {
  return { base_url: where.baseUrl, environment: where.environment }
}

function emptyRow(): Partial<SettingsRow> {
  return { id: "default", version: 0 }
}

/** A 400 whose message names every field and rule (Medusa's INVALID_DATA). */
function invalid(issues: SettingsIssue[]): MedusaError {
  return new MedusaError(MedusaError.Types.INVALID_DATA, issues.map((i) => `${i.field}: ${i.message}`).join("; "))
}
