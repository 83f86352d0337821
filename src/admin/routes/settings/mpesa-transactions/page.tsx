import { defineRouteConfig } from "@medusajs/admin-sdk"
import { ArrowPath, ArrowUturnLeft, CheckCircle, CurrencyDollar, EllipsisHorizontal, Link as LinkIcon, Receipt } from "@medusajs/icons"
import { Alert, Badge, Button, Container, DropdownMenu, Heading, IconButton, Input, Select, StatusBadge, Table, Tabs, Text } from "@medusajs/ui"
import { useState, type ReactNode } from "react"
import { Link } from "react-router-dom"
import { AttachToCartDrawer, OutsideRefundDrawer, ReversePaymentPrompt } from "../../../components/refund-actions"
import { AddReceiptDrawer } from "../../../components/add-receipt-drawer"
import { CheckReversalPrompt, CloseReversalDrawer } from "../../../components/unconfirmed-reversal-actions"
import { isPendingRefund, RefundDetails, refundKindLabel, refundOutcome, RefundStatusBadge, RowRefundStatus } from "../../../components/refund-status"
import { formatKes, formatTime, stateColor } from "../../../lib/format"
import { refundsOf, useMpesaSettings, useMpesaTransactions, type MpesaTransaction, type RefundView } from "../../../lib/mpesa-api"
import { PausedBanner } from "../../../components/paused-banner"

type Row = MpesaTransaction & { order_id: string | null }
type ActionKind = "reverse" | "attach" | "outside" | "check" | "close" | "receipt"
/** What the merchant just did, shown above the table until dismissed (the row may have left the tab). */
type Outcome =
  | { kind: "refund"; row: Row; refund: RefundView }
  | { kind: "attach"; row: Row; orderId: string | null }

const VIEWS = [
  { value: "all", label: "All pushes" },
  { value: "failed", label: "Failed" },
  { value: "unmatched", label: "Unmatched money" },
  { value: "refunds", label: "Refunds" },
  { value: "attention", label: "Needs attention" },
  { value: "suspicious", label: "Suspicious callbacks" },
] as const
const STATES = ["initiating", "pending", "indeterminate", "paid", "failed", "canceled", "expired"]
const PAGE = 20

