import type { Logger } from "@medusajs/framework/types"
import { tokenRowKey } from "../../daraja-connection"
import type { Knex } from "../../types"
import { ConfigRuntime } from "../config-runtime"
import { parseMpesaOptions } from "../../options"
import { MINIMAL_OPTIONS } from "../../__tests__/fixtures"
import { resolveEffectiveConfig } from "../effective-config"
import { PAUSED_SHOPPER_MESSAGE, pauseNotice } from "../pause-notice"
import { lastFour, SecretBox } from "../secret-box"
import type { SettingsRow } from "../settings-fields"

const box = new SecretBox("unit-test-settings-key")

function row(overrides: Partial<SettingsRow>): SettingsRow {
  return {
    id: "default",
    version: 1,
    updated_at: null,
    updated_by: null,
    environment: null,
    transaction_type: null,
    shortcode: null,
    till_number: null,
    consumer_key: null,
    account_reference: null,
    transaction_desc: null,
    callback_base_url: null,
    initiator_name: null,
    consumer_secret_enc: null,
    consumer_secret_last4: null,
    passkey_enc: null,
    passkey_last4: null,
    initiator_password_enc: null,
    initiator_password_last4: null,
    ...overrides,
  }
}

describe("SecretBox (AES-256-GCM, v1:iv:tag:ciphertext)", () => {
  it("round-trips, with a fresh IV each time and no plaintext in the sealed value", () => {
    const a = box.seal("passkey-plaintext")
    const b = box.seal("passkey-plaintext")
    expect(a).not.toBe(b)
    expect(a).toMatch(/^v1:[\w-]{16}:[\w-]{22}:[\w-]+$/)
    expect(a).not.toContain("passkey")
    expect(box.open(a)).toBe("passkey-plaintext")
  })

  it("refuses a value sealed under another key or tampered with", () => {
    const sealed = box.seal("secret")
    expect(() => new SecretBox("another-key").open(sealed)).toThrow(/not the key it was saved with/)
    const parts = sealed.split(":")
    parts[3] = Buffer.from("tampered").toString("base64url")
    expect(() => box.open(parts.join(":"))).toThrow(/cannot be decrypted/)
  })

  it("is absent without MPESA_SETTINGS_KEY", () => {
    expect(SecretBox.fromEnv({})).toBeNull()
    expect(SecretBox.fromEnv({ MPESA_SETTINGS_KEY: "  " })).toBeNull()
    expect(SecretBox.fromEnv({ MPESA_SETTINGS_KEY: "k" })).toBeInstanceOf(SecretBox)
  })

  it("shows at most the last four characters, and nothing of short values", () => {
    expect(lastFour("bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919")).toBe("c919")
    expect(lastFour("short")).toBeNull()
  })
})

describe("resolveEffectiveConfig", () => {
  const raw = { ...MINIMAL_OPTIONS }
  const base = parseMpesaOptions(raw)

  it("puts saved values over the options, and labels each value's source", () => {
    const eff = resolveEffectiveConfig({
      base,
      raw,
      row: row({ shortcode: "600100", passkey_enc: box.seal("saved-passkey-value"), passkey_last4: "alue" }),
      box,
    })
    expect(eff.problem).toBeNull()
    expect(eff.options).toMatchObject({ shortcode: "600100", passkey: "saved-passkey-value", consumerKey: "ck" })
    expect(eff.sources).toMatchObject({ shortcode: "saved", passkey: "saved", consumer_key: "environment", account_reference: "default" })
  })

  it("boots without credentials and reports what is missing", () => {
    const bare = parseMpesaOptions({ callbackBaseUrl: MINIMAL_OPTIONS.callbackBaseUrl, callbackSecret: MINIMAL_OPTIONS.callbackSecret })
    const eff = resolveEffectiveConfig({ base: bare, raw: {}, row: null, box })
    expect(eff.missing).toEqual(["consumerKey", "consumerSecret", "shortcode", "passkey"])
  })

  it("reports (and does not use) saved secrets it cannot decrypt", () => {
    const sealed = new SecretBox("the-old-key").seal("saved-passkey-value")
    const eff = resolveEffectiveConfig({ base, raw, row: row({ passkey_enc: sealed }), box })
    expect(eff.problem).toMatch(/MPESA_SETTINGS_KEY is not the key/)
    expect(eff.options.passkey).toBe(MINIMAL_OPTIONS.passkey)
    const noKey = resolveEffectiveConfig({ base, raw, row: row({ passkey_enc: sealed }), box: null })
    expect(noKey.problem).toMatch(/MPESA_SETTINGS_KEY is not set/)
  })

  it("says which kind of problem it is, and the pause notice says what to do without any secret", () => {
    const sealed = new SecretBox("the-old-key").seal("saved-passkey-value")
    const rotated = resolveEffectiveConfig({ base, raw, row: row({ passkey_enc: sealed }), box })
    expect(rotated.problemKind).toBe("settings_key_mismatch")
    const notice = pauseNotice(rotated)!
    expect(notice.fix).toMatch(/Restore the MPESA_SETTINGS_KEY they were saved with and restart Medusa, or enter the passkey again/)
    expect(notice.meanwhile).toMatch(/callbacks .* are still received and stored/)
    expect(JSON.stringify(notice)).not.toMatch(/saved-passkey-value|the-old-key|unit-test-settings-key/)

    const noKey = resolveEffectiveConfig({ base, raw, row: row({ passkey_enc: sealed }), box: null })
    expect(noKey.problemKind).toBe("settings_key_missing")
    expect(pauseNotice(noKey)!.fix).toMatch(/Set MPESA_SETTINGS_KEY back to the value they were saved with/)

    const invalid = resolveEffectiveConfig({ base, raw, row: row({ transaction_type: "till" }), box })
    expect(invalid.problemKind).toBe("invalid_settings")
    expect(pauseNotice(resolveEffectiveConfig({ base, raw, row: row({ shortcode: "600100" }), box }))).toBeNull()
    expect(PAUSED_SHOPPER_MESSAGE).not.toMatch(/key|secret|setting|MPESA_/i)
  })

  it("checks the merged whole (a till needs a till number)", () => {
    const eff = resolveEffectiveConfig({ base, raw, row: row({ transaction_type: "till" }), box })
    expect(eff.problem).toMatch(/till_number: tillNumber is required/)
  })
})

