import { Input, Text, toast } from "@medusajs/ui"
import { useEffect, useState } from "react"
import { formatKes } from "../lib/format"
import { errorMessage, useAddMpesaReceipt } from "../lib/mpesa-api"
import { Field } from "./field"
import { ActionDrawer, ErrorAlert, paymentLine, type ActionTarget } from "./refund-actions"

/** Daraja's receipt numbers: ten letters and digits. */
const RECEIPT = /^[A-Z0-9]{10}$/

/**
 * "Add receipt": a payment confirmed by M-Pesa's status query has no receipt number, and M-Pesa can only
 * reverse a payment by its receipt. The merchant copies it from the Org portal or the shopper's SMS; the
 * server asks M-Pesa (Transaction Status) that it exists, went to this shortcode and is for this amount
 * before it goes on the payment. Reverse / Refund work after that.
 */
export function AddReceiptDrawer(props: {
  target: ActionTarget
  open: boolean
  onOpenChange: (open: boolean) => void
  onDone?: () => void
}) {
  const { target } = props
  const add = useAddMpesaReceipt()
  const [receipt, setReceipt] = useState("")
  const [fieldError, setFieldError] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)

  useEffect(() => {
    if (props.open) {
      setReceipt("")
      setFieldError(null)
      setError(null)
    }
  }, [props.open])

  const submit = async () => {
    setError(null)
    const value = receipt.trim().toUpperCase()
    if (!RECEIPT.test(value)) {
      setFieldError("Enter the M-Pesa receipt number: ten letters and digits, e.g. UBQ7XK2P4M")
      return
    }
    setFieldError(null)
    try {
      const { check } = await add.mutateAsync({ id: target.transaction_id, receipt: value })
      if (check.status === "verified") {
        toast.success(`Receipt ${value} added`, { description: "M-Pesa confirmed it. The payment can now be reversed or refunded through M-Pesa." })
      } else {
        toast.info(`Checking ${value} with M-Pesa`, { description: "M-Pesa has not answered yet; the payment shows the receipt once it confirms.", duration: 10_000 })
      }
      props.onDone?.()
      props.onOpenChange(false)
    } catch (e) {
      setError(errorMessage(e))
    }
  }

  return (
    <ActionDrawer
      open={props.open}
      onOpenChange={props.onOpenChange}
      busy={add.isPending}
      title="Add M-Pesa receipt"
      testId="mpesa-receipt-drawer"
      submitLabel="Check and add receipt"
      onSubmit={submit}
      description={`${paymentLine(target)}.`}
    >
      <Text size="small">
        M-Pesa confirmed this payment through a status check, which gives no receipt number, and a payment can only be
        reversed by its receipt. Find the receipt in the M-Pesa Org portal (or ask the shopper for the M-Pesa SMS) and enter
        it here. It is checked with M-Pesa first: it must be a payment of {formatKes(target.amount)} to this store.
      </Text>
      <Field id="mpesa-receipt" label="M-Pesa receipt number" error={fieldError ?? undefined} hint="Ten letters and digits, e.g. UBQ7XK2P4M.">
        <Input
          id="mpesa-receipt"
          value={receipt}
          placeholder="UBQ7XK2P4M"
          autoComplete="off"
          maxLength={12}
          onChange={(e) => (setReceipt(e.target.value), setFieldError(null))}
          disabled={add.isPending}
          aria-invalid={fieldError ? true : undefined}
        />
      </Field>
      {add.isPending ? (
        <Text size="small" className="text-ui-fg-subtle" data-testid="mpesa-receipt-waiting">
          Waiting for M-Pesa's answer (up to 20 seconds)…
        </Text>
      ) : null}
      <ErrorAlert message={error} />
    </ActionDrawer>
  )
}