/** Settings -> M-Pesa transactions: every push, failures with their reason, money without an order. */
const MpesaTransactionsPage = () => {
  const [view, setView] = useState<string>("all")
  const [state, setState] = useState<string>("")
  const [phone, setPhone] = useState("")
  const [receipt, setReceipt] = useState("")
  const [from, setFrom] = useState("")
  const [to, setTo] = useState("")
  const [offset, setOffset] = useState(0)
  const [applied, setApplied] = useState({ phone: "", receipt: "", from: "", to: "" })
  const { data, isLoading, error } = useMpesaTransactions({ view, state, ...applied, limit: PAGE, offset })
  // Only for the paused banner: payments cannot settle while M-Pesa is paused, and this is where one looks.
  const paused = useMpesaSettings().data?.settings.paused ?? null
  const [active, setActive] = useState<{ kind: ActionKind; row: Row } | null>(null)
  const [outcome, setOutcome] = useState<Outcome | null>(null)
  const close = (open: boolean) => (open ? undefined : setActive(null))
  const rows = data?.transactions ?? []

  const search = () => {
    setOffset(0)
    setApplied({ phone, receipt, from, to })
  }

  return (
    <Container className="divide-y p-0">
      <div className="flex items-center justify-between px-6 py-4">
        <div>
          <Heading level="h1">M-Pesa transactions</Heading>
          <Text size="small" className="text-ui-fg-subtle">
            Every STK Push the store sent, what became of it, and what you can do about the ones that need you.
          </Text>
        </div>
        <Link to="/settings/mpesa" className="text-ui-fg-interactive txt-compact-small">
          M-Pesa settings
        </Link>
      </div>
      {paused ? (
        <div className="px-6 py-4">
          <PausedBanner paused={paused} />
        </div>
      ) : null}
      <div className="px-6 py-4">
        <Tabs value={view} onValueChange={(v) => (setView(v), setOffset(0))}>
          {/* On a phone the six tabs scroll sideways instead of running off the page. */}
          <Tabs.List className="overflow-x-auto">
            {VIEWS.map((v) => (
              <Tabs.Trigger key={v.value} value={v.value} data-testid={`mpesa-view-${v.value}`} className="whitespace-nowrap">
                {v.label}
              </Tabs.Trigger>
            ))}
          </Tabs.List>
        </Tabs>
        {view !== "suspicious" && view !== "refunds" ? (
          <div className="mt-4 grid grid-cols-2 gap-2 md:grid-cols-6">
            <Select value={state || "any"} onValueChange={(v) => (setState(v === "any" ? "" : v), setOffset(0))} size="small">
              <Select.Trigger>
                <Select.Value placeholder="State" />
              </Select.Trigger>
              <Select.Content>
                <Select.Item value="any">Any state</Select.Item>
                {STATES.map((s) => (
                  <Select.Item key={s} value={s}>
                    {s}
                  </Select.Item>
                ))}
              </Select.Content>
            </Select>
            <Input size="small" placeholder="Phone (07…)" value={phone} onChange={(e) => setPhone(e.target.value)} />
            <Input size="small" placeholder="Receipt" value={receipt} onChange={(e) => setReceipt(e.target.value)} data-testid="mpesa-receipt-search" />
            <Input size="small" type="date" aria-label="From" value={from} onChange={(e) => setFrom(e.target.value)} />
            <Input size="small" type="date" aria-label="To" value={to} onChange={(e) => setTo(e.target.value)} />
            <Button size="small" variant="secondary" onClick={search}>
              Search
            </Button>
          </div>
        ) : null}
      </div>
      {outcome ? <OutcomeBanner key={outcome.kind === "refund" ? outcome.refund.id : `attach-${outcome.row.transaction_id}`} onRefundsTab={view === "refunds"} outcome={outcome} rows={rows} onDismiss={() => setOutcome(null)} /> : null}
      {error ? (
        <div className="px-6 py-4">
          <Text className="text-ui-fg-error">{error.message}</Text>
        </div>
      ) : isLoading || !data ? (
        <div className="px-6 py-4">
          <Text>Loading…</Text>
        </div>
      ) : view === "suspicious" ? (
        <TableScroller>
        <Table>
          <Table.Header>
            <Table.Row>
              <Table.HeaderCell>Received</Table.HeaderCell>
              <Table.HeaderCell>Status</Table.HeaderCell>
              <Table.HeaderCell>Why</Table.HeaderCell>
              <Table.HeaderCell>From</Table.HeaderCell>
              <Table.HeaderCell>What to do</Table.HeaderCell>
            </Table.Row>
          </Table.Header>
          <Table.Body>
            {(data.callbacks ?? []).map((c) => (
              <Table.Row key={c.id}>
                <Table.Cell>{formatTime(c.created_at)}</Table.Cell>
                <Table.Cell>
                  <StatusBadge color={c.status === "suspicious" ? "red" : "orange"}>{c.status}</StatusBadge>
                </Table.Cell>
                <Table.Cell className="whitespace-normal">{c.note ?? "-"}</Table.Cell>
                <Table.Cell>{c.source_ip ?? "-"}</Table.Cell>
                <Table.Cell className="whitespace-normal">{c.action}</Table.Cell>
              </Table.Row>
            ))}
            {(data.callbacks ?? []).length === 0 ? <Empty cols={5} /> : null}
          </Table.Body>
        </Table>
        </TableScroller>
      ) : view === "refunds" ? (
        <>
          <RefundsTable rows={data.transactions} onAction={(kind, row) => setActive({ kind, row })} />
          <Pagination count={data.count} offset={offset} setOffset={setOffset} />
        </>
      ) : (
        <>
          <TableScroller>
          <Table data-testid="mpesa-transactions">
            <Table.Header>
              <Table.Row>
                <Table.HeaderCell>Sent</Table.HeaderCell>
                <Table.HeaderCell>Phone</Table.HeaderCell>
                <Table.HeaderCell>Amount</Table.HeaderCell>
                <Table.HeaderCell>State</Table.HeaderCell>
                <Table.HeaderCell>Receipt</Table.HeaderCell>
                <Table.HeaderCell>Order</Table.HeaderCell>
                <Table.HeaderCell>Reason / what to do</Table.HeaderCell>
                <Table.HeaderCell>Refund</Table.HeaderCell>
                <Table.HeaderCell className="w-px" />
              </Table.Row>
            </Table.Header>
            <Table.Body>
              {data.transactions.map((t) => (
                <Table.Row
                  key={t.transaction_id}
                  data-unmatched={t.unmatched ? "true" : "false"}
                  data-transaction-id={t.transaction_id}
                  data-receipt={t.mpesa_receipt_number ?? ""}
                >
                  <Table.Cell>{formatTime(t.created_at)}</Table.Cell>
                  <Table.Cell>{t.phone}</Table.Cell>
                  <Table.Cell className="whitespace-nowrap">{formatKes(t.amount)}</Table.Cell>
                  <Table.Cell>
                    <StatusBadge color={stateColor(t)}>{t.state_label}</StatusBadge>
                  </Table.Cell>
                  <Table.Cell>{t.mpesa_receipt_number ? <Badge size="2xsmall">{t.mpesa_receipt_number}</Badge> : "-"}</Table.Cell>
                  <Table.Cell>{t.order_id ? <Link to={`/orders/${t.order_id}`} className="text-ui-fg-interactive">Open order</Link> : "-"}</Table.Cell>
                  <Table.Cell className="min-w-[280px] max-w-[400px] whitespace-normal py-2" data-testid="mpesa-row-reason">
                    {t.reason ? <Text size="small">{t.reason}</Text> : null}
                    {t.action ? (
                      <Text size="small" className="text-ui-fg-subtle">
                        {t.action}
                      </Text>
                    ) : null}
                    {!t.reason && !t.action ? "-" : null}
                  </Table.Cell>
                  <Table.Cell className="min-w-[160px] max-w-[260px] whitespace-normal py-2">
                    <RowRefundStatus refunds={refundsOf(t)} />
                  </Table.Cell>
                  <Table.Cell>
                    <RowActions row={t} onAction={(kind) => setActive({ kind, row: t })} />
                  </Table.Cell>
                </Table.Row>
              ))}
              {data.transactions.length === 0 ? <Empty cols={9} /> : null}
            </Table.Body>
          </Table>
          </TableScroller>
          <Pagination count={data.count} offset={offset} setOffset={setOffset} />
        </>
      )}
      {active ? (
        <>
          <ReversePaymentPrompt
            target={active.row}
            open={active.kind === "reverse"}
            onOpenChange={close}
            onDone={(refund) => setOutcome({ kind: "refund", row: active.row, refund })}
          />
          <AttachToCartDrawer
            target={active.row}
            open={active.kind === "attach"}
            onOpenChange={close}
            onDone={(orderId) => setOutcome({ kind: "attach", row: active.row, orderId })}
          />
          <OutsideRefundDrawer
            target={active.row}
            max={active.row.actions?.record_outside_max ?? 0}
            open={active.kind === "outside"}
            onOpenChange={close}
            onDone={(refund) => setOutcome({ kind: "refund", row: active.row, refund })}
          />
          <AddReceiptDrawer target={active.row} open={active.kind === "receipt"} onOpenChange={close} />
          {active.row.actions?.open_reversal_id ? (
            <>
              <CheckReversalPrompt
                target={active.row}
                refundId={active.row.actions.open_reversal_id}
                open={active.kind === "check"}
                onOpenChange={close}
              />
              <CloseReversalDrawer
                target={active.row}
                refundId={active.row.actions.open_reversal_id}
                open={active.kind === "close"}
                onOpenChange={close}
              />
            </>
          ) : null}
        </>
      ) : null}
    </Container>
  )
}

