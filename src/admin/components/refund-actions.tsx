import { Alert, Button, Drawer, Heading, Input, Label, Prompt, Text, Textarea, toast } from "@medusajs/ui"
import { useEffect, useState, type ReactNode } from "react"
import { formatKes } from "../lib/format"
import {
  errorMessage,
  useAttachMpesaPayment,
  useRecordOutsideRefund,
  useReverseMpesaPayment,
  type MpesaTransaction,
  type RefundView,
} from "../lib/mpesa-api"
import { refundOutcome } from "./refund-status"
import { Field } from "./field"

/** What the three actions need to know of a payment (a transactions row or an order widget payment). */
export type ActionTarget = Pick<MpesaTransaction, "transaction_id" | "amount" | "phone" | "mpesa_receipt_number"> & {
  refunded_amount?: number
}

/** The toast for a refund's outcome, in the merchant's words; returns nothing, the row shows the rest. */
export function announceRefund(refund: RefundView, target: ActionTarget) {
  const what = `${formatKes(refund.amount)} to ${target.phone}`
  if (refund.status === "completed") {
    toast.success(refund.kind === "reversal" ? `Reversed: ${what}` : `Refund recorded: ${formatKes(refund.amount)}`, {
      description: refundOutcome(refund),
    })
  } else if (refund.status === "failed") {
    toast.error(refund.kind === "reversal" ? "Reversal failed" : "Refund not recorded", {
      description: refund.reason ?? refundOutcome(refund),
      duration: 15_000,
    })
  } else {
    toast.info(`${refund.status_label}: ${what}`, {
      description:
        refund.reason ??
        "Daraja accepted the reversal; its result has not arrived yet. This page updates by itself when it does.",
      duration: 10_000,
    })
  }
}

/** "KES 1,700 from 2547****0111, receipt UKT…": which payment a drawer acts on. */
export function paymentLine(target: ActionTarget): string {
  return `${formatKes(target.amount)} from ${target.phone}${target.mpesa_receipt_number ? `, receipt ${target.mpesa_receipt_number}` : ""}`
}

export function ErrorAlert({ message }: { message: string | null }) {
  return message ? (
    <Alert variant="error" data-testid="mpesa-action-error">
      {message}
    </Alert>
  ) : null
}

/**
 * "Reverse payment": a Daraja Reversal of the whole payment. The server waits up to ~20 s for
 * Daraja's result, so the prompt stays open (button busy) until the outcome is known.
 */
export function ReversePaymentPrompt(props: {
  target: ActionTarget
  open: boolean
  onOpenChange: (open: boolean) => void
  onDone?: (refund: RefundView) => void
}) {
  const { target } = props
  const reverse = useReverseMpesaPayment()
  const [note, setNote] = useState("")
  const [error, setError] = useState<string | null>(null)

  useEffect(() => {
    if (props.open) {
      setNote("")
      setError(null)
    }
  }, [props.open])

  const submit = async () => {
    setError(null)
    try {
      const { refund } = await reverse.mutateAsync({ id: target.transaction_id, note: note.trim() || undefined })
      announceRefund(refund, target)
      props.onDone?.(refund)
      props.onOpenChange(false)
    } catch (e) {
      setError(errorMessage(e))
    }
  }

  return (
    <Prompt open={props.open} onOpenChange={(open) => (reverse.isPending ? undefined : props.onOpenChange(open))} variant="danger">
      <Prompt.Content data-testid="mpesa-reverse-prompt">
        <Prompt.Header>
          <Prompt.Title>Reverse this M-Pesa payment?</Prompt.Title>
          <Prompt.Description>
            M-Pesa returns the whole {formatKes(target.amount)} to {target.phone}
            {target.mpesa_receipt_number ? ` (receipt ${target.mpesa_receipt_number})` : ""}. This cannot be undone.
          </Prompt.Description>
        </Prompt.Header>
        <div className="flex flex-col gap-y-3 px-6 pt-4">
          <div className="flex flex-col gap-y-1">
            <Label htmlFor="mpesa-reverse-note" size="small" weight="plus">
              Note (optional)
            </Label>
            <Input
              id="mpesa-reverse-note"
              size="small"
              maxLength={100}
              value={note}
              placeholder="e.g. paid twice, customer called"
              onChange={(e) => setNote(e.target.value)}
              disabled={reverse.isPending}
            />
          </div>
          {reverse.isPending ? (
            <Text size="small" className="text-ui-fg-subtle" data-testid="mpesa-reverse-waiting">
              Waiting for M-Pesa's answer (up to 20 seconds)…
            </Text>
          ) : null}
          <ErrorAlert message={error} />
        </div>
        <Prompt.Footer>
          <Prompt.Cancel disabled={reverse.isPending}>Cancel</Prompt.Cancel>
          <Button size="small" variant="danger" isLoading={reverse.isPending} onClick={submit} data-testid="mpesa-reverse-confirm">
            Reverse {formatKes(target.amount)}
          </Button>
        </Prompt.Footer>
      </Prompt.Content>
    </Prompt>
  )
}

