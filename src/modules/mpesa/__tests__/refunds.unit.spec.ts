import { resultUrl, verifyResultPath } from "../callbacks/result-url"
import { parseMpesaOptions } from "../options"
import { initiatorCredentials } from "../refunds/reversal-credentials"
import { reversalFailureReason } from "../refunds/refund-reasons"
import { toAdminTransactionView } from "../admin-views"
import type { LedgerRow, RefundRow } from "../types"
import { MINIMAL_OPTIONS } from "./fixtures"

const options = parseMpesaOptions(MINIMAL_OPTIONS)

describe("Result URLs (Reversal / Transaction Status)", () => {
  const requestId = "mpesarq_01JABCDEFGHJKMNPQRSTVWXYZ0"

  it("name one request and one kind of answer, and never carry the secret or the word mpesa", () => {
    const url = resultUrl(options, "reversal", requestId)
    expect(url).toMatch(/^https:\/\/shop\.example\.co\.ke\/hooks\/lipa\/result\/reversal\/01JABCDEFGHJKMNPQRSTVWXYZ0\/[A-Za-z0-9_-]{32}$/)
    expect(url).not.toMatch(/mpesa/i)
    expect(url).not.toContain(options.callbackSecret)
    const [, , , , , , kind, ref, sig] = url.split("/")
    expect(verifyResultPath(options.callbackSecret, kind, ref, sig)).toEqual({ requestId, kind: "reversal_result" })
  })

  it("refuse a signature made for another kind, another request or another secret", () => {
    const [, , , , , , , ref, sig] = resultUrl(options, "reversal", requestId).split("/")
    expect(verifyResultPath(options.callbackSecret, "status", ref, sig)).toBeNull()
    expect(verifyResultPath(options.callbackSecret, "reversal", "01JABCDEFGHJKMNPQRSTVWXYZ1", sig)).toBeNull()
    expect(verifyResultPath("another-secret-value-0123456789", "reversal", ref, sig)).toBeNull()
    expect(verifyResultPath(options.callbackSecret, "reversal", ref, sig.slice(1))).toBeNull()
    expect(verifyResultPath(options.callbackSecret, "__proto__", ref, sig)).toBeNull()
  })
})

describe("initiator credentials", () => {
  it("name what is missing, never a value", () => {
    expect(() => initiatorCredentials(options)).toThrow(/^initiatorName: .*Org Reversals Initiator/)
    const named = parseMpesaOptions({ ...MINIMAL_OPTIONS, initiatorName: "api-op" })
    expect(() => initiatorCredentials(named)).toThrow(/^initiatorPassword:/)
    const noCert = parseMpesaOptions({ ...MINIMAL_OPTIONS, initiatorName: "api-op", initiatorPassword: "pw-secret-value" })
    expect(() => initiatorCredentials(noCert)).toThrow(/^certificatePem: .*sandbox certificate.*MPESA_CERTIFICATE_PATH/)
    try {
      initiatorCredentials(noCert)
    } catch (e) {
      expect((e as Error).message).not.toContain("pw-secret-value")
    }
  })

  it("prefer a ready security credential over password + certificate", () => {
    const ready = parseMpesaOptions({ ...MINIMAL_OPTIONS, initiatorName: "api-op", initiatorPassword: "pw", securityCredential: "A".repeat(344) })
    expect(initiatorCredentials(ready)).toEqual({ initiator: "api-op", securityCredential: "A".repeat(344) })
  })

  it("reject a certificate that is not PEM at boot, naming the option", () => {
    expect(() => parseMpesaOptions({ ...MINIMAL_OPTIONS, certificatePem: "not a pem" })).toThrow(/certificatePem: certificatePem must be a PEM/)
  })
})

describe("reversal failure reasons", () => {
  it("say what to do for known codes and quote Daraja for the rest", () => {
    expect(reversalFailureReason("1", "The balance is insufficient for the transaction.")).toMatch(/balance cannot cover the reversal/)
    expect(reversalFailureReason("2001", null)).toMatch(/initiator name and password/)
    expect(reversalFailureReason("R000002", null)).toMatch(/does not know this receipt/)
    expect(reversalFailureReason("9999", "Something odd happened.")).toBe(
      "M-Pesa did not reverse the payment: Something odd happened (ResultCode 9999)."
    )
  })
})

