/**
 * The checks STK push and STK query share after field validation: the Timestamp is current Nairobi
 * time (strict `timestampWindow` only), the shortcode is a merchant we know, and
 * Password = base64(shortcode + passkey + timestamp).
 */
import { createHash, timingSafeEqual } from "node:crypto"
import { isFreshTimestamp } from "./clock"
import type { MerchantConfig } from "./options"
import { errors, invalidField, type Reply } from "./replies"

export function stkPassword(shortcode: string, passkey: string, timestamp: string): string {
  return Buffer.from(shortcode + passkey + timestamp, "utf8").toString("base64")
}

export type MerchantCheck = { ok: true; merchant: MerchantConfig } | { ok: false; reply: Reply }

export interface MerchantAuthRules {
  /** Reject a Timestamp more than TIMESTAMP_TOLERANCE_MS from Nairobi now (the strict profile). */
  timestampWindow: boolean
}

export function authenticateMerchant(
  merchants: readonly MerchantConfig[],
  request: { shortcode: string; timestamp: string; password: unknown },
  rules: MerchantAuthRules = { timestampWindow: false },
  now: Date = new Date(),
): MerchantCheck {
  // Strict only: a UTC timestamp (three hours off) is reported to fail against Daraja, yet Safaricom's own
  // sample library sends one. Leniently, any real YYYYMMDDHHmmss passes (the field schema checked that);
  // the Password must still be built from the very timestamp sent.
  if (rules.timestampWindow && !isFreshTimestamp(request.timestamp, now)) return { ok: false, reply: invalidField("Timestamp") }
  const merchant = merchants.find((m) => m.shortcode === request.shortcode)
  if (!merchant) return { ok: false, reply: errors.merchantDoesNotExist() }
  const expected = stkPassword(merchant.shortcode, merchant.passkey, request.timestamp)
  if (typeof request.password !== "string" || !sameText(request.password, expected)) {
    return { ok: false, reply: errors.wrongCredentials() }
  }
  return { ok: true, merchant }
}

// Hashing first gives equal-length buffers, so timingSafeEqual never throws on a length mismatch.
function sameText(a: string, b: string): boolean {
  const ha = createHash("sha256").update(a).digest()
  const hb = createHash("sha256").update(b).digest()
  return timingSafeEqual(ha, hb)
}
