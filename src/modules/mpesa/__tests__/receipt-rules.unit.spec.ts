import { receiptVerdict } from "../refunds/receipt-rules"

/** A payment confirmed by STK Query: KES 1,700 from 254708374149 to paybill 174379. */
const payment = { amount: 1700, paid_amount: 1700, phone: "254708374149", paid_phone: null }
const config = { shortcode: "174379", transactionType: "paybill" as const, tillNumber: undefined }

function completed(overrides: Record<string, string | number> = {}) {
  return {
    resultCode: "0",
    resultDesc: "The service request is processed successfully.",
    transactionId: "UBQ7XK2P4M",
    parameters: {
      ReceiptNo: "UBQ7XK2P4M",
      TransactionStatus: "Completed",
      ReasonType: "Pay Bill Online",
      Amount: 1700,
      CreditPartyName: "174379 - Demo Shop",
      DebitPartyName: "254708374149 - JANE DOE",
      ...overrides,
    },
  }
}

describe("a receipt the admin adds is this payment's money only if M-Pesa says so", () => {
  it("accepts a completed payment of the amount, to this shortcode, from the prompted phone (masked or not)", () => {
    expect(receiptVerdict("UBQ7XK2P4M", payment, completed(), config)).toEqual({ verified: true })
    expect(receiptVerdict("UBQ7XK2P4M", payment, completed({ DebitPartyName: "2547****149 - JANE DOE" }), config)).toEqual({ verified: true })
    expect(receiptVerdict("UBQ7XK2P4M", payment, completed({ DebitPartyName: "JANE DOE" }), config)).toEqual({ verified: true })
  })

  it.each([
    ["an unknown receipt", { resultCode: "2032" }, /no transaction UBQ7XK2P4M/],
    ["another amount", { parameters: { Amount: 500 } }, /KES 500, but this payment is KES 1,700/],
    ["another shortcode", { parameters: { CreditPartyName: "600000 - Other Shop" } }, /paid to 600000, not to this store's 174379/],
    ["another phone", { parameters: { DebitPartyName: "2547****150 - JOHN" } }, /another phone/],
    ["a reversal", { parameters: { ReasonType: "Reversal" } }, /is a reversal/],
    ["a pending transaction", { parameters: { TransactionStatus: "Pending" } }, /is Pending/],
    ["another receipt", { parameters: { ReceiptNo: "UBQ7XK2P4N" } }, /about UBQ7XK2P4N, not UBQ7XK2P4M/],
  ])("refuses %s, saying why", (_name, change, reason) => {
    const base = completed()
    const result = {
      ...base,
      ...("resultCode" in change ? { resultCode: change.resultCode as string } : {}),
      parameters: { ...base.parameters, ...("parameters" in change ? change.parameters : {}) },
    }
    const verdict = receiptVerdict("UBQ7XK2P4M", payment, result, config)
    expect(verdict.verified).toBe(false)
    expect(verdict.verified ? "" : verdict.reason).toMatch(reason)
  })

  it("checks a till store's payments against its till number", () => {
    const till = { shortcode: "174379", transactionType: "till" as const, tillNumber: "5123456" }
    expect(receiptVerdict("UBQ7XK2P4M", payment, completed({ CreditPartyName: "5123456 - Demo Till" }), till)).toEqual({ verified: true })
    expect(receiptVerdict("UBQ7XK2P4M", payment, completed(), till).verified).toBe(false)
  })
})
