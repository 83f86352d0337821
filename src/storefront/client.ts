import { checkPhone } from "./phone"
import { fetchTransport, sdkTransport, type MedusaSdkLike, type StoreRequest, type StoreResponse } from "./transport"
import type { MpesaOutcome, MpesaPayment, MpesaStartResult } from "./types"

export const MPESA_PROVIDER_ID = "pp_mpesa_mpesa"

/** How the client follows a prompt. Defaults suit Daraja: a prompt lives about a minute on the phone. */
export type PollingOptions = {
  /** first status poll after the prompt is sent */
  firstPollMs: number
  /** each next poll waits this much longer (back-off) … */
  backoffFactor: number
  /** … up to this */
  maxPollMs: number
  /** after a failed poll (network, 5xx) the wait grows up to this */
  maxErrorPollMs: number
  /** how long past the payment's `expires_at` to keep polling before answering "unknown" */
  graceMs: number
  /** paid but no order yet: after this long, complete the cart ourselves (safe: it returns the same order) */
  completeCartAfterMs: number
  /** paid but no order yet: stop waiting after this long (the plugin still completes it) */
  orderWaitMs: number
}

export const DEFAULT_POLLING: PollingOptions = {
  firstPollMs: 1000,
  backoffFactor: 1.5,
  maxPollMs: 3000,
  maxErrorPollMs: 15000,
  graceMs: 30000,
  completeCartAfterMs: 8000,
  orderWaitMs: 30000,
}

export type MpesaClientOptions = (
  | { baseUrl: string; publishableKey: string; fetch?: typeof fetch; credentials?: RequestCredentials }
  | { sdk: MedusaSdkLike }
  | { request: StoreRequest }
) & {
  /** `pp_<id>_<id>` as registered in medusa-config; `pp_mpesa_mpesa` for the README's setup */
  providerId?: string
  polling?: Partial<PollingOptions>
}

export type FollowOptions = {
  signal?: AbortSignal
  /** every status answer, for a UI */
  onUpdate?: (payment: MpesaPayment) => void
  /** lets the client complete the cart itself if the order is slow to appear once paid */
  cartId?: string
}

export type MpesaClient = ReturnType<typeof createMpesaClient>

const UNKNOWN_MESSAGE =
  "We have not heard back from M-Pesa yet. If you entered your PIN, do not pay again: your order completes by itself once M-Pesa confirms."

/**
 * A framework-free M-Pesa client for storefronts. It only talks to the Medusa store API (never to Daraja):
 * creates the M-Pesa payment session at Pay time (that is what sends the STK prompt), follows our status
 * route with back-off, and hands back the order id.
 */
