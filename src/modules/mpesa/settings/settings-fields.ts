import type { MpesaOptions } from "../options"

/**
 * The fields a merchant can save in Settings -> M-Pesa: their name in the
 * admin API (snake_case), the module option they override and whether they
 * are secret (stored encrypted, write-only). Everything else (callback
 * secret, timings, limits, base URL) stays in medusa-config / MPESA_*.
 */
export const PLAIN_FIELDS = {
  environment: "environment",
  transaction_type: "transactionType",
  shortcode: "shortcode",
  till_number: "tillNumber",
  consumer_key: "consumerKey",
  account_reference: "accountReference",
  transaction_desc: "transactionDesc",
  callback_base_url: "callbackBaseUrl",
  initiator_name: "initiatorName",
} as const satisfies Record<string, keyof MpesaOptions>

export const SECRET_FIELDS = {
  consumer_secret: "consumerSecret",
  passkey: "passkey",
  initiator_password: "initiatorPassword",
} as const satisfies Record<string, keyof MpesaOptions>

export type PlainField = keyof typeof PLAIN_FIELDS
export type SecretField = keyof typeof SECRET_FIELDS
export type SettingsField = PlainField | SecretField

export const PLAIN_FIELD_NAMES = Object.keys(PLAIN_FIELDS) as PlainField[]
export const SECRET_FIELD_NAMES = Object.keys(SECRET_FIELDS) as SecretField[]

/**
 * A save: a plain field given as null is cleared (the option / default applies
 * again); a secret given as "" or left out keeps the stored one, and
 * `clear_secrets` removes stored ones. Fields left out are kept.
 */
export type SettingsPatch = Partial<Record<PlainField, string | null>> &
  Partial<Record<SecretField, string>> & { clear_secrets?: SecretField[] }

/** The stored row (mpesa_setting). */
export type SettingsRow = {
  id: string
  version: number
  updated_at: Date | null
  updated_by: string | null
} & Record<PlainField, string | null> &
  Record<`${SecretField}_enc` | `${SecretField}_last4`, string | null>

/** Where an effective value comes from. */
export type ValueSource = "saved" | "environment" | "default"
