import { Button, Prompt, Text, Textarea } from "@medusajs/ui"
import { useEffect, useState } from "react"
import { formatKes } from "../lib/format"
import { errorMessage, errorsByField, useCheckMpesaRefund, useCloseMpesaRefund } from "../lib/mpesa-api"
import { ActionDrawer, announceRefund, ErrorAlert, paymentLine, type ActionTarget } from "./refund-actions"
import { Field } from "./field"

/**
 * The two ways out of a reversal M-Pesa never confirmed (issue 14: no dead
 * ends): ask M-Pesa again now, or close it as returned when the Org portal
 * shows the money went back. While it is open, refunding again and
 * recording a refund made outside stay refused: the reversal may have moved
 * the money.
 */
export function CheckReversalPrompt(props: {
  target: ActionTarget
  refundId: string
  open: boolean
  onOpenChange: (open: boolean) => void
}) {
  const check = useCheckMpesaRefund()
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    if (props.open) setError(null)
  }, [props.open])

  const submit = async () => {
    setError(null)
    try {
      const { refund } = await check.mutateAsync({ refundId: props.refundId })
      announceRefund(refund, props.target)
      props.onOpenChange(false)
    } catch (e) {
      setError(errorMessage(e))
    }
  }

  return (
    <Prompt open={props.open} onOpenChange={(open) => (check.isPending ? undefined : props.onOpenChange(open))}>
      <Prompt.Content data-testid="mpesa-check-reversal-prompt">
        <Prompt.Header>
          <Prompt.Title>Ask M-Pesa about this reversal now?</Prompt.Title>
          <Prompt.Description>
            The reversal of {paymentLine(props.target)} has no confirmation yet. M-Pesa's Transaction Status is asked once more;
            its answer marks the reversal done or failed. Nothing is sent to the shopper.
          </Prompt.Description>
        </Prompt.Header>
        <div className="flex flex-col gap-y-3 px-6 pt-4">
          {check.isPending ? (
            <Text size="small" className="text-ui-fg-subtle">
              Waiting for M-Pesa's answer (up to 20 seconds)…
            </Text>
          ) : null}
          <ErrorAlert message={error} />
        </div>
        <Prompt.Footer>
          <Prompt.Cancel disabled={check.isPending}>Cancel</Prompt.Cancel>
          <Button size="small" onClick={submit} isLoading={check.isPending} data-testid="mpesa-check-reversal-confirm">
            Check again
          </Button>
        </Prompt.Footer>
      </Prompt.Content>
    </Prompt>
  )
}

export function CloseReversalDrawer(props: {
  target: ActionTarget
  refundId: string
  open: boolean
  onOpenChange: (open: boolean) => void
}) {
  const close = useCloseMpesaRefund()
  const [note, setNote] = useState("")
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    if (props.open) {
      setNote("")
      setErrors({})
      setError(null)
    }
  }, [props.open])

  const submit = async () => {
    setError(null)
    if (!note.trim()) return setErrors({ note: "Give the Org portal's reference for the money that went back." })
    try {
      const { refund } = await close.mutateAsync({ refundId: props.refundId, note: note.trim() })
      announceRefund(refund, props.target)
      props.onOpenChange(false)
    } catch (e) {
      const message = errorMessage(e)
      const byField = errorsByField(message, ["note"])
      if (Object.keys(byField).length) setErrors(byField)
      else setError(message)
    }
  }

  return (
    <ActionDrawer
      open={props.open}
      onOpenChange={props.onOpenChange}
      busy={close.isPending}
      title="Close reversal as returned"
      testId="mpesa-close-reversal-drawer"
      submitLabel="Close as returned"
      onSubmit={submit}
      description={<>Reversal of {paymentLine(props.target)}.</>}
    >
      <Text size="small">
        Only when the M-Pesa Org portal shows that {formatKes(props.target.amount)} went back to the shopper. The reversal then counts as
        refunded; for an order's payment the refund is recorded on the order by the plugin's background job.
      </Text>
      <Field id="mpesa-close-note" label="Org portal reference" error={errors.note} hint="Required, e.g. the reversal's transaction id.">
        <Textarea
          id="mpesa-close-note"
          value={note}
          maxLength={200}
          placeholder="Org portal reversal SJK2XYZ123"
          onChange={(e) => (setNote(e.target.value), setErrors({}))}
          disabled={close.isPending}
          aria-invalid={errors.note ? true : undefined}
        />
      </Field>
      <ErrorAlert message={error} />
    </ActionDrawer>
  )
}