export function createMpesaClient(options: MpesaClientOptions) {
  const request: StoreRequest =
    "request" in options ? options.request : "sdk" in options ? sdkTransport(options.sdk) : fetchTransport(options)
  const providerId = options.providerId ?? MPESA_PROVIDER_ID
  const polling: PollingOptions = { ...DEFAULT_POLLING, ...options.polling }

  async function call(path: string, init: Parameters<StoreRequest>[1]): Promise<StoreResponse | { status: 0; error: unknown }> {
    try {
      return await request(path, init)
    } catch (error) {
      return { status: 0, error }
    }
  }

  /** The cart's payment collection id (Medusa returns the existing one when there is one). */
  async function paymentCollectionForCart(cartId: string, signal?: AbortSignal): Promise<string> {
    const res = await request("/store/payment-collections", { method: "POST", body: { cart_id: cartId }, signal })
    const id = (res.body as { payment_collection?: { id?: string } } | null)?.payment_collection?.id
    if (res.status >= 300 || !id) throw new Error(messageOf(res.body) ?? `Could not prepare the payment (HTTP ${res.status})`)
    return id
  }

  /** Sends the STK prompt: creates the M-Pesa payment session. Call it when the shopper presses Pay. */
  async function startPrompt(input: { paymentCollectionId: string; phone: string; signal?: AbortSignal }): Promise<MpesaStartResult> {
    const phone = checkPhone(input.phone)
    if (!phone.ok) return { ok: false, kind: "invalid_phone", message: phone.message }
    const res = await call(`/store/payment-collections/${encodeURIComponent(input.paymentCollectionId)}/payment-sessions`, {
      method: "POST",
      body: { provider_id: providerId, data: { phone: phone.msisdn } },
      signal: input.signal,
    })
    if (res.status === 0) {
      return input.signal?.aborted
        ? { ok: false, kind: "aborted", message: "Cancelled." }
        : { ok: false, kind: "network", message: "We could not reach the shop. Check your connection and try again." }
    }
    const r = res as StoreResponse
    if (r.status === 429) {
      return { ok: false, kind: "rate_limited", retryAfterSeconds: retryAfterSeconds(r), message: messageOf(r.body) ?? "Too many M-Pesa prompts. Please wait before trying again." }
    }
    if (r.status >= 300) {
      return {
        ok: false,
        kind: "refused",
        httpStatus: r.status,
        message:
          r.status >= 500
            ? "This shop cannot take M-Pesa payments right now. Please try again later or choose another payment method."
            : shopperMessage(messageOf(r.body)) ?? "M-Pesa could not start this payment.",
      }
    }
    const sessions =
      (r.body as { payment_collection?: { payment_sessions?: Array<{ id: string; provider_id: string }> } } | null)?.payment_collection
        ?.payment_sessions ?? []
    const session = sessions.filter((s) => s.provider_id === providerId).pop()
    if (!session) return { ok: false, kind: "refused", httpStatus: r.status, message: "The shop did not start an M-Pesa payment." }
    return { ok: true, sessionId: session.id, payment: null }
  }

  /** One read of our status route. Never calls Daraja, however often it is polled. */
  async function getPayment(
    sessionId: string,
    signal?: AbortSignal
  ): Promise<{ ok: true; payment: MpesaPayment } | { ok: false; status: number }> {
    const res = await call(`/store/mpesa/payment-sessions/${encodeURIComponent(sessionId)}`, { method: "GET", signal })
    const payment = res.status === 200 ? (res as StoreResponse).body as { mpesa_payment?: MpesaPayment } | null : null
    return payment?.mpesa_payment ? { ok: true, payment: payment.mpesa_payment } : { ok: false, status: res.status }
  }

  /** Completes the cart (the plugin normally already did: then Medusa answers with the same order). */
  async function completeCart(cartId: string, signal?: AbortSignal): Promise<string | null> {
    const res = await call(`/store/carts/${encodeURIComponent(cartId)}/complete`, { method: "POST", signal })
    const body = res.status === 200 ? ((res as StoreResponse).body as { type?: string; order?: { id?: string } } | null) : null
    return body?.type === "order" && body.order?.id ? body.order.id : null
  }

  /**
   * Follows a prompt until it is paid (with the order id), failed, expired, unknown, or aborted.
   * Polls with back-off; failed polls back off further and never end the wait on their own before expiry.
   */
  async function follow(sessionId: string, opts: FollowOptions = {}): Promise<MpesaOutcome> {
    const { signal } = opts
    const started = Date.now()
    let delay = polling.firstPollMs
    let errorDelay = polling.firstPollMs
    let last: MpesaPayment | null = null
    let paidAt: number | null = null
    let triedComplete = false

    for (;;) {
      if (!(await sleep(delay, signal))) return { status: "aborted" }
      const res = await getPayment(sessionId, signal)
      if (signal?.aborted) return { status: "aborted" }
      const now = Date.now()
      if (!res.ok) {
        // Network, 5xx, or 404 in the instant before the push row names this session: keep trying, slower.
        errorDelay = Math.min(polling.maxErrorPollMs, errorDelay * 2)
        delay = errorDelay
        const deadline = last ? Date.parse(last.expires_at) + polling.graceMs : started + 5 * 60_000
        if (now > deadline) return { status: "unknown", message: UNKNOWN_MESSAGE, payment: last }
        continue
      }
      errorDelay = polling.firstPollMs
      const payment = res.payment
      last = payment
      opts.onUpdate?.(payment)

      switch (payment.state) {
        case "paid": {
          if (payment.order_id) return paid(payment, payment.order_id)
          paidAt ??= now
          if (opts.cartId && !triedComplete && now - paidAt >= polling.completeCartAfterMs) {
            triedComplete = true
            const orderId = await completeCart(opts.cartId, signal)
            if (orderId) return paid(payment, orderId)
          }
          if (now - paidAt >= polling.orderWaitMs) return paid(payment, null)
          delay = polling.firstPollMs
          continue
        }
        case "failed":
        case "canceled":
        case "expired":
          return {
            status: "failed",
            reason: payment.state,
            retryable: payment.retryable,
            resultCode: payment.result_code,
            message: payment.message,
            payment,
          }
        default: {
          if (now > Date.parse(payment.expires_at) + polling.graceMs) {
            return { status: "unknown", message: payment.state === "indeterminate" ? payment.message : UNKNOWN_MESSAGE, payment }
          }
          delay = Math.min(polling.maxPollMs, Math.round(delay * polling.backoffFactor))
        }
      }
    }
  }

  return { providerId, polling, request, paymentCollectionForCart, startPrompt, getPayment, follow, completeCart }
}

function paid(payment: MpesaPayment, orderId: string | null): MpesaOutcome {
  return { status: "paid", orderId, receipt: payment.mpesa_receipt_number, message: payment.message, payment }
}

function messageOf(body: unknown): string | null {
  const m = (body as { message?: unknown } | null)?.message
  return typeof m === "string" && m.trim() ? m : null
}

/** Medusa's 400s name the field first ("phone: must be …"); the shopper needs the sentence only. */
function shopperMessage(message: string | null): string | null {
  if (!message) return null
  const m = /^[a-z_]+: (.+)$/s.exec(message)
  return m ? capitalise(m[1]) : message
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1)
}

/** Seconds to wait after a 429: the body's figure, the Retry-After header, or the wait named in the message. */
function retryAfterSeconds(res: StoreResponse): number {
  const fromBody = (res.body as { retry_after_seconds?: unknown } | null)?.retry_after_seconds
  if (typeof fromBody === "number" && fromBody > 0) return Math.ceil(fromBody)
  const fromHeader = Number(res.retryAfter)
  if (Number.isFinite(fromHeader) && fromHeader > 0) return Math.ceil(fromHeader)
  const m = /(\d+)\s+(second|minute|hour)/.exec(messageOf(res.body) ?? "")
  if (m) return Number(m[1]) * (m[2] === "hour" ? 3600 : m[2] === "minute" ? 60 : 1)
  return 60
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false)
    const onAbort = () => {
      clearTimeout(timer)
      resolve(false)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort)
      resolve(true)
    }, ms)
    signal?.addEventListener("abort", onAbort, { once: true })
  })
}
