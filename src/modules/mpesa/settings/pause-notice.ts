import { MESSAGES } from "../customer-messages"
import type { EffectiveConfig, SettingsProblemKind } from "./effective-config"
import { SETTINGS_KEY_ENV } from "./secret-box"
import { SECRET_FIELD_NAMES, type SecretField } from "./settings-fields"

/**
 * What everyone is told while the saved settings cannot be used (a settings
 * key missing or rotated, or saved values that no longer validate). Then the
 * only credentials at hand are the boot ones (MPESA_* / medusa-config), which
 * may be another Daraja app or none: confirming, polling or reversing with
 * them would silently act on someone else's behalf, or fail and let paid
 * money expire. So work with Daraja pauses instead, and says so plainly.
 */

/** For shoppers: short, nothing about keys, settings or secrets. */
/** The shoppers' one line for every M-Pesa that cannot take payments now (customer-messages.ts). */
export const PAUSED_SHOPPER_MESSAGE = MESSAGES.unavailable

export type PauseNotice = {
  kind: SettingsProblemKind
  /** what is wrong, in plain words */
  problem: string
  /** what the merchant does about it */
  fix: string
  /** what the plugin does meanwhile */
  meanwhile: string
}

const LABELS: Record<SecretField, string> = {
  consumer_secret: "consumer secret",
  passkey: "passkey",
  initiator_password: "initiator password",
}

const MEANWHILE =
  "Nothing is sent to M-Pesa until this is fixed: no payment checks, no reversals, and shoppers cannot start M-Pesa " +
  "payments. Payment callbacks from M-Pesa are still received and stored, and are applied (their orders completed) " +
  "as soon as it is fixed."

export function pauseNotice(effective: Pick<EffectiveConfig, "problem" | "problemKind" | "sources">): PauseNotice | null {
  if (!effective.problem) return null
  const kind = effective.problemKind ?? "invalid_settings"
  const saved = SECRET_FIELD_NAMES.filter((f) => effective.sources[f] === "saved").map((f) => LABELS[f])
  const secrets = saved.length ? saved.join(", ") : "the saved secrets"
  switch (kind) {
    case "settings_key_missing":
      return {
        kind,
        problem: `The M-Pesa credentials saved in Settings -> M-Pesa are stored encrypted, and this server has no key to read them: ${SETTINGS_KEY_ENV} is not set.`,
        fix: `Set ${SETTINGS_KEY_ENV} back to the value they were saved with (the same in every server and worker process) and restart Medusa.`,
        meanwhile: MEANWHILE,
      }
    case "settings_key_mismatch":
      return {
        kind,
        problem: `The M-Pesa credentials saved in Settings -> M-Pesa cannot be decrypted: ${SETTINGS_KEY_ENV} on this server is not the key they were saved with (it was changed, or this process has another one).`,
        fix: `Restore the ${SETTINGS_KEY_ENV} they were saved with and restart Medusa, or enter the ${secrets} again here and save.`,
        meanwhile: MEANWHILE,
      }
    case "invalid_settings":
      return {
        kind,
        problem: `${effective.problem.charAt(0).toUpperCase()}${effective.problem.slice(1)}.`,
        fix: "Correct the fields named and save (or the MPESA_* variables they combine with).",
        meanwhile: MEANWHILE,
      }
  }
}
