import { defineRouteConfig } from "@medusajs/admin-sdk"
import { Badge, Button, Container, Heading, Input, Select, StatusBadge, Table, Tabs, Text } from "@medusajs/ui"
import { useState } from "react"
import { Link } from "react-router-dom"
import { formatKes, formatTime, stateColor } from "../../../lib/format"
import { useMpesaTransactions } from "../../../lib/mpesa-api"

const VIEWS = [
  { value: "all", label: "All pushes" },
  { value: "failed", label: "Failed" },
  { value: "unmatched", label: "Unmatched money" },
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
      <div className="px-6 py-4">
        <Tabs value={view} onValueChange={(v) => (setView(v), setOffset(0))}>
          <Tabs.List>
            {VIEWS.map((v) => (
              <Tabs.Trigger key={v.value} value={v.value} data-testid={`mpesa-view-${v.value}`}>
                {v.label}
              </Tabs.Trigger>
            ))}
          </Tabs.List>
        </Tabs>
        {view !== "suspicious" ? (
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
      {error ? (
        <div className="px-6 py-4">
          <Text className="text-ui-fg-error">{error.message}</Text>
        </div>
      ) : isLoading || !data ? (
        <div className="px-6 py-4">
          <Text>Loading…</Text>
        </div>
      ) : view === "suspicious" ? (
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
      ) : (
        <>
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
              </Table.Row>
            </Table.Header>
            <Table.Body>
              {data.transactions.map((t) => (
                <Table.Row key={t.transaction_id} data-unmatched={t.unmatched ? "true" : "false"}>
                  <Table.Cell>{formatTime(t.created_at)}</Table.Cell>
                  <Table.Cell>{t.phone}</Table.Cell>
                  <Table.Cell>{formatKes(t.amount)}</Table.Cell>
                  <Table.Cell>
                    <StatusBadge color={stateColor(t)}>{t.state_label}</StatusBadge>
                  </Table.Cell>
                  <Table.Cell>{t.mpesa_receipt_number ? <Badge size="2xsmall">{t.mpesa_receipt_number}</Badge> : "-"}</Table.Cell>
                  <Table.Cell>{t.order_id ? <Link to={`/orders/${t.order_id}`} className="text-ui-fg-interactive">Open order</Link> : "-"}</Table.Cell>
                  <Table.Cell className="max-w-[420px] whitespace-normal py-2">
                    {t.reason ? <Text size="small">{t.reason}</Text> : null}
                    {t.action ? (
                      <Text size="small" className="text-ui-fg-subtle">
                        {t.action}
                      </Text>
                    ) : null}
                    {!t.reason && !t.action ? "-" : null}
                  </Table.Cell>
                </Table.Row>
              ))}
              {data.transactions.length === 0 ? <Empty cols={7} /> : null}
            </Table.Body>
          </Table>
          <Table.Pagination
            count={data.count}
            pageSize={PAGE}
            pageIndex={Math.floor(offset / PAGE)}
            pageCount={Math.max(1, Math.ceil(data.count / PAGE))}
            canPreviousPage={offset > 0}
            canNextPage={offset + PAGE < data.count}
            previousPage={() => setOffset(Math.max(0, offset - PAGE))}
            nextPage={() => setOffset(offset + PAGE)}
          />
        </>
      )}
    </Container>
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
