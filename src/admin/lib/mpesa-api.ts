import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query"
// Types only (erased at build): the shapes the admin routes return.
import type { AdminCallbackView, AdminTransactionView, TimelineEvent } from "../../modules/mpesa/types"
import type { PaymentActions, RefundStatus, RefundView } from "../../modules/mpesa/types"
import type { ConnectionCheck } from "../../modules/mpesa/types"
import type { SettingsView } from "../../modules/mpesa/types"
import type { MpesaRegionStatus } from "../../queries/mpesa-regions"
import { sdk } from "./sdk"

export type {
  AdminCallbackView,
  AdminTransactionView,
  ConnectionCheck,
  MpesaRegionStatus,
  PaymentActions,
  RefundStatus,
  RefundView,
  SettingsView,
  TimelineEvent,
}

/**
 * A transaction as the admin routes return it. The refund fields (issue 9) are
 * optional here so the admin works against a server that does not send them yet:
 * no refunds, nothing refunded, no actions offered.
 */
export type MpesaTransaction = AdminTransactionView & {
  order_id?: string | null
  refunds?: RefundView[]
  refunded_amount?: number
  actions?: PaymentActions
}

export type SettingsResponse = { settings: SettingsView; regions: MpesaRegionStatus[] }
export type TransactionsResponse = {
  view: string
  count: number
  transactions: (MpesaTransaction & { order_id: string | null })[]
  callbacks?: AdminCallbackView[]
}
export type OrderPayment = { payment: MpesaTransaction; timeline: TimelineEvent[]; refunds?: RefundView[] }
export type OrderPaymentsResponse = { order_id: string; payments: OrderPayment[] }

export type ReverseResponse = { transaction: MpesaTransaction; refund: RefundView }
export type AttachResponse = { transaction: MpesaTransaction; cart_id?: string | null; order_id: string | null }
export type OutsideRefundResponse = { transaction: MpesaTransaction; refund: RefundView; medusa_refund_id: string | null }

/** Refund states whose outcome is still to come from Daraja: pages showing one poll until it settles. */
export const PENDING_REFUND: RefundStatus[] = ["sending", "requested", "unknown"]
export const REFUND_POLL_MS = 3000

export function refundsOf(p: { payment?: MpesaTransaction; refunds?: RefundView[] } | MpesaTransaction): RefundView[] {
  if ("payment" in p && p.payment) return (p as OrderPayment).refunds ?? p.payment.refunds ?? []
  return (p as MpesaTransaction).refunds ?? []
}

export function hasPendingRefund(refunds: RefundView[]): boolean {
  return refunds.some((r) => PENDING_REFUND.includes(r.status))
}

const SETTINGS_KEY = ["mpesa", "settings"]

export function useMpesaSettings() {
  return useQuery({
    queryKey: SETTINGS_KEY,
    queryFn: () => sdk.client.fetch<SettingsResponse>("/admin/mpesa/settings"),
  })
}

export function useSaveMpesaSettings() {
  const client = useQueryClient()
  return useMutation({
    mutationFn: (body: Record<string, unknown>) =>
      sdk.client.fetch<SettingsResponse>("/admin/mpesa/settings", { method: "POST", body }),
    onSuccess: (data) => client.setQueryData(SETTINGS_KEY, data),
  })
}

export function useTestMpesaConnection() {
  return useMutation({
    mutationFn: () =>
      sdk.client.fetch<{ connection: ConnectionCheck }>("/admin/mpesa/settings/test-connection", { method: "POST", body: {} }),
  })
}

export function useMpesaTransactions(query: Record<string, string | number | undefined>, options: { enabled?: boolean } = {}) {
  const clean = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined && v !== ""))
  return useQuery({
    queryKey: ["mpesa", "transactions", clean],
    enabled: options.enabled ?? true,
    queryFn: () => sdk.client.fetch<TransactionsResponse>("/admin/mpesa/transactions", { query: clean }),
    // The dashboard's default (90 s) would show a tab as it was when last opened: money arrives at any time.
    staleTime: 0,
    // A reversal on its way: ask again until Daraja's result is in.
    refetchInterval: (q) =>
      q.state.data?.transactions.some((t) => hasPendingRefund(refundsOf(t))) ? REFUND_POLL_MS : false,
  })
}

export function useMpesaOrderPayments(orderId: string) {
  return useQuery({
    queryKey: ["mpesa", "order", orderId],
    queryFn: () => sdk.client.fetch<OrderPaymentsResponse>(`/admin/mpesa/orders/${orderId}`),
    staleTime: 0,
    refetchInterval: (q) => (q.state.data?.payments.some((p) => hasPendingRefund(refundsOf(p))) ? REFUND_POLL_MS : false),
  })
}

