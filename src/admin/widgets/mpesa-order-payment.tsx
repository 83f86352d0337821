import { defineWidgetConfig } from "@medusajs/admin-sdk"
import type { AdminOrder, DetailWidgetProps } from "@medusajs/framework/types"
import { Badge, Button, Container, Heading, StatusBadge, Text } from "@medusajs/ui"
import { useQueryClient } from "@tanstack/react-query"
import { useEffect, useRef, useState } from "react"
import { OutsideRefundDrawer } from "../components/refund-actions"
import { AddReceiptDrawer } from "../components/add-receipt-drawer"
import { RefundList } from "../components/refund-status"
import { formatKes, formatTime, stateColor } from "../lib/format"
import { refundsOf, useMpesaOrderPayments, type OrderPayment, type TimelineEvent } from "../lib/mpesa-api"

const TONE: Record<TimelineEvent["tone"], string> = {
  info: "bg-ui-tag-neutral-icon",
  success: "bg-ui-tag-green-icon",
  warning: "bg-ui-tag-orange-icon",
  error: "bg-ui-tag-red-icon",
}

/** What M-Pesa did for this order: phone, amount, receipt, state in words, and the timeline. */
const MpesaOrderPaymentWidget = ({ data: order }: DetailWidgetProps<AdminOrder>) => {
  const { data, isLoading, error } = useMpesaOrderPayments(order.id)
  useRefetchAfterOrderChanges(order)
  const [recordingId, setRecordingId] = useState<string | null>(null)
  const [receiptId, setReceiptId] = useState<string | null>(null)
  if (isLoading) return null
  if (error) {
    return (
      <Container>
        <Text size="small" className="text-ui-fg-error">
          M-Pesa: {error.message}
        </Text>
      </Container>
    )
  }
  if (!data?.payments.length) return null // not paid with M-Pesa
  const recording = data.payments.find((p) => p.payment.transaction_id === recordingId)?.payment
  const receiptFor = data.payments.find((p) => p.payment.transaction_id === receiptId)?.payment

  return (
    <Container className="divide-y p-0" data-testid="mpesa-order-payment">
      <div className="flex items-center justify-between px-6 py-4">
        <Heading level="h2">M-Pesa</Heading>
        <Text size="small" className="text-ui-fg-subtle">
          {data.payments.length} prompt{data.payments.length > 1 ? "s" : ""}
        </Text>
      </div>
      {data.payments.map(({ payment, timeline, refunds }) => (
        <div key={payment.transaction_id} className="flex flex-col gap-y-3 px-6 py-4" data-transaction-id={payment.transaction_id}>
          <div className="grid grid-cols-2 gap-2 text-sm">
            <Text size="small" className="text-ui-fg-subtle">State</Text>
            <div className="flex flex-wrap gap-1">
              <StatusBadge color={stateColor(payment)}>{payment.state_label}</StatusBadge>
              {(payment.refunded_amount ?? 0) >= payment.amount ? (
                <StatusBadge color="grey" data-testid="mpesa-refunded-badge">Refunded in full</StatusBadge>
              ) : (payment.refunded_amount ?? 0) > 0 ? (
                <StatusBadge color="orange" data-testid="mpesa-refunded-badge">Partly refunded</StatusBadge>
              ) : null}
            </div>
            <Text size="small" className="text-ui-fg-subtle">M-Pesa receipt</Text>
            <div data-testid="mpesa-receipt">
              {payment.mpesa_receipt_number ? <Badge>{payment.mpesa_receipt_number}</Badge> : <Text size="small">-</Text>}
            </div>
            <Text size="small" className="text-ui-fg-subtle">Phone</Text>
            <Text size="small">{payment.phone}</Text>
            <Text size="small" className="text-ui-fg-subtle">Amount</Text>
            <Text size="small">{formatKes(payment.amount)}</Text>
            {payment.reason ? (
              <>
                <Text size="small" className="text-ui-fg-subtle">Why</Text>
                <Text size="small">{payment.reason}</Text>
              </>
            ) : null}
            {payment.action ? (
              <>
                <Text size="small" className="text-ui-fg-subtle">What to do</Text>
                <Text size="small">{payment.action}</Text>
              </>
            ) : null}
          </div>
          {payment.actions?.add_receipt ? (
            <div className="flex flex-wrap items-center justify-between gap-2" data-testid="mpesa-missing-receipt">
              <Text size="xsmall" className="text-ui-fg-subtle max-w-prose">
                No M-Pesa receipt number: M-Pesa confirmed this payment through a status check, which gives none, so it
                cannot be reversed (Refund and Cancel are refused) until you add it from the Org portal or the shopper's SMS.
              </Text>
              <Button size="small" variant="secondary" onClick={() => setReceiptId(payment.transaction_id)} data-testid="mpesa-add-receipt">
                Add receipt
              </Button>
            </div>
          ) : null}
          <PaymentRefunds entry={{ payment, timeline, refunds }} onRecord={(entry) => setRecordingId(entry.payment.transaction_id)} />
          <ol className="flex flex-col gap-y-2" aria-label="M-Pesa timeline">
            {timeline.map((e, i) => (
              <li key={`${e.kind}-${i}`} className="flex gap-x-3">
                <span className={`mt-1.5 size-2 shrink-0 rounded-full ${TONE[e.tone]}`} />
                <div>
                  <Text size="small" weight="plus">{e.label}</Text>
                  <Text size="xsmall" className="text-ui-fg-subtle">
                    {formatTime(e.at)}
                    {e.detail ? ` · ${e.detail}` : ""}
                  </Text>
                </div>
              </li>
            ))}
          </ol>
        </div>
      ))}
      {receiptFor ? (
        <AddReceiptDrawer target={receiptFor} open onOpenChange={(open) => (open ? undefined : setReceiptId(null))} />
      ) : null}
      {recording ? (
        <OutsideRefundDrawer
          target={recording}
          max={recording.actions?.record_outside_max ?? 0}
          open
          onOpenChange={(open) => (open ? undefined : setRecordingId(null))}
        />
      ) : null}
    </Container>
  )
}