function Pagination({ count, offset, setOffset }: { count: number; offset: number; setOffset: (n: number) => void }) {
  return (
    <Table.Pagination
      count={count}
      pageSize={PAGE}
      pageIndex={Math.floor(offset / PAGE)}
      pageCount={Math.max(1, Math.ceil(count / PAGE))}
      canPreviousPage={offset > 0}
      canNextPage={offset + PAGE < count}
      previousPage={() => setOffset(Math.max(0, offset - PAGE))}
      nextPage={() => setOffset(offset + PAGE)}
    />
  )
}

/** The "…" menu of a row: only the actions the server allows for this payment now. */
function RowActions({ row, onAction }: { row: Row; onAction: (kind: ActionKind) => void }) {
  const a = row.actions
  if (!a || (!a.reverse && !a.attach && !(a.record_outside_max > 0) && !a.open_reversal_id && !a.add_receipt)) return null
  return (
    <DropdownMenu>
      <DropdownMenu.Trigger asChild>
        <IconButton size="small" variant="transparent" data-testid="mpesa-row-actions" aria-label="Payment actions">
          <EllipsisHorizontal />
        </IconButton>
      </DropdownMenu.Trigger>
      <DropdownMenu.Content align="end">
        {a.reverse ? (
          <DropdownMenu.Item className="gap-x-2" onClick={() => onAction("reverse")} data-testid="mpesa-action-reverse">
            <ArrowUturnLeft className="text-ui-fg-subtle" />
            Reverse payment
          </DropdownMenu.Item>
        ) : null}
        {a.attach ? (
          <DropdownMenu.Item className="gap-x-2" onClick={() => onAction("attach")} data-testid="mpesa-action-attach">
            <LinkIcon className="text-ui-fg-subtle" />
            Attach to cart or order
          </DropdownMenu.Item>
        ) : null}
        {a.add_receipt ? (
          <DropdownMenu.Item className="gap-x-2" onClick={() => onAction("receipt")} data-testid="mpesa-action-receipt">
            <Receipt className="text-ui-fg-subtle" />
            Add M-Pesa receipt
          </DropdownMenu.Item>
        ) : null}
        {a.record_outside_max > 0 ? (
          <DropdownMenu.Item className="gap-x-2" onClick={() => onAction("outside")} data-testid="mpesa-action-outside">
            <CurrencyDollar className="text-ui-fg-subtle" />
            Record refund made outside M-Pesa
          </DropdownMenu.Item>
        ) : null}
        {a.open_reversal_id ? (
          <>
            <DropdownMenu.Item className="gap-x-2" onClick={() => onAction("check")} data-testid="mpesa-action-check-reversal">
              <ArrowPath className="text-ui-fg-subtle" />
              Check reversal again
            </DropdownMenu.Item>
            <DropdownMenu.Item className="gap-x-2" onClick={() => onAction("close")} data-testid="mpesa-action-close-reversal">
              <CheckCircle className="text-ui-fg-subtle" />
              Close reversal as returned
            </DropdownMenu.Item>
          </>
        ) : null}
      </DropdownMenu.Content>
    </DropdownMenu>
  )
}

