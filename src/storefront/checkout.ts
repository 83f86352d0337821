import type { MpesaClient } from "./client"
import { parseKenyanPhone } from "./phone"
import type { MpesaPayment } from "./types"

/**
 * One shopper's M-Pesa checkout as a small state machine, for any UI:
 *
 *   idle ─pay→ sending ─→ waiting ─→ paid
 *                │          ├─→ failed ─retry→ sending
 *                │          └─→ unknown ─check→ waiting
 *                ├─→ invalid_phone / rate_limited / error ─pay or retry→ sending
 *
 * Every state carries the sentence to show. `abort()` (or unmounting a component that calls it) stops
 * any request and polling at once.
 */
export type MpesaCheckoutState =
  | { status: "idle" }
  | { status: "invalid_phone"; message: string }
  | { status: "sending"; message: string }
  | {
      status: "waiting"
      sessionId: string
      message: string
      /** the prompt may have reached the phone but the answer is unknown: do not pay twice */
      uncertain: boolean
      /** when the prompt on the phone lapses (ms since epoch), for a countdown */
      promptExpiresAt: number
      /** the payment once the first status answer arrived */
      payment: MpesaPayment | null
    }
  | { status: "paid"; orderId: string | null; receipt: string | null; message: string; payment: MpesaPayment }
  | {
      status: "failed"
      reason: "canceled" | "failed" | "expired"
      retryable: boolean
      message: string
      payment: MpesaPayment
    }
  | { status: "unknown"; sessionId: string; message: string; payment: MpesaPayment | null }
  | { status: "rate_limited"; message: string; retryAt: number }
  | { status: "error"; message: string }

/**
 * Daraja ends a push with ResultCode 17 ("rule limited") when the same phone was asked for the same amount
 * less than 2 minutes before, whatever became of that earlier prompt. So after a cancel or a wrong PIN the
 * same number can be prompted again only 2 minutes after the last prompt; another number at once.
 */
export const SAME_NUMBER_WAIT_MS = 120_000

export type MpesaCheckoutOptions = {
  client: MpesaClient
  cartId: string
  /** skips a request when the caller already has it */
  paymentCollectionId?: string
  /** how long Safaricom shows the prompt on the phone; the countdown runs to this (default 60 s) */
  promptSeconds?: number
}

export type MpesaCheckout = ReturnType<typeof createMpesaCheckout>

