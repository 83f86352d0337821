import {
  AbstractPaymentProvider,
  MedusaError,
  PaymentActions,
  PaymentSessionStatus,
} from "@medusajs/framework/utils"
import type {
  AuthorizePaymentInput,
  AuthorizePaymentOutput,
  CancelPaymentInput,
  CancelPaymentOutput,
  CapturePaymentInput,
  CapturePaymentOutput,
  DeletePaymentInput,
  DeletePaymentOutput,
  GetPaymentStatusInput,
  GetPaymentStatusOutput,
  InitiatePaymentInput,
  InitiatePaymentOutput,
  ProviderWebhookPayload,
  RefundPaymentInput,
  RefundPaymentOutput,
  RetrievePaymentInput,
  RetrievePaymentOutput,
  UpdatePaymentInput,
  UpdatePaymentOutput,
  WebhookActionResult,
} from "@medusajs/framework/types"
import { MPESA_MODULE, type IMpesaModuleService } from "../../modules/mpesa"
import { toWholeShillings } from "../../modules/mpesa"
import { parseMpesaOptions, COLLECTION_TOKEN_KEY, type MpesaOptionsInput } from "../../modules/mpesa"
import { sessionDataFromView, statusFromView } from "./status"

type Cradle = Record<string, unknown> & { [MPESA_MODULE]?: IMpesaModuleService }

/**
 * Thin adapter from Medusa's payment lifecycle to the `mpesa` module, which
 * holds all M-Pesa state and is the one place that talks to Daraja. Reached
 * through the payment module's declared dependency (`dependencies: ["mpesa"]`).
 */
export class MpesaProviderService extends AbstractPaymentProvider<MpesaOptionsInput> {
  static identifier = "mpesa"

  static validateOptions(options: Record<string, unknown>): void {
    try {
      parseMpesaOptions(options)
    } catch (e) {
      throw new MedusaError(MedusaError.Types.INVALID_DATA, (e as Error).message)
    }
  }

  constructor(cradle: Cradle, options: MpesaOptionsInput) {
    super(cradle, options)
  }

  /** Resolved at call time: the dependency is registered lazily. */
  protected get mpesa(): IMpesaModuleService {
    const service = (this.container as Cradle)[MPESA_MODULE]
    if (!service) {
      throw new MedusaError(
        MedusaError.Types.UNEXPECTED_STATE,
        'The "mpesa" module is not available to the payment module: add dependencies: ["mpesa"] to the payment module entry in medusa-config'
      )
    }
    return service
  }

  async initiatePayment(input: InitiatePaymentInput): Promise<InitiatePaymentOutput> {
    const data = input.data ?? {}
    const sessionId = this.sessionIdOf(input)
    const view = await this.mpesa.initiateStkPush({
      sessionId: sessionId ?? "",
      // The module learns the session's payment collection from the store request or this
      // token it signed (copied when Medusa re-creates a session); never from unsigned data.
      collectionToken: data[COLLECTION_TOKEN_KEY],
      amount: input.amount,
      currencyCode: input.currency_code,
      // `phone_number` is what the other Medusa M-Pesa plugin's storefronts send.
      phone: data.phone ?? data.phone_number ?? input.context?.customer?.phone,
    })
    return {
      id: view.checkout_request_id ?? view.transaction_id,
      status: statusFromView(view),
      data: { ...sessionDataFromView(view), ...(view.collection_token ? { [COLLECTION_TOKEN_KEY]: view.collection_token } : {}) },
    }
  }

  async authorizePayment(input: AuthorizePaymentInput): Promise<AuthorizePaymentOutput> {
    const sessionId = this.sessionIdOf(input)
    // Side-effect free apart from at most one status query for an overdue callback.
    const view = sessionId ? await this.mpesa.refreshIfOverdue(sessionId) : null
    if (!view) {
      return { status: PaymentSessionStatus.ERROR, data: { ...input.data } }
    }
    return { status: statusFromView(view), data: { ...input.data, ...sessionDataFromView(view) } }
  }

  async getPaymentStatus(input: GetPaymentStatusInput): Promise<GetPaymentStatusOutput> {
    const sessionId = this.sessionIdOf(input)
    const view = sessionId ? await this.mpesa.getPaymentBySession(sessionId) : null
    if (!view) {
      return { status: PaymentSessionStatus.ERROR, data: { ...input.data } }
    }
    return { status: statusFromView(view), data: { ...input.data, ...sessionDataFromView(view) } }
  }

  async retrievePayment(input: RetrievePaymentInput): Promise<RetrievePaymentOutput> {
    const sessionId = this.sessionIdOf(input)
    const view = sessionId ? await this.mpesa.getPaymentBySession(sessionId) : null
    return { data: { ...input.data, ...(view ? sessionDataFromView(view) : {}) } }
  }

