import { MedusaError, PaymentActions, PaymentSessionStatus } from "@medusajs/framework/utils"
import { MpesaProviderService } from "../service"
import type { MpesaPaymentView } from "../../../modules/mpesa"

/** The least a store configures (the module's own fixtures are internal to it). */
const OPTIONS = {
  consumerKey: "ck",
  consumerSecret: "consumer-secret-value",
  shortcode: "174379",
  passkey: "passkey-secret-value",
  callbackBaseUrl: "https://shop.example.co.ke",
  callbackSecret: "callback-secret-value-0123456789",
}

function view(overrides: Partial<MpesaPaymentView> = {}): MpesaPaymentView {
  return {
    transaction_id: "mpesatx_1",
    session_id: "payses_1",
    payment_collection_id: "paycol_1",
    state: "pending",
    checkout_request_id: "ws_CO_1",
    phone: "2547****5678",
    amount: 1700,
    currency_code: "kes",
    result_code: null,
    message: "Check your phone",
    retryable: false,
    mpesa_receipt_number: null,
    expires_at: "2026-11-24T12:00:00.000Z",
    settled_at: null,
    unmatched: false,
    completed_at: null,
    needs_attention: null,
    ...overrides,
  }
}

/** The provider is an adapter: the `mpesa` module stands in here by its interface. */
function providerWith(module: Record<string, jest.Mock>) {
  return new MpesaProviderService({ mpesa: module } as never, OPTIONS)
}