export function createMpesaCheckout(options: MpesaCheckoutOptions) {
  const { client, cartId } = options
  const promptMs = (options.promptSeconds ?? 60) * 1000
  let paymentCollectionId = options.paymentCollectionId ?? null
  let state: MpesaCheckoutState = { status: "idle" }
  let lastPhone: string | null = null
  /** msisdn -> when Daraja last accepted a prompt to it from this checkout */
  const promptedAt = new Map<string, number>()
  const sameNumberRetryAt = (phone: string): number => {
    const msisdn = parseKenyanPhone(phone)
    const at = msisdn ? promptedAt.get(msisdn) : undefined
    return at !== undefined && Date.now() < at + SAME_NUMBER_WAIT_MS ? at + SAME_NUMBER_WAIT_MS : 0
  }
  let controller: AbortController | null = null
  const listeners = new Set<(s: MpesaCheckoutState) => void>()

  const set = (next: MpesaCheckoutState) => {
    state = next
    for (const l of [...listeners]) l(state)
  }

  /** A new run replaces the old one: whatever it was waiting for is abandoned. */
  const begin = (): AbortSignal => {
    controller?.abort()
    controller = new AbortController()
    return controller.signal
  }

  async function followSession(sessionId: string, signal: AbortSignal, promptExpiresAt: number): Promise<MpesaCheckoutState> {
    const outcome = await client.follow(sessionId, {
      signal,
      cartId,
      onUpdate: (payment) => {
        if (signal.aborted || payment.state === "paid" || !["initiating", "pending", "indeterminate"].includes(payment.state)) return
        set({
          status: "waiting",
          sessionId,
          message: payment.message,
          uncertain: payment.state === "indeterminate",
          // Never past the plugin's own deadline.
          promptExpiresAt: Math.min(promptExpiresAt, Date.parse(payment.expires_at)),
          payment,
        })
      },
    })
    switch (outcome.status) {
      case "aborted":
        return state
      case "paid":
        set({ status: "paid", orderId: outcome.orderId, receipt: outcome.receipt, message: outcome.message, payment: outcome.payment })
        break
      case "failed":
        set({ status: "failed", reason: outcome.reason, retryable: outcome.retryable, message: outcome.message, payment: outcome.payment })
        break
      case "unknown":
        set({ status: "unknown", sessionId, message: outcome.message, payment: outcome.payment })
        break
    }
    return state
  }

  /** The shopper pressed Pay: validate, send the prompt, follow it to an outcome. */
  async function pay(phone: string): Promise<MpesaCheckoutState> {
    // While a prompt may still be paid (waiting) or its outcome is unknown, a new prompt could make the
    // shopper pay twice: only check() may follow an unknown outcome.
    if (state.status === "sending" || state.status === "waiting" || state.status === "unknown") return state
    if (state.status === "rate_limited" && Date.now() < state.retryAt) return state
    // A repeat within Daraja's 2-minute window would only end in ResultCode 17: wait, or use another number.
    if (sameNumberRetryAt(phone)) return state
    const signal = begin()
    lastPhone = phone
    set({ status: "sending", message: "Sending the M-Pesa prompt to your phone…" })
    try {
      paymentCollectionId ??= await client.paymentCollectionForCart(cartId, signal)
    } catch (e) {
      if (signal.aborted) return state
      set({ status: "error", message: (e as Error).message || "Could not prepare the payment." })
      return state
    }
    const started = await client.startPrompt({ paymentCollectionId, phone, signal })
    if (signal.aborted) return state
    if (!started.ok) {
      if (started.kind === "aborted") return state
      set(
        started.kind === "invalid_phone"
          ? { status: "invalid_phone", message: started.message }
          : started.kind === "rate_limited"
            ? { status: "rate_limited", message: started.message, retryAt: Date.now() + started.retryAfterSeconds * 1000 }
            : { status: "error", message: started.message }
      )
      return state
    }
    const msisdn = parseKenyanPhone(phone)
    if (msisdn) promptedAt.set(msisdn, Date.now())
    const promptExpiresAt = Date.now() + promptMs
    set({
      status: "waiting",
      sessionId: started.sessionId,
      message: "Check your phone: enter your M-Pesa PIN.",
      uncertain: false,
      promptExpiresAt,
      payment: null,
    })
    return followSession(started.sessionId, signal, promptExpiresAt)
  }

  /** A new prompt to the same phone (after a failure, a refusal or a limit's wait). */
  function retry(phone?: string): Promise<MpesaCheckoutState> {
    const p = phone ?? lastPhone
    if (p === null) return Promise.resolve(state)
    if (state.status === "failed" && !state.retryable) return Promise.resolve(state)
    return pay(p)
  }

  /** Outcome unknown: look again at the same prompt (never sends a new one). */
  function check(): Promise<MpesaCheckoutState> {
    if (state.status !== "unknown") return Promise.resolve(state)
    const { sessionId, payment } = state
    const signal = begin()
    set({ status: "waiting", sessionId, message: state.message, uncertain: true, promptExpiresAt: Date.now(), payment })
    return followSession(sessionId, signal, Date.now())
  }

  /** Stops requests and polling (e.g. on unmount); the state stays as it was. */
  function abort(): void {
    controller?.abort()
    controller = null
  }

  /** Back to idle, e.g. the shopper edits the phone after a failure. Aborts whatever runs. */
  function reset(): void {
    abort()
    set({ status: "idle" })
  }

  return {
    getState: () => state,
    /** When Pay with this number is possible again (ms since epoch), or 0 when it is now: see SAME_NUMBER_WAIT_MS. */
    sameNumberRetryAt,
    subscribe(listener: (s: MpesaCheckoutState) => void): () => void {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    pay,
    retry,
    check,
    abort,
    reset,
  }
}
