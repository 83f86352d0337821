import { defineWidgetConfig } from "@medusajs/admin-sdk"
import type { AdminOrder, DetailWidgetProps } from "@medusajs/framework/types"
import { Badge, Container, Heading, StatusBadge, Text } from "@medusajs/ui"
import { formatKes, formatTime, stateColor } from "../lib/format"
import { useMpesaOrderPayments, type TimelineEvent } from "../lib/mpesa-api"

const TONE: Record<TimelineEvent["tone"], string> = {
  info: "bg-ui-tag-neutral-icon",
  success: "bg-ui-tag-green-icon",
  warning: "bg-ui-tag-orange-icon",
  error: "bg-ui-tag-red-icon",
}

/** What M-Pesa did for this order: phone, amount, receipt, state in words, and the timeline. */
const MpesaOrderPaymentWidget = ({ data: order }: DetailWidgetProps<AdminOrder>) => {
  const { data, isLoading, error } = useMpesaOrderPayments(order.id)
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

  return (
    <Container className="divide-y p-0" data-testid="mpesa-order-payment">
      <div className="flex items-center justify-between px-6 py-4">
        <Heading level="h2">M-Pesa</Heading>
        <Text size="small" className="text-ui-fg-subtle">
          {data.payments.length} prompt{data.payments.length > 1 ? "s" : ""}
        </Text>
      </div>
      {data.payments.map(({ payment, timeline }) => (
        <div key={payment.transaction_id} className="flex flex-col gap-y-3 px-6 py-4">
          <div className="grid grid-cols-2 gap-2 text-sm">
            <Text size="small" className="text-ui-fg-subtle">State</Text>
            <div>
              <StatusBadge color={stateColor(payment)}>{payment.state_label}</StatusBadge>
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
    </Container>
  )
}

export const config = defineWidgetConfig({
  zone: "order.details",
  id: "mpesa-order-payment",
})

export default MpesaOrderPaymentWidget