export function ActionDrawer(props: {
  open: boolean
  onOpenChange: (open: boolean) => void
  busy: boolean
  title: string
  description: ReactNode
  testId: string
  submitLabel: string
  onSubmit: () => void
  children: ReactNode
}) {
  return (
    <Drawer open={props.open} onOpenChange={(open) => (props.busy ? undefined : props.onOpenChange(open))}>
      <Drawer.Content data-testid={props.testId}>
        <form
          noValidate
          className="flex size-full flex-col overflow-hidden"
          onSubmit={(e) => {
            e.preventDefault()
            props.onSubmit()
          }}
        >
          <Drawer.Header>
            <Drawer.Title asChild>
              <Heading>{props.title}</Heading>
            </Drawer.Title>
            <Drawer.Description>{props.description}</Drawer.Description>
          </Drawer.Header>
          <Drawer.Body className="flex flex-1 flex-col gap-y-4 overflow-auto">{props.children}</Drawer.Body>
          <Drawer.Footer>
            <Drawer.Close asChild>
              <Button size="small" variant="secondary" type="button" disabled={props.busy}>
                Cancel
              </Button>
            </Drawer.Close>
            <Button size="small" type="submit" isLoading={props.busy} data-testid={`${props.testId}-submit`}>
              {props.submitLabel}
            </Button>
          </Drawer.Footer>
        </form>
      </Drawer.Content>
    </Drawer>
  )
}


/**
 * "Attach to cart or order": gives unmatched money to the cart or the unpaid order it was meant for.
 * The server checks the amounts agree; a cart is completed into an order paid by this payment, an
 * order gets it as its payment.
 */
export function AttachToCartDrawer(props: {
  target: ActionTarget
  open: boolean
  onOpenChange: (open: boolean) => void
  onDone?: (orderId: string | null) => void
}) {
  const { target } = props
  const attach = useAttachMpesaPayment()
  const [id, setId] = useState("")
  const [fieldError, setFieldError] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)

  useEffect(() => {
    if (props.open) {
      setId("")
      setFieldError(null)
      setError(null)
    }
  }, [props.open])

  const submit = async () => {
    setError(null)
    const value = id.trim()
    if (!/^(cart|order)_[A-Za-z0-9]+$/.test(value)) {
      setFieldError("Enter a cart id (cart_01…, from the customer's checkout) or an order id (order_01…, from the order's page)")
      return
    }
    setFieldError(null)
    try {
      const res = await attach.mutateAsync({ id: target.transaction_id, target: value })
      const paid = `${formatKes(target.amount)} (receipt ${target.mpesa_receipt_number ?? "-"})`
      toast.success(res.order_id ? "Payment attached" : "Payment attached: the order is being completed", {
        description: res.order_id
          ? `${paid} now pays ${res.cart_id ? "the order made from the cart" : "the order"}.`
          : `${paid} now pays ${value}; the order is being completed.`,
      })
      props.onDone?.(res.order_id)
      props.onOpenChange(false)
    } catch (e) {
      setError(errorMessage(e))
    }
  }

  return (
    <ActionDrawer
      open={props.open}
      onOpenChange={props.onOpenChange}
      busy={attach.isPending}
      title="Attach payment to a cart or order"
      testId="mpesa-attach-drawer"
      submitLabel="Attach payment"
      onSubmit={submit}
      description={`${paymentLine(target)}.`}
    >
      <Text size="small">
        Use this when the money belongs to a customer's cart that has no order yet, or to an order that is still unpaid.
        The cart's total (or the order's unpaid amount) must be exactly {formatKes(target.amount)}: if the amounts differ,
        nothing changes and you are told both amounts. A cart is then completed into an order paid by this M-Pesa
        payment; an order gets it as its payment.
      </Text>
      <Field id="mpesa-attach-target" label="Cart or order id" error={fieldError ?? undefined} hint="Starts with cart_ or order_.">
        <Input
          id="mpesa-attach-target"
          value={id}
          placeholder="cart_01… or order_01…"
          autoComplete="off"
          onChange={(e) => (setId(e.target.value), setFieldError(null))}
          disabled={attach.isPending}
          aria-invalid={fieldError ? true : undefined}
        />
      </Field>
      <ErrorAlert message={error} />
    </ActionDrawer>
  )
}

