import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query"
// Types only (erased at build): the shapes the admin routes return.
import type { AdminCallbackView, AdminTransactionView, TimelineEvent } from "../../modules/mpesa/admin-views"
import type { ConnectionCheck } from "../../modules/mpesa/settings/connection-check"
import type { SettingsView } from "../../modules/mpesa/settings/settings-view"
import type { MpesaRegionStatus } from "../../queries/mpesa-regions"
import { sdk } from "./sdk"

export type { AdminCallbackView, AdminTransactionView, ConnectionCheck, MpesaRegionStatus, SettingsView, TimelineEvent }

export type SettingsResponse = { settings: SettingsView; regions: MpesaRegionStatus[] }
export type TransactionsResponse = {
  view: string
  count: number
  transactions: (AdminTransactionView & { order_id: string | null })[]
  callbacks?: AdminCallbackView[]
}
export type OrderPaymentsResponse = { order_id: string; payments: { payment: AdminTransactionView; timeline: TimelineEvent[] }[] }

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

export function useMpesaTransactions(query: Record<string, string | number | undefined>) {
  const clean = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined && v !== ""))
  return useQuery({
    queryKey: ["mpesa", "transactions", clean],
    queryFn: () => sdk.client.fetch<TransactionsResponse>("/admin/mpesa/transactions", { query: clean }),
  })
}

export function useMpesaOrderPayments(orderId: string) {
  return useQuery({
    queryKey: ["mpesa", "order", orderId],
    queryFn: () => sdk.client.fetch<OrderPaymentsResponse>(`/admin/mpesa/orders/${orderId}`),
  })
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