describe("MpesaProviderService", () => {
  describe("validateOptions", () => {
    it("accepts complete options", () => {
      expect(() => MpesaProviderService.validateOptions(OPTIONS)).not.toThrow()
    })

    it("accepts options without credentials (they can be saved in Settings -> M-Pesa)", () => {
      const { consumerKey, consumerSecret, shortcode, passkey, ...rest } = OPTIONS
      expect(() => MpesaProviderService.validateOptions({ ...rest, consumerKey: "" })).not.toThrow()
    })

    it.each([
      [{ ...OPTIONS, shortcode: "12ab" }, /shortcode: shortcode must be 5-7 digits/],
      [{ ...OPTIONS, transactionType: "till" }, /tillNumber: tillNumber is required when transactionType is till/],
      [{ ...OPTIONS, callbackSecret: "short" }, /callbackSecret: callbackSecret must be 24-128 URL-safe characters/],
      [{ ...OPTIONS, callbackBaseUrl: "https://mpesa-shop.example.com" }, /callbackBaseUrl: .*must not contain "mpesa"/],
      [{ ...OPTIONS, environment: "production", callbackBaseUrl: "http://shop.example.com" }, /callbackBaseUrl must use https in production/],
    ])("rejects %o naming the field", (options, message) => {
      expect(() => MpesaProviderService.validateOptions(options)).toThrow(message)
    })

    it("never echoes a secret value in its error", () => {
      let message = ""
      try {
        MpesaProviderService.validateOptions({ ...OPTIONS, shortcode: "12ab" })
      } catch (e) {
        message = (e as Error).message
      }
      expect(message).toMatch(/shortcode/)
      for (const secret of [OPTIONS.consumerSecret, OPTIONS.passkey, OPTIONS.callbackSecret]) {
        expect(message).not.toContain(secret)
      }
    })
  })

  it("initiates with the phone from data.phone, falling back to data.phone_number, and returns only safe data", async () => {
    const initiateStkPush = jest.fn().mockResolvedValue(view())
    const provider = providerWith({ initiateStkPush })
    const out = await provider.initiatePayment({
      amount: 1700,
      currency_code: "kes",
      data: { session_id: "payses_1", phone_number: "0712345678" },
    })
    expect(initiateStkPush).toHaveBeenCalledWith({
      sessionId: "payses_1",
      collectionToken: undefined,
      amount: 1700,
      currencyCode: "kes",
      phone: "0712345678",
    })
    expect(out.status).toBe(PaymentSessionStatus.PENDING)
    expect(out.data).toMatchObject({ session_id: "payses_1", checkout_request_id: "ws_CO_1", phone_masked: "2547****5678", amount_kes: 1700 })
    const text = JSON.stringify(out)
    for (const secret of [OPTIONS.consumerSecret, OPTIONS.passkey, OPTIONS.callbackSecret]) {
      expect(text).not.toContain(secret)
    }
  })

  it.each([
    ["paid", false, PaymentSessionStatus.CAPTURED],
    ["paid", true, PaymentSessionStatus.CANCELED],
    ["pending", false, PaymentSessionStatus.PENDING],
    ["indeterminate", false, PaymentSessionStatus.PENDING],
    ["canceled", false, PaymentSessionStatus.CANCELED],
    ["failed", false, PaymentSessionStatus.ERROR],
    ["expired", false, PaymentSessionStatus.ERROR],
  ] as const)("authorizePayment maps ledger state %s (unmatched %s) to %s and keeps input data", async (state, unmatched, status) => {
    const refreshIfOverdue = jest.fn().mockResolvedValue(view({ state, unmatched }))
    const provider = providerWith({ refreshIfOverdue })
    const out = await provider.authorizePayment({ data: { session_id: "payses_1", phone: "0712345678" } })
    expect(refreshIfOverdue).toHaveBeenCalledWith("payses_1")
    expect(out.status).toBe(status)
    expect(out.data).toMatchObject({ phone: "0712345678", mpesa_state: state })
  })

  it("scenario 4: finds its ledger row from context.idempotency_key when Medusa never saved our session data (crash after the push)", async () => {
    const refreshIfOverdue = jest.fn().mockResolvedValue(view({ state: "paid" }))
    const getPaymentBySession = jest.fn().mockResolvedValue(view({ state: "paid" }))
    const provider = providerWith({ refreshIfOverdue, getPaymentBySession })
    // What Medusa passes when the session row kept only the storefront's input.
    const out = await provider.authorizePayment({ data: { phone: "0712345678" }, context: { idempotency_key: "payses_1" } })
    expect(refreshIfOverdue).toHaveBeenCalledWith("payses_1")
    expect(out.status).toBe(PaymentSessionStatus.CAPTURED)
    await provider.getPaymentStatus({ data: {}, context: { idempotency_key: "payses_1" } } as never)
    expect(getPaymentBySession).toHaveBeenCalledWith("payses_1")
  })

  it("trusts Medusa's idempotency key over a session id a storefront could write into data", async () => {
    const refreshIfOverdue = jest.fn().mockResolvedValue(view())
    const provider = providerWith({ refreshIfOverdue })
    await provider.authorizePayment({ data: { session_id: "payses_victim" }, context: { idempotency_key: "payses_1" } })
    expect(refreshIfOverdue).toHaveBeenCalledWith("payses_1")
  })

  it("passes the session data's collection token to the module and keeps the token the module signed in the session data", async () => {
    const initiateStkPush = jest.fn().mockResolvedValue({ ...view(), collection_token: "paycol_1.sig" })
    // Nothing but the module: the provider no longer reads the payment module's internal services.
    const provider = new MpesaProviderService({ mpesa: { initiateStkPush } } as never, OPTIONS)
    const out = await provider.initiatePayment({
      amount: 1700,
      currency_code: "kes",
      data: { session_id: "payses_1", phone: "0712345678", mpesa_collection_token: "paycol_1.sig" },
    })
    expect(initiateStkPush).toHaveBeenCalledWith(expect.objectContaining({ sessionId: "payses_1", collectionToken: "paycol_1.sig" }))
    expect(initiateStkPush.mock.calls[0][0]).not.toHaveProperty("paymentCollectionId")
    expect(out.data).toMatchObject({ mpesa_collection_token: "paycol_1.sig" })
  })

  it("authorizePayment answers error for a session the ledger does not know", async () => {
    const provider = providerWith({ refreshIfOverdue: jest.fn().mockResolvedValue(null) })
    expect((await provider.authorizePayment({ data: { session_id: "payses_x" } })).status).toBe(PaymentSessionStatus.ERROR)
  })

  it("updatePayment keeps the prompt's amount (same rounding as the push) and refuses a different one", async () => {
    const getPaymentBySession = jest.fn().mockResolvedValue(view({ amount: 1700 }))
    const provider = providerWith({ getPaymentBySession })
    const same = await provider.updatePayment({ amount: 1699.6, currency_code: "kes", data: { session_id: "payses_1" } })
    expect(same.status).toBe(PaymentSessionStatus.PENDING)
    await expect(
      provider.updatePayment({ amount: 1800, currency_code: "kes", data: { session_id: "payses_1" } })
    ).rejects.toThrow(/amount: an M-Pesa prompt cannot change amount/)
  })

  it("capturePayment is a no-op that keeps data", async () => {
    const provider = providerWith({})
    expect(await provider.capturePayment({ data: { a: 1 } })).toEqual({ data: { a: 1 } })
  })

  it("deletePayment and cancelPayment close the session on the ledger (a prompt cannot be recalled)", async () => {
    const closeSession = jest.fn().mockResolvedValue(view({ state: "pending" }))
    const provider = providerWith({ closeSession })
    await provider.deletePayment({ data: { session_id: "payses_1" } })
    await provider.cancelPayment({ data: { session_id: "payses_1" } })
    expect(closeSession).toHaveBeenCalledTimes(2)
  })

  describe("refundPayment", () => {
    it("hands Medusa's refund id, the session and the amount to the module, and keeps the payment data", async () => {
      const refundFromMedusa = jest.fn().mockResolvedValue({ id: "mpesarf_1", status: "completed" })
      const provider = providerWith({ refundFromMedusa })
      const data = { session_id: "payses_1", checkout_request_id: "ws_CO_1", mpesa_receipt_number: "UKOEA65ZHW" }
      const out = await provider.refundPayment({ amount: 1700, data, context: { idempotency_key: "ref_1" } })
      expect(refundFromMedusa).toHaveBeenCalledWith({
        sessionId: "payses_1",
        checkoutRequestId: "ws_CO_1",
        amount: 1700,
        medusaRefundId: "ref_1",
      })
      expect(out).toEqual({ data })
    })

    it("passes the module's refusal through, so Medusa records nothing", async () => {
      const refusal = new MedusaError(MedusaError.Types.NOT_ALLOWED, "amount: M-Pesa reverses whole payments only")
      const provider = providerWith({ refundFromMedusa: jest.fn().mockRejectedValue(refusal) })
      await expect(
        provider.refundPayment({ amount: 100, data: { session_id: "payses_1" }, context: { idempotency_key: "ref_1" } })
      ).rejects.toThrow(/whole payments only/)
    })

    it("refuses a refund without Medusa's refund id (it is what makes a retry safe)", async () => {
      const refundFromMedusa = jest.fn()
      const provider = providerWith({ refundFromMedusa })
      await expect(provider.refundPayment({ amount: 100, data: {} })).rejects.toThrow(/idempotency_key/)
      expect(refundFromMedusa).not.toHaveBeenCalled()
    })
  })

  describe("getWebhookActionAndData", () => {
    const row = (status: string, unmatched = false) => ({
      status,
      unmatched,
      payment_session_id: "payses_1",
      medusa_amount: "1700",
    })
    it.each([
      ["paid", false, PaymentActions.SUCCESSFUL],
      ["paid", true, PaymentActions.NOT_SUPPORTED],
      ["canceled", false, PaymentActions.CANCELED],
      ["failed", false, PaymentActions.FAILED],
      ["expired", false, PaymentActions.FAILED],
      ["pending", false, PaymentActions.PENDING],
    ])("maps ledger %s (unmatched %s) to %s from the ledger, not the payload", async (status, unmatched, action) => {
      const provider = providerWith({ getLedgerRowByCheckoutRequestId: jest.fn().mockResolvedValue(row(status, unmatched)) })
      const result = await provider.getWebhookActionAndData({
        data: { checkout_request_id: "ws_CO_1", amount: 999999 },
        rawData: "",
        headers: {},
      })
      expect(result.action).toBe(action)
      if (action !== PaymentActions.NOT_SUPPORTED) {
        expect(result.data).toEqual({ session_id: "payses_1", amount: "1700" })
      }
    })

    it("ignores payloads without a known CheckoutRequestID", async () => {
      const provider = providerWith({ getLedgerRowByCheckoutRequestId: jest.fn().mockResolvedValue(null) })
      expect((await provider.getWebhookActionAndData({ data: {}, rawData: "", headers: {} })).action).toBe(PaymentActions.NOT_SUPPORTED)
      expect(
        (await provider.getWebhookActionAndData({ data: { checkout_request_id: "ws_CO_x" }, rawData: "", headers: {} })).action
      ).toBe(PaymentActions.NOT_SUPPORTED)
    })
  })

  it("explains a missing module dependency", async () => {
    const provider = new MpesaProviderService({} as never, OPTIONS)
    await expect(provider.getPaymentStatus({ data: { session_id: "payses_1" } })).rejects.toThrow(/dependencies: \["mpesa"\]/)
  })
})