describe("ConfigRuntime while the saved secrets cannot be decrypted", () => {
  it("hands out no Daraja client, tells background work to wait, refuses pushes shortly and logs the fix once", async () => {
    const saved = row({ version: 1, passkey_enc: new SecretBox("the-key-it-was-saved-with").seal("saved-passkey-value") })
    // The two reads SettingsStore makes (version, row), both answered with `saved` as it is at the time.
    const chain = { select: () => chain, where: () => chain, whereNull: () => chain, first: async () => saved }
    const db = (() => () => chain) as unknown as () => Knex
    const lines: string[] = []
    const logger = { error: (m: string) => lines.push(`error ${m}`), warn: (m: string) => lines.push(`warn ${m}`), info: () => {}, debug: () => {} }
    const env: NodeJS.ProcessEnv = { MPESA_SETTINGS_KEY: "a-rotated-key" }
    const raw = { ...MINIMAL_OPTIONS }
    const runtime = new ConfigRuntime(db, () => parseMpesaOptions(raw), raw, logger as unknown as Logger, env)

    await runtime.refresh(true)
    expect(() => runtime.daraja()).toThrow(/M-Pesa is paused: .*not the key it was saved with/)
    expect(runtime.skipWhilePaused("callbacks")).toBe(true)
    expect(runtime.skipWhilePaused("callbacks")).toBe(true)
    expect(() => runtime.assertUsable()).toThrow(PAUSED_SHOPPER_MESSAGE)
    expect(() => runtime.assertNotPaused("Reversing a payment")).toThrow(/Reversing a payment is not possible while M-Pesa is paused/)
    const errors = lines.filter((l) => l.startsWith("error"))
    expect(errors).toHaveLength(1) // the reminder waits PAUSE_REMINDER_MS
    expect(errors[0]).toMatch(/M-Pesa paused: .* Restore the MPESA_SETTINGS_KEY/)
    expect(lines.join("\n")).not.toMatch(/saved-passkey-value|a-rotated-key|the-key-it-was-saved-with/)

    // The key is back (a restart reads the settings again): work resumes with the saved passkey.
    env.MPESA_SETTINGS_KEY = "the-key-it-was-saved-with"
    saved.version = 2
    await runtime.refresh(true)
    expect(runtime.pause()).toBeNull()
    expect(runtime.skipWhilePaused("callbacks")).toBe(false)
    expect(runtime.options().passkey).toBe("saved-passkey-value")
  })
})

describe("the shared token's row", () => {
  it("differs when the environment, consumer key or secret changes (an old token is never reused)", () => {
    const o = parseMpesaOptions(MINIMAL_OPTIONS)
    const keys = new Set([
      tokenRowKey(o),
      tokenRowKey({ ...o, environment: "production" }),
      tokenRowKey({ ...o, consumerKey: "other" }),
      tokenRowKey({ ...o, consumerSecret: "other" }),
    ])
    expect(keys.size).toBe(4)
    expect(tokenRowKey(o)).not.toContain(o.consumerSecret)
  })
})