describe("admin actions on a paid payment", () => {
  const base = {
    id: "mpesatx_1",
    status: "paid",
    amount: 1700,
    paid_amount: 1700,
    refunded_amount: 0,
    unmatched: true,
    completed_at: null,
    mpesa_receipt_number: "UKOEA65ZHW",
    phone: "254722000111",
    created_at: new Date(),
    updated_at: new Date(),
    expires_at: new Date(),
  } as unknown as LedgerRow
  const refund = (r: Partial<RefundRow>) =>
    ({ id: "mpesarf_1", transaction_id: "mpesatx_1", kind: "reversal", status: "requested", amount: 1700, created_at: new Date(), ...r }) as RefundRow

  it("unmatched money: reverse, attach or record a refund made outside", () => {
    expect(toAdminTransactionView(base).actions).toEqual({ reverse: true, attach: true, record_outside_max: 1700, open_reversal_id: null, add_receipt: false })
  })

  it("while a reversal is on its way, or after it: nothing else", () => {
    for (const status of ["sending", "requested", "unknown", "completed"] as const) {
      expect(toAdminTransactionView(base, [refund({ status })]).actions).toMatchObject({ reverse: false, attach: false, record_outside_max: 0 })
      // A reversal still waiting can be checked again or closed as returned.
      expect(toAdminTransactionView(base, [refund({ status })]).actions.open_reversal_id).toBe(status === "completed" ? null : "mpesarf_1")
    }
    expect(toAdminTransactionView(base, [refund({ status: "failed" })]).actions).toEqual({
      reverse: true,
      attach: true,
      record_outside_max: 1700,
      open_reversal_id: null,
      add_receipt: false,
    })
  })

  it("an order's payment: only a refund made outside, up to what is left; none while its order is being created", () => {
    const order = { ...base, unmatched: false, completed_at: new Date(), refunded_amount: 500 } as LedgerRow
    expect(toAdminTransactionView(order).actions).toEqual({ reverse: false, attach: false, record_outside_max: 1200, open_reversal_id: null, add_receipt: false })
    expect(toAdminTransactionView({ ...order, completed_at: null }).actions.record_outside_max).toBe(0)
  })

  it("paid for a cart whose order could not be created: Reverse and Record outside after the first failed attempt, none while one runs", () => {
    const stuck = { ...base, unmatched: false, completed_at: null, completion_attempts: 1 } as LedgerRow
    expect(toAdminTransactionView(stuck).actions).toMatchObject({ reverse: true, attach: false, record_outside_max: 1700 })
    const running = { ...stuck, completion_locked_until: new Date(Date.now() + 60_000) } as LedgerRow
    expect(toAdminTransactionView(running).actions).toMatchObject({ reverse: false, record_outside_max: 0 })
  })

  it("confirmed by a status query (no receipt): Add receipt and Record outside, never Reverse", () => {
    const queried = { ...base, unmatched: false, completed_at: new Date(), mpesa_receipt_number: null } as LedgerRow
    expect(toAdminTransactionView(queried).actions).toMatchObject({ reverse: false, add_receipt: true, record_outside_max: 1700 })
    expect(toAdminTransactionView({ ...queried, refunded_amount: 1700 }).actions.add_receipt).toBe(false)
  })

  it("while an admin attaches the money to a cart: no Reverse and no Record outside (one decision per shilling)", () => {
    const attaching = { ...base, attach_collection_id: "pay_col_1", attach_requested_by: "admin:user_1", attach_requested_at: new Date() } as LedgerRow
    expect(toAdminTransactionView(attaching).actions).toMatchObject({ reverse: false, attach: true, record_outside_max: 0 })
    // A request whose workflow died long ago no longer holds the money.
    const stale = { ...attaching, attach_requested_at: new Date(Date.now() - 6 * 60_000) } as LedgerRow
    expect(toAdminTransactionView(stale).actions).toMatchObject({ reverse: true, record_outside_max: 1700 })
  })
})