/** The Refunds tab: each payment that has refunds, with every refund's status and its receipt or reason. */
function RefundsTable({ rows, onAction }: { rows: Row[]; onAction: (kind: ActionKind, row: Row) => void }) {
  return (
    <TableScroller>
    <Table data-testid="mpesa-refunds-table">
      <Table.Header>
        <Table.Row>
          <Table.HeaderCell>Payment</Table.HeaderCell>
          <Table.HeaderCell>Amount</Table.HeaderCell>
          <Table.HeaderCell>Refunded</Table.HeaderCell>
          <Table.HeaderCell>Refunds</Table.HeaderCell>
          <Table.HeaderCell>Order</Table.HeaderCell>
          <Table.HeaderCell className="w-px" />
        </Table.Row>
      </Table.Header>
      <Table.Body>
        {rows.map((t) => (
          <Table.Row key={t.transaction_id} data-transaction-id={t.transaction_id} data-receipt={t.mpesa_receipt_number ?? ""}>
            <Table.Cell className="py-2">
              <div className="flex flex-col gap-y-1">
                {t.mpesa_receipt_number ? <Badge size="2xsmall" className="w-fit">{t.mpesa_receipt_number}</Badge> : null}
                <Text size="xsmall" className="text-ui-fg-subtle">
                  {t.phone} · {formatTime(t.created_at)}
                </Text>
              </div>
            </Table.Cell>
            <Table.Cell className="whitespace-nowrap">{formatKes(t.amount)}</Table.Cell>
            <Table.Cell className="whitespace-nowrap">{formatKes(t.refunded_amount ?? 0)}</Table.Cell>
            <Table.Cell className="whitespace-normal py-2">
              <ul className="flex flex-col gap-y-2">
                {refundsOf(t).map((r) => (
                  <li key={r.id} className="flex flex-col gap-y-0.5" data-testid="mpesa-refund" data-refund-status={r.status}>
                    <div className="flex flex-wrap items-center gap-2">
                      <RefundStatusBadge refund={r} />
                      <Text size="small">
                        {refundKindLabel(r)} · {formatKes(r.amount)}
                      </Text>
                    </div>
                    <RefundDetails refund={r} />
                    <Text size="xsmall" className="text-ui-fg-muted">
                      {formatTime(r.settled_at ?? r.created_at)}
                      {r.note ? ` · ${r.note}` : ""}
                    </Text>
                  </li>
                ))}
              </ul>
            </Table.Cell>
            <Table.Cell>
              {t.order_id ? (
                <Link to={`/orders/${t.order_id}`} className="text-ui-fg-interactive">
                  Open order
                </Link>
              ) : (
                <Text size="small" className="text-ui-fg-subtle">
                  {t.unmatched ? "No order (unmatched)" : "-"}
                </Text>
              )}
            </Table.Cell>
            <Table.Cell>
              <RowActions row={t} onAction={(kind) => onAction(kind, t)} />
            </Table.Cell>
          </Table.Row>
        ))}
        {rows.length === 0 ? <Empty cols={6} /> : null}
      </Table.Body>
    </Table>
    </TableScroller>
  )
}