/** Every M-Pesa query (lists, order widgets) after money moved. */
function useInvalidateMpesa() {
  const client = useQueryClient()
  return () => client.invalidateQueries({ queryKey: ["mpesa"] })
}

/** Sends a Daraja Reversal of a whole unmatched payment; the server waits up to ~20 s for the result. */
export function useReverseMpesaPayment() {
  const invalidate = useInvalidateMpesa()
  return useMutation({
    mutationFn: ({ id, note }: { id: string; note?: string }) =>
      sdk.client.fetch<ReverseResponse>(`/admin/mpesa/transactions/${id}/reverse`, {
        method: "POST",
        body: note ? { note } : {},
      }),
    onSettled: invalidate,
  })
}

/**
 * Gives an unmatched payment to the cart (completed into an order) or the unpaid order it belongs to:
 * `target` is a cart id (cart_…) or an order id (order_…).
 */
export function useAttachMpesaPayment() {
  const invalidate = useInvalidateMpesa()
  return useMutation({
    mutationFn: ({ id, target }: { id: string; target: string }) =>
      sdk.client.fetch<AttachResponse>(`/admin/mpesa/transactions/${id}/attach`, {
        method: "POST",
        body: target.startsWith("order_") ? { order_id: target } : { cart_id: target },
      }),
    onSettled: invalidate,
  })
}

/** Records a refund the merchant made elsewhere (M-Pesa Org portal); for an order it is recorded in Medusa too. */
export function useRecordOutsideRefund() {
  const invalidate = useInvalidateMpesa()
  return useMutation({
    mutationFn: ({ id, amount, note }: { id: string; amount: number; note: string }) =>
      sdk.client.fetch<OutsideRefundResponse>(`/admin/mpesa/transactions/${id}/refund-outside`, {
        method: "POST",
        body: { amount, note },
      }),
    onSettled: invalidate,
  })
}

type RefundActionResponse = { refund: RefundView; transaction: MpesaTransaction }

export type ReceiptCheck = { receipt: string; status: "checking" | "verified" | "rejected"; reason: string | null; checked_at: string | null }

/** "Add receipt": M-Pesa's Transaction Status checks the receipt before it goes on the payment (waits up to ~20 s). */
export function useAddMpesaReceipt() {
  const invalidate = useInvalidateMpesa()
  return useMutation({
    mutationFn: ({ id, receipt }: { id: string; receipt: string }) =>
      sdk.client.fetch<{ check: ReceiptCheck; transaction: MpesaTransaction }>(`/admin/mpesa/transactions/${id}/receipt`, {
        method: "POST",
        body: { receipt },
      }),
    onSettled: invalidate,
  })
}

/** "Check again": one Transaction Status check now for a reversal M-Pesa has not confirmed (waits up to ~20 s). */
export function useCheckMpesaRefund() {
  const invalidate = useInvalidateMpesa()
  return useMutation({
    mutationFn: ({ refundId }: { refundId: string }) =>
      sdk.client.fetch<RefundActionResponse>(`/admin/mpesa/refunds/${refundId}/check`, { method: "POST", body: {} }),
    onSettled: invalidate,
  })
}

/** "Close as returned": the Org portal shows the reversal's money went back; counted as refunded. */
export function useCloseMpesaRefund() {
  const invalidate = useInvalidateMpesa()
  return useMutation({
    mutationFn: ({ refundId, note }: { refundId: string; note: string }) =>
      sdk.client.fetch<RefundActionResponse>(`/admin/mpesa/refunds/${refundId}/close`, { method: "POST", body: { note } }),
    onSettled: invalidate,
  })
}

/** The server's message in plain words (the SDK's FetchError carries the response's `message`). */
export function errorMessage(e: unknown): string {
  const status = (e as { status?: number } | null)?.status
  const raw = e instanceof Error ? e.message : typeof e === "string" ? e : ""
  const message = raw.replace(/^Invalid request: /, "").trim()
  if (!message || /^An unknown error occurred\.?$/.test(message)) {
    return status ? `The server could not do this (HTTP ${status}). Try again, or check the server log.` : "The server could not be reached. Try again."
  }
  return message
}

/** Splits a server error ("field: rule; field: rule", or Medusa's "... for field 'x' ...") by field. */
export function errorsByField(message: string, fields: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const part of message.replace(/^Invalid request: /, "").split(/;\s*/)) {
    const field = fields.find((f) => part.startsWith(`${f}:`) || part.includes(`'${f}'`) || part.startsWith(`${f} `))
    if (field) out[field] = part.replace(new RegExp(`^${field}:\\s*`), "")
  }
  return out
}
