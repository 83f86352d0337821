/**
 * Identifiers shaped like the ones Daraja issues, so code that logs, stores or pattern-matches them
 * (column widths, "ws_CO_" prefixes, 10-character receipts) is exercised realistically.
 * Every generator is unique within one simulator process.
 */
import { randomBytes, randomInt } from "node:crypto"

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

function hex(length: number): string {
  return randomBytes(Math.ceil(length / 2)).toString("hex").slice(0, length)
}

function digits(length: number): string {
  let out = ""
  for (let i = 0; i < length; i++) out += String(randomInt(10))
  return out
}

function nairobiParts(at: Date) {
  const eat = new Date(at.getTime() + 3 * 60 * 60 * 1000)
  return {
    year: eat.getUTCFullYear(),
    month: eat.getUTCMonth() + 1,
    day: eat.getUTCDate(),
    time: [eat.getUTCHours(), eat.getUTCMinutes(), eat.getUTCSeconds()].map((n) => String(n).padStart(2, "0")).join(""),
    ms: String(eat.getUTCMilliseconds()).padStart(3, "0"),
  }
}

export class IdFactory {
  private readonly issuedReceipts = new Set<string>()
  private sequence = 0

  /** e.g. "2654-4b64-97ff-b827b542881d3130" (Daraja's API-proxy format). */
  merchantRequestId(): string {
    return `${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}${digits(4)}`
  }

  /** e.g. "ws_CO_10072024091526171723961921": date, time, millis, then a sequence to guarantee uniqueness. */
  checkoutRequestId(at: Date = new Date()): string {
    const p = nairobiParts(at)
    const date = `${String(p.day).padStart(2, "0")}${String(p.month).padStart(2, "0")}${p.year}`
    this.sequence += 1
    return `ws_CO_${date}${p.time}${p.ms}${digits(6)}${this.sequence}`
  }

  /**
   * A 10-character receipt like "NLJ7RT61SV". Real receipts encode the date in the first three
   * characters (year letter from 2006 = A, month letter, day in base 36); copying that makes
   * simulated receipts sort and read like real ones in merchant reports.
   */
  receiptNumber(at: Date = new Date()): string {
    const prefix = this.receiptPrefix(at)
    for (;;) {
      let rest = ""
      for (let i = 0; i < 7; i++) rest += ALNUM[randomInt(ALNUM.length)]
      const receipt = prefix + rest
      if (!this.issuedReceipts.has(receipt)) {
        this.issuedReceipts.add(receipt)
        return receipt
      }
    }
  }

  /** The TransactionID Daraja puts on failed Results: the date prefix and zeros, e.g. "SKE0000000". */
  placeholderTransactionId(at: Date = new Date()): string {
    return this.receiptPrefix(at) + "0000000"
  }

  private receiptPrefix(at: Date): string {
    const p = nairobiParts(at)
    return ALNUM[Math.min(25, Math.max(0, p.year - 2006))] + ALNUM[p.month - 1] + p.day.toString(36).toUpperCase()
  }

  /** e.g. "AG_20180223_0000493344ae97d86f75". */
  conversationId(at: Date = new Date()): string {
    const p = nairobiParts(at)
    return `AG_${p.year}${String(p.month).padStart(2, "0")}${String(p.day).padStart(2, "0")}_${hex(20)}`
  }

  /** e.g. "3124-481d-b706-10bdd6fbc8e21792398". */
  originatorConversationId(): string {
    return `${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}${digits(7)}`
  }

  /** Daraja access tokens are 28 letters and digits, e.g. "c9SQxWWhmdVRlyh0zh8gZDTkubVF". */
  accessToken(): string {
    const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    let token = ""
    for (let i = 0; i < 28; i++) token += chars[randomInt(chars.length)]
    return token
  }
}
