import type { DarajaResult } from "../../../lib/daraja"
import type { MpesaOptions } from "../options"
import type { LedgerRow } from "../types"
import { kes } from "./desk-rules"

/** Daraja's receipt numbers: ten letters and digits (e.g. UBQ7XK2P4M). */
export const RECEIPT_PATTERN = /^[A-Z0-9]{10}$/

export type ReceiptVerdict = { verified: true } | { verified: false; reason: string }

/**
 * Whether M-Pesa's Transaction Status answer proves that `receipt` is the
 * money this payment took: a completed payment (not a reversal) of exactly
 * the amount paid, into this store's shortcode (or till), from the phone the
 * prompt went to where M-Pesa shows the number. A receipt is what a reversal
 * sends money back against, so a wrong one would return a stranger's money.
 */
export function receiptVerdict(
  receipt: string,
  payment: Pick<LedgerRow, "amount" | "paid_amount" | "phone" | "paid_phone">,
  result: Pick<DarajaResult, "resultCode" | "resultDesc" | "transactionId" | "parameters">,
  config: Pick<MpesaOptions, "shortcode" | "transactionType" | "tillNumber">
): ReceiptVerdict {
  const refuse = (reason: string): ReceiptVerdict => ({ verified: false, reason })
  if (result.resultCode === "2032") {
    return refuse(
      `M-Pesa has no transaction ${receipt} that this shortcode can see. Check the receipt number (ten letters and digits, ` +
        "in the M-Pesa Org portal or the shopper's SMS) and add it again."
    )
  }
  if (result.resultCode !== "0") return refuse(`M-Pesa could not check ${receipt}: ${result.resultDesc} (ResultCode ${result.resultCode}).`)
  const p = result.parameters
  const found = String(p.ReceiptNo ?? result.transactionId ?? "").toUpperCase()
  if (found !== receipt) return refuse(`M-Pesa answered about ${found || "another transaction"}, not ${receipt}; nothing was changed.`)
  const status = String(p.TransactionStatus ?? "")
  if (!/^completed$/i.test(status)) return refuse(`M-Pesa says ${receipt} is ${status || "not completed"}, so it is not money this store holds.`)
  if (/reversal/i.test(String(p.ReasonType ?? ""))) return refuse(`${receipt} is a reversal, not a payment.`)
  const paid = payment.paid_amount ?? payment.amount
  if (Number(p.Amount) !== paid) {
    return refuse(`M-Pesa says ${receipt} is for ${kes(Number(p.Amount) || 0)}, but this payment is ${kes(paid)}: it is another payment.`)
  }
  const store = config.transactionType === "till" && config.tillNumber ? config.tillNumber : config.shortcode
  const creditParty = leadingDigits(p.CreditPartyName)
  if (creditParty !== store) {
    return refuse(`M-Pesa says ${receipt} was paid to ${creditParty || "another account"}, not to this store's ${store}.`)
  }
  const debit = String(p.DebitPartyName ?? "")
  const phone = payment.paid_phone ?? payment.phone
  if (!phoneMayMatch(debit, phone)) {
    return refuse(`M-Pesa says ${receipt} was paid from another phone than the one this payment's prompt went to: it is another payment.`)
  }
  return { verified: true }
}

function leadingDigits(value: unknown): string {
  return /^\s*(\d+)/.exec(String(value ?? ""))?.[1] ?? ""
}

/**
 * M-Pesa shows the payer as "2547XXXXXXXX - NAME", often masked ("2547****149 - NAME", the stars not one
 * per digit) or without the number at all; the digits it shows before and after the mask must agree with
 * the start and the end of the phone.
 */
function phoneMayMatch(debitPartyName: string, phone: string): boolean {
  const shown = /^\s*([0-9*]{6,15})\s*(-|$)/.exec(debitPartyName)?.[1]
  if (!shown) return true
  const digits = phone.replace(/\D/g, "")
  const head = shown.split("*")[0]
  const tail = shown.includes("*") ? shown.slice(shown.lastIndexOf("*") + 1) : ""
  return digits.startsWith(head) && digits.endsWith(tail)
}