/** Wide tables scroll sideways inside the page on a narrow screen, instead of widening the whole page. */
function TableScroller({ children }: { children: ReactNode }) {
  return <div className="w-full overflow-x-auto">{children}</div>
}

/**
 * The outcome of the last action. A full reversal takes the payment off the Unmatched tab, so the
 * result stays here; a reversal still waiting for M-Pesa is followed on the Refunds list until it settles.
 */
function OutcomeBanner(props: { outcome: Outcome; rows: Row[]; onRefundsTab: boolean; onDismiss: () => void }) {
  const { outcome, rows, onDismiss } = props
  const first = outcome.kind === "refund" ? outcome.refund : null
  const pending = first ? isPendingRefund(first) : false
  const watch = useMpesaTransactions({ view: "refunds", limit: 20 }, { enabled: pending })
  const find = (list: Row[] | undefined) =>
    first ? list?.flatMap((t) => refundsOf(t)).find((r) => r.id === first.id) : undefined
  const refund = first ? (find(rows) ?? find(watch.data?.transactions) ?? first) : null
  const row = outcome.row
  const payment = `${formatKes(row.amount)} from ${row.phone}${row.mpesa_receipt_number ? ` (receipt ${row.mpesa_receipt_number})` : ""}`

  let variant: "success" | "error" | "info" = "success"
  let text: ReactNode
  if (outcome.kind === "attach") {
    text = (
      <>
        {payment} attached{outcome.orderId ? ": it now pays the order. " : "; the order is being completed. "}
        {outcome.orderId ? (
          <Link to={`/orders/${outcome.orderId}`} className="text-ui-fg-interactive">
            Open order
          </Link>
        ) : null}
      </>
    )
  } else if (refund) {
    variant = refund.status === "failed" ? "error" : refund.status === "completed" ? "success" : "info"
    const tail =
      refund.status === "failed"
        ? " No money moved."
        : refund.status === "completed" && refund.kind === "reversal" && !props.onRefundsTab
          ? " It is listed on the Refunds tab."
          : refund.status === "completed"
            ? ""
            : " This updates by itself when M-Pesa answers."
    text = (
      <>
        {refund.kind === "reversal" ? "Reversal of " : "Refund recorded for "}
        {payment}: <span data-testid="mpesa-outcome-status">{refundOutcome(refund).replace(/\.$/, "")}</span>.{tail}
      </>
    )
  }
  return (
    <div className="px-6 py-4">
      <Alert
        variant={variant}
        dismissible
        data-testid="mpesa-outcome"
        data-refund-status={refund?.status ?? ""}
        onClick={(e) => {
          // the Alert's own close button hides it; forget the outcome too
          if ((e.target as HTMLElement).closest("button")) onDismiss()
        }}
      >
        {text}
      </Alert>
    </div>
  )
}

function Empty({ cols }: { cols: number }) {
  return (
    <Table.Row>
      <td colSpan={cols} className="text-ui-fg-subtle txt-compact-small px-6 py-3">
        Nothing here.
      </td>
    </Table.Row>
  )
}

export const config = defineRouteConfig({
  label: "M-Pesa transactions",
})

export default MpesaTransactionsPage