/**
 * "Record refund made outside M-Pesa": the merchant refunded the customer from the M-Pesa Org portal
 * (or in cash); this writes it on our ledger and, for an order's payment, on the order in Medusa.
 */
export function OutsideRefundDrawer(props: {
  target: ActionTarget
  /** the most that may be recorded (the payment's actions.record_outside_max) */
  max: number
  open: boolean
  onOpenChange: (open: boolean) => void
  onDone?: (refund: RefundView) => void
}) {
  const { target, max } = props
  const record = useRecordOutsideRefund()
  const [amount, setAmount] = useState(String(max))
  const [note, setNote] = useState("")
  const [errors, setErrors] = useState<{ amount?: string; note?: string }>({})
  const [error, setError] = useState<string | null>(null)

  useEffect(() => {
    if (props.open) {
      setAmount(String(max))
      setNote("")
      setErrors({})
      setError(null)
    }
  }, [props.open, max])

  const submit = async () => {
    setError(null)
    const value = Number(amount)
    const next: typeof errors = {}
    if (!/^\d+$/.test(amount.trim()) || value < 1) next.amount = "Enter whole shillings, at least KES 1"
    else if (value > max) next.amount = `At most ${formatKes(max)} (what is left of this payment)`
    if (!note.trim()) next.note = "Say where the refund was made, e.g. the Org portal reference"
    else if (note.trim().length > 200) next.note = "At most 200 characters"
    setErrors(next)
    if (next.amount || next.note) return
    try {
      const { refund } = await record.mutateAsync({ id: target.transaction_id, amount: value, note: note.trim() })
      announceRefund(refund, target)
      props.onDone?.(refund)
      props.onOpenChange(false)
    } catch (e) {
      setError(errorMessage(e))
    }
  }

  return (
    <ActionDrawer
      open={props.open}
      onOpenChange={props.onOpenChange}
      busy={record.isPending}
      title="Record refund made outside M-Pesa"
      testId="mpesa-outside-drawer"
      submitLabel="Record refund"
      onSubmit={submit}
      description={
        <>
          Payment of {paymentLine(target)}
          {target.refunded_amount ? `; ${formatKes(target.refunded_amount)} already refunded` : ""}.
        </>
      }
    >
      <Text size="small">
        For money you already sent back yourself, e.g. from the M-Pesa Org portal. Nothing is sent to M-Pesa: this only
        records the refund here and, when the payment belongs to an order, on the order in Medusa.
      </Text>
      <Field id="mpesa-outside-amount" label="Amount (KES)" error={errors.amount} hint={`Up to ${formatKes(max)}.`}>
        <Input
          id="mpesa-outside-amount"
          type="number"
          inputMode="numeric"
          min={1}
          max={max}
          step={1}
          value={amount}
          onChange={(e) => (setAmount(e.target.value), setErrors(({ amount: _, ...rest }) => rest))}
          disabled={record.isPending}
          aria-invalid={errors.amount ? true : undefined}
        />
      </Field>
      <Field
        id="mpesa-outside-note"
        label="Note"
        error={errors.note}
        hint="Required: where and how you refunded, e.g. the Org portal reference or the refund's M-Pesa receipt."
      >
        <Textarea
          id="mpesa-outside-note"
          value={note}
          maxLength={200}
          placeholder="Org portal reversal SJK2XYZ123"
          onChange={(e) => (setNote(e.target.value), setErrors(({ note: _, ...rest }) => rest))}
          disabled={record.isPending}
          aria-invalid={errors.note ? true : undefined}
        />
      </Field>
      <ErrorAlert message={error} />
    </ActionDrawer>
  )
}
