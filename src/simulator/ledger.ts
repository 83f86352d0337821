/**
 * Completed payments by M-Pesa receipt number: what Reversal and Transaction Status look up.
 */
import type { StkPrompt, TransactionType } from "./prompts"

export interface PaidTransaction {
  receipt: string
  amount: number
  phoneNumber: string
  shortcode: string
  partyB: string
  merchantName: string | null
  transactionType: TransactionType
  checkoutRequestId: string
  /** Nairobi `YYYYMMDDHHmmss`. */
  transactionDate: string
  /** Set once the payment has been reversed; a receipt can be reversed only once. */
  reversedBy: string | null
}

export class Ledger {
  private readonly byReceipt = new Map<string, PaidTransaction>()

  recordPayment(prompt: StkPrompt): void {
    if (prompt.resultCode !== 0 || !prompt.mpesaReceiptNumber || !prompt.transactionDate) return
    this.byReceipt.set(prompt.mpesaReceiptNumber, {
      receipt: prompt.mpesaReceiptNumber,
      amount: prompt.amount,
      phoneNumber: prompt.phoneNumber,
      shortcode: prompt.shortcode,
      partyB: prompt.partyB,
      merchantName: prompt.merchantName,
      transactionType: prompt.transactionType,
      checkoutRequestId: prompt.checkoutRequestId,
      transactionDate: prompt.transactionDate,
      reversedBy: null,
    })
  }

  find(receipt: string): PaidTransaction | undefined {
    const entry = this.byReceipt.get(receipt)
    return entry ? { ...entry } : undefined
  }

  markReversed(receipt: string, reversalTransactionId: string): void {
    const entry = this.byReceipt.get(receipt)
    if (entry) entry.reversedBy = reversalTransactionId
  }

  clear(): void {
    this.byReceipt.clear()
  }
}
