/**
 * AccountReference (max 12) and TransactionDesc (max 13) are shown in the USSD prompt. Daraja documents them as
 * alphanumeric; anything else risks a 400.002.02 "Invalid AccountReference" or an over-long prompt (1025).
 * We keep ASCII letters, digits, single spaces and hyphens, strip accents (é -> e) rather than dropping letters,
 * and never return an empty string because an empty AccountReference is rejected.
 */
export const ACCOUNT_REFERENCE_MAX = 12
export const TRANSACTION_DESC_MAX = 13

function sanitize(input: string, max: number, fallback: string): string {
  const cleaned = String(input ?? "")
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "") // combining accents left by NFKD
    .replace(/[^A-Za-z0-9 -]+/g, " ")
    .replace(/\s+/g, " ")
    .replace(/^[\s-]+|[\s-]+$/g, "")
  // Trim again after cutting so the value never ends in a space or hyphen.
  const cut = cleaned.slice(0, max).replace(/[\s-]+$/g, "")
  return cut.length > 0 ? cut : fallback
}

export function sanitizeAccountReference(s: string): string {
  return sanitize(s, ACCOUNT_REFERENCE_MAX, "Order")
}

export function sanitizeTransactionDesc(s: string): string {
  return sanitize(s, TRANSACTION_DESC_MAX, "Payment")
}
