/**
 * Kenyan mobile number rules, shared by the server (push initiation, prompt limits) and the storefront
 * client (inline validation before Pay). Pure on purpose: no imports, so a browser bundle of the
 * storefront entry points pulls in nothing else of the server.
 */

/** What a shopper (and a 400 answer) is told when a number does not pass. */
export const PHONE_RULE = "must be a Kenyan mobile number such as 0712345678 or 254712345678"

// Separators people type or paste: spaces (incl. non-breaking), dashes, dots and parentheses.
const SEPARATORS = /[\s\-.()\u00a0]/g

// After the optional country code or trunk 0, a Kenyan mobile number is 7XXXXXXXX or 1XXXXXXXX (Safaricom's
// 011x range). Operator prefixes are not checked: numbers are portable and Daraja rejects non-M-Pesa lines itself.
const MOBILE = /^(?:\+?254|0)?([71]\d{8})$/

/** The 2547XXXXXXXX / 2541XXXXXXXX form Daraja wants in PartyA and PhoneNumber, or null when the input is not one. */
export function parseKenyanPhone(input: unknown): string | null {
  if (typeof input !== "string") return null
  const match = MOBILE.exec(input.trim().replace(SEPARATORS, ""))
  return match ? `254${match[1]}` : null
}

/** For logs and receipts: keeps the country/network prefix and the last 4 digits, e.g. 2547****5678. */
export function maskPhone(msisdn: string): string {
  const s = String(msisdn)
  if (s.length <= 8) return "*".repeat(s.length)
  return `${s.slice(0, 4)}${"*".repeat(s.length - 8)}${s.slice(-4)}`
}