  /** M-Pesa money is collected when the shopper enters the PIN: nothing to capture. */
  async capturePayment(input: CapturePaymentInput): Promise<CapturePaymentOutput> {
    return { data: { ...input.data } }
  }

  async cancelPayment(input: CancelPaymentInput): Promise<CancelPaymentOutput> {
    const sessionId = this.sessionIdOf(input)
    const view = sessionId ? await this.mpesa.closeSession(sessionId) : null
    return { data: { ...input.data, ...(view ? sessionDataFromView(view) : {}) } }
  }

  async deletePayment(input: DeletePaymentInput): Promise<DeletePaymentOutput> {
    const sessionId = this.sessionIdOf(input)
    if (sessionId) {
      await this.mpesa.closeSession(sessionId)
    }
    return { data: { ...input.data } }
  }

  /** Cart changes delete sessions rather than update them; a new amount needs a new prompt. */
  async updatePayment(input: UpdatePaymentInput): Promise<UpdatePaymentOutput> {
    const sessionId = this.sessionIdOf(input)
    const view = sessionId ? await this.mpesa.getPaymentBySession(sessionId) : null
    // Same rounding rule as the push (amount.ts), so 1699.6 still matches a KES 1,700 prompt.
    if (view && input.amount != null && toWholeShillings(input.amount).whole !== view.amount) {
      throw new MedusaError(
        MedusaError.Types.NOT_ALLOWED,
        "amount: an M-Pesa prompt cannot change amount; create a new payment session for the new total"
      )
    }
    return {
      data: { ...input.data, ...(view ? sessionDataFromView(view) : {}) },
      status: view ? statusFromView(view) : undefined,
    }
  }

  /**
   * Medusa records a refund as soon as this returns, so it returns only once
   * the money went back (a Daraja Reversal confirmed, or a refund made outside
   * that the admin is recording); otherwise it throws the reason and Medusa
   * records nothing. Keyed by Medusa's refund id (`context.idempotency_key`).
   */
  async refundPayment(input: RefundPaymentInput): Promise<RefundPaymentOutput> {
    const refundId = input.context?.idempotency_key
    if (typeof refundId !== "string" || !refundId) {
      throw new MedusaError(MedusaError.Types.INVALID_DATA, "idempotency_key: Medusa's refund id is required to refund through M-Pesa")
    }
    const data = input.data ?? {}
    // Our ledger keeps the refund (see the order's M-Pesa panel); Medusa's payment data stays as it was.
    await this.mpesa.refundFromMedusa({
      sessionId: typeof data.session_id === "string" ? data.session_id : undefined,
      checkoutRequestId: typeof data.checkout_request_id === "string" ? data.checkout_request_id : undefined,
      amount: input.amount,
      medusaRefundId: refundId,
    })
    return { data: { ...input.data } }
  }

  /**
   * Maps our callback notification (CheckoutRequestID) to Medusa's session.
   * Only the ledger decides: the payload itself is unsigned and is never trusted.
   */
  async getWebhookActionAndData(payload: ProviderWebhookPayload["payload"]): Promise<WebhookActionResult> {
    const checkoutRequestId = payload.data?.checkout_request_id
    if (typeof checkoutRequestId !== "string") {
      return { action: PaymentActions.NOT_SUPPORTED }
    }
    const row = await this.mpesa.getLedgerRowByCheckoutRequestId(checkoutRequestId)
    if (!row || !row.payment_session_id) {
      return { action: PaymentActions.NOT_SUPPORTED }
    }
    const data = { session_id: row.payment_session_id, amount: row.medusa_amount }
    switch (row.status) {
      case "paid":
        return row.unmatched ? { action: PaymentActions.NOT_SUPPORTED } : { action: PaymentActions.SUCCESSFUL, data }
      case "canceled":
        return { action: PaymentActions.CANCELED, data }
      case "failed":
      case "expired":
        return { action: PaymentActions.FAILED, data }
      default:
        return { action: PaymentActions.PENDING, data }
    }
  }

  /**
   * Medusa's session id, from every input Medusa gives: `data.session_id`
   * (initiate, and the session data we return) or `context.idempotency_key`
   * (set to the session id by the payment module; the only one left when the
   * process died between Daraja accepting the push and Medusa saving our data).
   */
  private sessionIdOf(input: { data?: Record<string, unknown>; context?: { idempotency_key?: string } }) {
    // Medusa sets the key from the session row itself; data is a copy that a storefront also writes to.
    const key = input.context?.idempotency_key
    if (typeof key === "string" && key.startsWith("payses_")) {
      return key
    }
    const fromData = input.data?.session_id
    return typeof fromData === "string" && fromData ? fromData : undefined
  }
}

export default MpesaProviderService
