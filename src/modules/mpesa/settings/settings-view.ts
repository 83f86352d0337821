import { DARAJA_BASE_URLS } from "../../../lib/daraja"
import { callbackUrlPattern } from "../callbacks/callback-url"
import type { MpesaOptions } from "../options"
import { initiatorCredentials } from "../refunds/reversal-credentials"
import type { EffectiveConfig } from "./effective-config"
import { pauseNotice, type PauseNotice } from "./pause-notice"
import { fieldForOption } from "./effective-config"
import { lastFour, SETTINGS_KEY_ENV } from "./secret-box"
import {
  PLAIN_FIELDS,
  PLAIN_FIELD_NAMES,
  SECRET_FIELDS,
  SECRET_FIELD_NAMES,
  type PlainField,
  type SecretField,
  type SettingsRow,
  type ValueSource,
} from "./settings-fields"

export type PlainValueView = { value: string | null; source: ValueSource }
/** A secret as the admin sees it: whether it is set and its last four characters, never the value. */
export type SecretValueView = { set: boolean; ending: string | null; source: ValueSource }

export type SettingsView = {
  version: number
  updated_at: string | null
  fields: Record<PlainField, PlainValueView> & Record<SecretField, SecretValueView>
  /** the exact URL Daraja is given, per-push parts as placeholders */
  callback_url: string
  daraja_base_url: string
  settings_key: { present: boolean; variable: string }
  /** admin field names of credentials set nowhere */
  missing: string[]
  problem: string | null
  /**
   * Set while work with Daraja is paused because the saved settings cannot be
   * used: what is wrong, what to do, and how many stored callbacks wait for it.
   */
  paused: (PauseNotice & { callbacks_waiting: number }) | null
  configured: boolean
  /** whether refunds can go through Daraja's Reversal API, and what is missing if not (never a value) */
  refunds: { ready: boolean; detail: string }
}

export function toSettingsView(
  effective: EffectiveConfig,
  row: SettingsRow | null,
  settingsKeyPresent: boolean,
  callbacksWaiting = 0
): SettingsView {
  const o: MpesaOptions = effective.options
  const fields = {} as SettingsView["fields"]
  for (const field of PLAIN_FIELD_NAMES) {
    const value = o[PLAIN_FIELDS[field]]
    fields[field] = { value: value === undefined || value === "" ? null : String(value), source: effective.sources[field] }
  }
  for (const field of SECRET_FIELD_NAMES) {
    const source = effective.sources[field]
    const value = o[SECRET_FIELDS[field]]
    const ending = source === "saved" ? (row?.[`${field}_last4`] ?? null) : value ? lastFour(String(value)) : null
    fields[field] = { set: Boolean(value) || source === "saved", ending, source }
  }
  return {
    version: effective.version < 0 ? 0 : effective.version,
    updated_at: row?.updated_at ? new Date(row.updated_at).toISOString() : null,
    fields,
    callback_url: o.callbackBaseUrl ? callbackUrlPattern(o) : "",
    daraja_base_url: o.baseUrl ?? DARAJA_BASE_URLS[o.environment],
    settings_key: { present: settingsKeyPresent, variable: SETTINGS_KEY_ENV },
    missing: effective.missing.map(fieldForOption),
    problem: effective.problem,
    paused: withWaiting(pauseNotice(effective), callbacksWaiting),
    configured: !effective.problem && effective.missing.length === 0,
    refunds: refundReadiness(o),
  }
}

function withWaiting(notice: PauseNotice | null, callbacksWaiting: number): SettingsView["paused"] {
  return notice ? { ...notice, callbacks_waiting: callbacksWaiting } : null
}

function refundReadiness(o: MpesaOptions): SettingsView["refunds"] {
  try {
    const credentials = initiatorCredentials(o)
    return {
      ready: true,
      detail:
        "securityCredential" in credentials
          ? `Initiator ${credentials.initiator}, with a ready security credential (MPESA_SECURITY_CREDENTIAL).`
          : `Initiator ${credentials.initiator}; its password is encrypted with the ${o.environment} certificate (MPESA_CERTIFICATE_PATH).`,
    }
  } catch (e) {
    return { ready: false, detail: (e as Error).message.replace(/^\w+: /, "") }
  }
}
