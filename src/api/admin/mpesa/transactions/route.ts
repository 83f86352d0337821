import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { MedusaError } from "@medusajs/framework/utils"
import { normalizeKenyanPhone } from "../../../../lib/daraja"
import type { AdminTransactionView } from "../../../../modules/mpesa"
import { MPESA_MODULE, type IMpesaModuleService } from "../../../../modules/mpesa"
import type { LedgerFilters } from "../../../../modules/mpesa"
import { ordersForPaymentCollections } from "../../../../queries/mpesa-regions"
import { AdminListMpesaTransactions } from "../validators"

/**
 * GET /admin/mpesa/transactions — pushes with filters (view, state, date,
 * phone) and search by receipt; `view=suspicious` lists rejected or
 * unconfirmed callbacks instead.
 */
export async function GET(req: AuthenticatedMedusaRequest, res: MedusaResponse): Promise<void> {
  const parsed = AdminListMpesaTransactions.safeParse(req.query)
  if (!parsed.success) {
    throw new MedusaError(
      MedusaError.Types.INVALID_DATA,
      parsed.error.issues.map((i) => `${i.path.join(".") || "query"}: ${i.message}`).join("; ")
    )
  }
  const q = parsed.data
  const mpesa = req.scope.resolve<IMpesaModuleService>(MPESA_MODULE)
  if (q.view === "suspicious") {
    const callbacks = await mpesa.listSuspiciousCallbacks({ take: q.limit, skip: q.offset })
    res.json({ view: q.view, callbacks, transactions: [], count: callbacks.length })
    return
  }
  if (q.view === "refunds") {
    const { transactions, count } = await mpesa.listRefundedTransactions({ take: q.limit, skip: q.offset })
    res.json({ view: q.view, count, transactions: await withOrders(req, transactions) })
    return
  }
  const filters: LedgerFilters = {}
  if (q.state) filters.status = [q.state]
  if (q.view === "failed") filters.status = ["failed", "canceled", "expired"]
  if (q.view === "unmatched") {
    filters.unmatched = true
    filters.uncleared = true
  }
  if (q.view === "attention") filters.needsAttention = true
  if (q.receipt) filters.receipt = q.receipt
  if (q.from) filters.createdFrom = new Date(`${q.from}T00:00:00+03:00`) // dates are Nairobi days
  if (q.to) filters.createdTo = new Date(new Date(`${q.to}T00:00:00+03:00`).getTime() + 86_400_000)
  if (q.phone) {
    try {
      filters.phone = normalizeKenyanPhone(q.phone)
    } catch {
      throw new MedusaError(MedusaError.Types.INVALID_DATA, "phone: must be a Kenyan mobile number such as 0712345678")
    }
  }
  const { transactions, count } = await mpesa.listTransactions(filters, { take: q.limit, skip: q.offset })
  res.json({ view: q.view, count, transactions: await withOrders(req, transactions) })
}

/** Each payment with the order it paid for (null for unmatched money). */
export async function withOrders(req: { scope: AuthenticatedMedusaRequest["scope"] }, transactions: AdminTransactionView[]) {
  const orders = await ordersForPaymentCollections(
    req.scope,
    transactions.map((t) => t.payment_collection_id).filter((id): id is string => Boolean(id))
  )
  return transactions.map((t) => ({
    ...t,
    order_id: t.payment_collection_id && !t.unmatched ? (orders.get(t.payment_collection_id) ?? null) : null,
  }))
}
