import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from "react"
import type { MpesaCheckoutState } from "../checkout"
import type { MpesaClient } from "../client"
import { formatCountdown, formatKes } from "../format"
import { checkPhone } from "../phone"
import { useMpesaCheckout, useRemaining } from "./use-mpesa-checkout"

export type MpesaPaidResult = Extract<MpesaCheckoutState, { status: "paid" }>

export type MpesaPhonePromptProps = {
  client: MpesaClient
  cartId: string
  /** the cart total in KES (what the button says; the plugin pushes it rounded to whole shillings) */
  amount: number
  paymentCollectionId?: string
  /** e.g. the cart's shipping address phone */
  defaultPhone?: string
  /** how long the prompt stays on the phone (Safaricom: about 60 s) */
  promptSeconds?: number
  /** called once when paid: go to the order confirmation */
  onPaid?: (result: MpesaPaidResult) => void
  /** replaces the built-in "Payment received" panel */
  renderPaid?: (result: MpesaPaidResult) => ReactNode
  className?: string
}

const BUSY = new Set<MpesaCheckoutState["status"]>(["sending", "waiting"])

/**
 * The M-Pesa step of a checkout: phone field with inline validation, "Pay KES X with M-Pesa", a waiting
 * state with a countdown, one message per outcome, retry, and the paid result. Unstyled apart from
 * `mpesa-prompt*` class names; `medusa-payment-mpesa-express/storefront/styles.css` is a small default.
 */
export function MpesaPhonePrompt(props: MpesaPhonePromptProps) {
  const { client, cartId, amount, paymentCollectionId, promptSeconds, onPaid, renderPaid } = props
  const [state, checkout] = useMpesaCheckout({ client, cartId, paymentCollectionId, promptSeconds })
  const [phone, setPhone] = useState(props.defaultPhone ?? "")
  const [touched, setTouched] = useState(false)
  const id = useId()
  const inputRef = useRef<HTMLInputElement>(null)
  const statusRef = useRef<HTMLDivElement>(null)
  const paidReported = useRef(false)

  const local = checkPhone(phone)
  const fieldError = state.status === "invalid_phone" ? state.message : touched && !local.ok ? local.message : null
  const busy = BUSY.has(state.status)
  const waitUntil = state.status === "rate_limited" ? state.retryAt : state.status === "waiting" ? state.promptExpiresAt : null
  const remaining = useRemaining(waitUntil)
  const limited = state.status === "rate_limited" && remaining > 0
  // After a failed prompt the same number can be asked again only 2 minutes later (Daraja's rule).
  const cooldown = useRemaining(state.status === "failed" || state.status === "error" ? checkout.sameNumberRetryAt(phone) || null : null)

  // Focus follows the step: the field on a phone error, the status panel when something happened.
  useEffect(() => {
    if (state.status === "invalid_phone") inputRef.current?.focus()
    else if (state.status !== "idle" && state.status !== "sending") statusRef.current?.focus()
  }, [state.status])

  useEffect(() => {
    if (state.status === "paid" && !paidReported.current) {
      paidReported.current = true
      onPaid?.(state)
    }
  }, [state, onPaid])

  const submit = (e: FormEvent) => {
    e.preventDefault()
    setTouched(true)
    if (!local.ok) {
      inputRef.current?.focus()
      return
    }
    void checkout.pay(phone)
  }

  const cls = ["mpesa-prompt", `mpesa-prompt--${state.status}`, props.className].filter(Boolean).join(" ")
  const heading = HEADINGS[state.status]

  if (state.status === "paid") {
    return (
      <div className={cls}>
        <div className="mpesa-prompt__status" role="status" aria-live="polite" tabIndex={-1} ref={statusRef}>
          {renderPaid ? (
            renderPaid(state)
          ) : (
            <>
              <p className="mpesa-prompt__heading">Payment received</p>
              <p className="mpesa-prompt__message">{state.message}</p>
              {state.receipt && (
                <p className="mpesa-prompt__receipt">
                  M-Pesa receipt <strong>{state.receipt}</strong>
                </p>
              )}
            </>
          )}
        </div>
      </div>
    )
  }

  const payLabel =
    state.status === "failed" || state.status === "error" || state.status === "rate_limited"
      ? `Try again: pay ${formatKes(amount)}`
      : `Pay ${formatKes(amount)} with M-Pesa`

  return (
    <div className={cls}>
      {state.status !== "unknown" && (
        <form className="mpesa-prompt__form" onSubmit={submit} noValidate>
          <label className="mpesa-prompt__label" htmlFor={`${id}-phone`}>
            M-Pesa phone number
          </label>
          <input
            ref={inputRef}
            id={`${id}-phone`}
            className="mpesa-prompt__input"
            type="tel"
            inputMode="tel"
            autoComplete="tel"
            placeholder="0712 345 678"
            value={phone}
            readOnly={busy}
            aria-invalid={fieldError ? true : undefined}
            aria-describedby={`${id}-hint${fieldError ? ` ${id}-error` : ""}`}
            onChange={(e) => {
              setPhone(e.target.value)
              if (state.status === "invalid_phone") checkout.reset()
            }}
            onBlur={() => setTouched(phone.trim() !== "")}
          />
          <p className="mpesa-prompt__hint" id={`${id}-hint`}>
            You will get a prompt on this phone to enter your M-Pesa PIN.
          </p>
          {fieldError && (
            <p className="mpesa-prompt__error" id={`${id}-error`}>
              {fieldError}
            </p>
          )}
          <button className="mpesa-prompt__pay" type="submit" disabled={busy || limited || cooldown > 0}>
            {state.status === "sending" ? "Sending the prompt…" : state.status === "waiting" ? "Waiting for M-Pesa…" : payLabel}
          </button>
        </form>
      )}
      <div className="mpesa-prompt__status" role="status" aria-live="polite" tabIndex={-1} ref={statusRef}>
        {heading && <p className="mpesa-prompt__heading">{heading}</p>}
        {"message" in state && state.status !== "invalid_phone" && <p className="mpesa-prompt__message">{state.message}</p>}
        {state.status === "waiting" && (
          <p className="mpesa-prompt__countdown">
            {remaining > 0 ? (
              <>
                The prompt expires in <span className="mpesa-prompt__time">{formatCountdown(remaining)}</span>
              </>
            ) : (
              "Waiting for M-Pesa's answer…"
            )}
          </p>
        )}
        {state.status === "failed" && !state.retryable && <p className="mpesa-prompt__hint">Trying again right now will not help.</p>}
        {cooldown > 0 && !limited && (
          <p className="mpesa-prompt__countdown">
            M-Pesa accepts a new prompt to this number in{" "}
            <span className="mpesa-prompt__time">{formatCountdown(cooldown)}</span>, or pay now with another M-Pesa number.
          </p>
        )}
        {limited && (
          <p className="mpesa-prompt__countdown">
            You can try again in <span className="mpesa-prompt__time">{formatCountdown(remaining)}</span>
          </p>
        )}
        {state.status === "unknown" && (
          <button className="mpesa-prompt__check" type="button" onClick={() => void checkout.check()}>
            Check again
          </button>
        )}
      </div>
    </div>
  )
}

const HEADINGS: Partial<Record<MpesaCheckoutState["status"], string>> = {
  waiting: "Prompt sent",
  failed: "Payment not completed",
  unknown: "Do not pay twice",
  rate_limited: "Please wait",
  error: "M-Pesa is not available",
}
