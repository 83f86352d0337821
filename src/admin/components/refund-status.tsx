import { Alert, Badge, StatusBadge, Text } from "@medusajs/ui"
import { formatKes, formatTime, type StatusColor } from "../lib/format"
import { PENDING_REFUND, type RefundStatus, type RefundView } from "../lib/mpesa-api"

const KIND_LABELS: Record<RefundView["kind"], string> = {
  reversal: "M-Pesa reversal",
  outside: "Recorded refund",
}

export function refundKindLabel(r: RefundView): string {
  return KIND_LABELS[r.kind] ?? r.kind
}

export function refundColor(status: RefundStatus): StatusColor {
  if (status === "completed") return "green"
  if (status === "failed") return "red"
  if (status === "unknown") return "purple"
  return "orange"
}

export function isPendingRefund(r: RefundView): boolean {
  return PENDING_REFUND.includes(r.status)
}

/**
 * One refund's outcome in a line: "Reversed · reversal receipt SJ…", "Reversal failed: <reason>",
 * "Waiting for M-Pesa". The label is the server's (status_label); only the details are added here.
 */
export function refundOutcome(r: RefundView): string {
  if (r.status === "failed") return r.reason ? `${r.status_label}: ${r.reason}` : r.status_label
  if (r.status === "completed" && r.reversal_receipt) return `${r.status_label} · reversal receipt ${r.reversal_receipt}`
  if (r.reason && isPendingRefund(r)) return `${r.status_label} (${r.reason})`
  return r.status_label
}

/** Ends a message with one full stop (server reasons may or may not have one). */
export function sentence(text: string): string {
  const t = text.trim()
  return /[.!?]$/.test(t) ? t : `${t}.`
}

function requestedBy(r: RefundView): string {
  if (!r.requested_by) return ""
  if (r.requested_by === "medusa") return " · from Medusa's Refund or order cancel"
  if (r.requested_by.startsWith("admin:")) return " · by an admin user"
  return ` · by ${r.requested_by}`
}

/** The badge of one refund (colour by status, the server's label). */
export function RefundStatusBadge({ refund }: { refund: RefundView }) {
  return (
    <StatusBadge color={refundColor(refund.status)} data-refund-status={refund.status}>
      {refund.status_label}
    </StatusBadge>
  )
}

/** A refund's reversal receipt and, in red when it failed, its reason (the lines under its badge in a table). */
export function RefundDetails({ refund }: { refund: RefundView }) {
  return (
    <>
      {refund.reversal_receipt ? (
        <Text size="xsmall" data-testid="mpesa-reversal-receipt">
          Reversal receipt <Badge size="2xsmall">{refund.reversal_receipt}</Badge>
        </Text>
      ) : null}
      {refund.status === "failed" ? (
        <Text size="xsmall" className="text-ui-fg-error" role="alert">
          {refundOutcome(refund)}
        </Text>
      ) : refund.reason ? (
        <Text size="xsmall" className="text-ui-fg-subtle">
          {refund.reason}
        </Text>
      ) : null}
    </>
  )
}

/**
 * The refund state of a transaction row, newest refund first: status badge, reversal receipt, and
 * the failure reason in plain words (red) — so the merchant sees the outcome where the row is.
 */
export function RowRefundStatus({ refunds }: { refunds: RefundView[] }) {
  if (!refunds.length) return <>-</>
  const [latest, ...older] = refunds
  return (
    <div className="flex flex-col gap-y-1" data-testid="mpesa-row-refund" data-refund-status={latest.status}>
      <div className="flex flex-wrap items-center gap-1">
        <RefundStatusBadge refund={latest} />
        <Text size="xsmall" className="text-ui-fg-subtle">
          {formatKes(latest.amount)}
        </Text>
      </div>
      <RefundDetails refund={latest} />
      {older.length ? (
        <Text size="xsmall" className="text-ui-fg-muted">
          +{older.length} earlier: {older.map((r) => `${r.status_label} ${formatKes(r.amount)}`).join(", ")}
        </Text>
      ) : null}
    </div>
  )
}

/**
 * Every refund of one payment (the order widget): kind, amount, status, reversal receipt, note, and a
 * loud red alert for a failed one (nothing moved; the merchant must act).
 */
export function RefundList({ refunds }: { refunds: RefundView[] }) {
  if (!refunds.length) return null
  return (
    <ul className="flex flex-col gap-y-2" aria-label="M-Pesa refunds" data-testid="mpesa-refunds">
      {refunds.map((r) => (
        <li key={r.id} data-refund-status={r.status} data-testid="mpesa-refund" className="flex flex-col gap-y-2">
          <div className="bg-ui-bg-subtle flex flex-col gap-y-1 rounded-md px-3 py-2">
            <div className="flex flex-wrap items-center justify-between gap-2">
              <div className="flex items-center gap-x-2">
                <RefundStatusBadge refund={r} />
                <Text size="small" weight="plus">
                  {refundKindLabel(r)}
                </Text>
              </div>
              <Text size="small" weight="plus">
                − {formatKes(r.amount)}
              </Text>
            </div>
            {r.reversal_receipt ? (
              <Text size="small" data-testid="mpesa-reversal-receipt">
                Reversal receipt <Badge size="2xsmall">{r.reversal_receipt}</Badge>
              </Text>
            ) : null}
            {r.note ? (
              <Text size="xsmall" className="text-ui-fg-subtle">
                Note: {r.note}
              </Text>
            ) : null}
            {r.reason && r.status !== "failed" ? (
              <Text size="xsmall" className="text-ui-fg-subtle">
                {r.reason}
              </Text>
            ) : null}
            <Text size="xsmall" className="text-ui-fg-muted">
              {r.settled_at ? `Settled ${formatTime(r.settled_at)}` : `Requested ${formatTime(r.created_at)}`}
              {requestedBy(r)}
            </Text>
          </div>
          {r.status === "failed" ? (
            <Alert variant="error" data-testid="mpesa-refund-failed">
              {sentence(refundOutcome(r))} No money moved: the customer still has to be refunded.
            </Alert>
          ) : null}
        </li>
      ))}
    </ul>
  )
}
