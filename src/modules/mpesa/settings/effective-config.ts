import { missingCredentials, mpesaOptionsSchema, type MpesaOptions } from "../options"
import type { SecretBox } from "./secret-box"
import {
  PLAIN_FIELDS,
  PLAIN_FIELD_NAMES,
  SECRET_FIELDS,
  SECRET_FIELD_NAMES,
  type SettingsField,
  type SettingsRow,
  type ValueSource,
} from "./settings-fields"

/** The configuration a push uses: saved settings over medusa-config / MPESA_* options over defaults. */
export type EffectiveConfig = {
  options: MpesaOptions
  /** the settings row's version this was built from (0: nothing saved) */
  version: number
  sources: Record<SettingsField, ValueSource>
  /** credentials set nowhere (option names) */
  missing: string[]
  /** why the saved settings cannot be used (then `options` are the boot options); null when fine */
  problem: string | null
  /** what kind of problem: the settings key (missing, or not the one the secrets were saved with), or invalid values */
  problemKind: SettingsProblemKind | null
}

export type SettingsProblemKind = "settings_key_missing" | "settings_key_mismatch" | "invalid_settings"

export type SettingsIssue = { field: string; message: string }

const OPTION_TO_FIELD: Record<string, string> = Object.fromEntries(
  [...Object.entries(PLAIN_FIELDS), ...Object.entries(SECRET_FIELDS)].map(([field, option]) => [option, field])
)

/** The admin API's name for an option (callbackBaseUrl -> callback_base_url), else the option's own. */
export function fieldForOption(option: string): string {
  return OPTION_TO_FIELD[option] ?? option
}

/** Saved overrides as option values; throws SettingsKeyError when a secret cannot be decrypted. */
export function savedOverrides(row: SettingsRow | null, box: SecretBox | null): Partial<MpesaOptions> {
  const out: Record<string, string> = {}
  if (!row) return out
  for (const field of PLAIN_FIELD_NAMES) {
    const value = row[field]
    if (value !== null && value !== undefined && value !== "") out[PLAIN_FIELDS[field]] = value
  }
  for (const field of SECRET_FIELD_NAMES) {
    const sealed = row[`${field}_enc`]
    if (!sealed) continue
    if (!box) {
      throw new SettingsKeyErrorMissing()
    }
    out[SECRET_FIELDS[field]] = box.open(sealed)
  }
  return out as Partial<MpesaOptions>
}

export class SettingsKeyErrorMissing extends Error {
  constructor() {
    super("saved M-Pesa secrets cannot be read: MPESA_SETTINGS_KEY is not set in this process")
  }
}

/** Validates boot options with saved overrides on top; issues are named by admin field. */
export function mergeOptions(
  base: MpesaOptions,
  overrides: Partial<MpesaOptions>
): { ok: true; options: MpesaOptions } | { ok: false; issues: SettingsIssue[] } {
  const result = mpesaOptionsSchema.safeParse({ ...base, ...overrides })
  if (result.success) return { ok: true, options: result.data }
  return {
    ok: false,
    issues: result.error.issues.map((i) => {
      const option = String(i.path[0] ?? "options")
      const field = fieldForOption(option)
      // baseUrl is not editable here: say which variable sets it.
      const message = option === "baseUrl" ? `${i.message} (MPESA_BASE_URL)` : i.message
      return { field, message }
    }),
  }
}

/** Where each editable value comes from. `raw` is what medusa-config passed (before defaults). */
export function valueSources(row: SettingsRow | null, raw: unknown): Record<SettingsField, ValueSource> {
  const given = (raw && typeof raw === "object" ? raw : {}) as Record<string, unknown>
  const fromOptions = (option: string): ValueSource => {
    const v = given[option]
    return v !== undefined && v !== null && v !== "" ? "environment" : "default"
  }
  const sources = {} as Record<SettingsField, ValueSource>
  for (const field of PLAIN_FIELD_NAMES) {
    const v = row?.[field]
    sources[field] = v !== null && v !== undefined && v !== "" ? "saved" : fromOptions(PLAIN_FIELDS[field])
  }
  for (const field of SECRET_FIELD_NAMES) {
    sources[field] = row?.[`${field}_enc`] ? "saved" : fromOptions(SECRET_FIELDS[field])
  }
  return sources
}

export function resolveEffectiveConfig(input: {
  base: MpesaOptions
  raw: unknown
  row: SettingsRow | null
  box: SecretBox | null
}): EffectiveConfig {
  const version = input.row?.version ?? 0
  const sources = valueSources(input.row, input.raw)
  let problem: string | null = null
  let problemKind: SettingsProblemKind | null = null
  let options = input.base
  try {
    const merged = mergeOptions(input.base, savedOverrides(input.row, input.box))
    if (merged.ok) {
      options = merged.options
    } else {
      problem = `saved M-Pesa settings are invalid: ${merged.issues.map((i) => `${i.field}: ${i.message}`).join("; ")}`
      problemKind = "invalid_settings"
    }
  } catch (e) {
    problem = (e as Error).message
    problemKind = e instanceof SettingsKeyErrorMissing ? "settings_key_missing" : "settings_key_mismatch"
  }
  return { options, version, sources, missing: missingCredentials(options), problem, problemKind }
}
