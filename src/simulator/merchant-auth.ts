/**
 * The checks STK push and STK query share after field validation: the Timestamp is current Nairobi
 * time, the shortcode is a merchant we know, and Password = base64(shortcode + passkey + timestamp).
 */
import { createHash, timingSafeEqual } from "node:crypto"
import { isFreshTimestamp } from "./clock"
import type { MerchantConfig } from "./options"
import { errors, invalidField, type Reply } from "./replies"

export function stkPassword(shortcode: string, passkey: string, timestamp: string): string {
  return Buffer.from(shortcode + passkey + timestamp, "utf8").toString("base64")
}

export type MerchantCheck = { ok: true; merchant: MerchantConfig } | { ok: false; reply: Reply }

export function authenticateMerchant(
  merchants: readonly MerchantConfig[],
  request: { shortcode: string; timestamp: string; password: unknown },
  now: Date = new Date(),
): MerchantCheck {
  // A UTC timestamp (three hours off) is the classic cause of failed pushes; reject it like Daraja.
  if (!isFreshTimestamp(request.timestamp, now)) return { ok: false, reply: invalidField("Timestamp") }
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