/**
 * The payment's refunds (Medusa's Refund on this page sends a Daraja reversal; its result shows here)
 * and the "Record refund made outside M-Pesa" action while some of the payment is unrefunded.
 */
function PaymentRefunds({ entry, onRecord }: { entry: OrderPayment; onRecord: (entry: OrderPayment) => void }) {
  const { payment } = entry
  const refunds = refundsOf(entry)
  const max = payment.actions?.record_outside_max ?? 0
  if (!refunds.length && max <= 0) return null
  const refunded = payment.refunded_amount ?? 0
  return (
    <div className="flex flex-col gap-y-2" data-testid="mpesa-payment-refunds">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <div>
          <Text size="small" weight="plus">
            Refunds
          </Text>
          <Text size="xsmall" className="text-ui-fg-subtle" data-testid="mpesa-refunded-amount">
            {refunded > 0 ? `${formatKes(refunded)} of ${formatKes(payment.amount)} refunded` : "Nothing refunded yet"}
          </Text>
        </div>
        {max > 0 ? (
          <Button size="small" variant="secondary" onClick={() => onRecord(entry)} data-testid="mpesa-record-outside">
            Record refund made outside M-Pesa
          </Button>
        ) : null}
      </div>
      <RefundList refunds={refunds} />
      {max > 0 && !refunds.length && !payment.actions?.add_receipt ? (
        <Text size="xsmall" className="text-ui-fg-subtle">
          To send the money back through M-Pesa, use Refund on this order's payment (the whole {formatKes(payment.amount)} is
          reversed). If you already refunded the customer another way, record it here.
        </Text>
      ) : null}
    </div>
  )
}

/**
 * Medusa's own Refund and Cancel on this page change our ledger (a Daraja reversal) without
 * touching our query: refetch when any admin request finishes or the order's payments change.
 * While a reversal is still on its way the query polls by itself (useMpesaOrderPayments).
 */
function useRefetchAfterOrderChanges(order: AdminOrder) {
  const client = useQueryClient()
  useEffect(() => {
    return client.getMutationCache().subscribe((event) => {
      if (event.type === "updated" && (event.action.type === "success" || event.action.type === "error")) {
        void client.invalidateQueries({ queryKey: ["mpesa", "order", order.id] })
      }
    })
  }, [client, order.id])

  const signature = [
    order.status,
    order.payment_status,
    ...(order.payment_collections ?? []).flatMap((pc) => (pc.payments ?? []).flatMap((p) => (p.refunds ?? []).map((r) => r.id))),
  ].join("|")
  const seen = useRef(signature)
  useEffect(() => {
    if (seen.current !== signature) {
      seen.current = signature
      void client.invalidateQueries({ queryKey: ["mpesa", "order", order.id] })
    }
  }, [client, order.id, signature])
}

export const config = defineWidgetConfig({
  zone: "order.details",
  id: "mpesa-order-payment",
})

export default MpesaOrderPaymentWidget
