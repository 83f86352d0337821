import { timeline, toAdminCallbackView, toAdminTransactionView } from "./admin-views"
import type { SettlementContext } from "./settlement-context"
import type {
  AdminCallbackView,
  AdminTransactionView,
  CallbackRow,
  CallbackStatus,
  LedgerFilters,
  LedgerRow,
  MpesaPaymentView,
  Page,
  TimelineEvent,
} from "./types"
import { toPaymentView } from "./views"

const DEFAULT_TAKE = 50
const page_ = (page: Page) => ({ take: page.take ?? DEFAULT_TAKE, skip: page.skip ?? 0 })

/**
 * The module's read side for merchants and tests: lists, the admin's
 * transaction views and an order's push timelines. Reads only; every state
 * change goes through the module's commands.
 */
export class AdminReadModel {
  constructor(private readonly ctx: Pick<SettlementContext, "ledger" | "refunds" | "callbacks">) {}

  listLedger(filters: LedgerFilters, page: Page): Promise<LedgerRow[]> {
    return this.ctx.ledger.list(filters, page_(page))
  }

  listCallbacks(filters: { status?: CallbackStatus[]; transactionId?: string }, page: Page): Promise<CallbackRow[]> {
    return this.ctx.callbacks.list(filters, page_(page))
  }

  /** Paid carts without an order, unconfirmed or conflicting callbacks, and unmatched money. */
  async needingAttention(page: Page): Promise<MpesaPaymentView[]> {
    const [flagged, unmatched] = await Promise.all([
      this.ctx.ledger.list({ needsAttention: true }, page_(page)),
      this.ctx.ledger.list({ unmatched: true }, page_(page)),
    ])
    const seen = new Set<string>()
    return [...flagged, ...unmatched].filter((r) => !seen.has(r.id) && seen.add(r.id)).map(toPaymentView)
  }

  /** The admin's transactions list: ledger rows in the merchant's words, newest first, with a total. */
  async transactions(filters: LedgerFilters, page: Page): Promise<{ transactions: AdminTransactionView[]; count: number }> {
    const [rows, count] = await Promise.all([this.ctx.ledger.list(filters, page_(page)), this.ctx.ledger.count(filters)])
    const refunds = await this.ctx.refunds.listForTransactions(rows.map((r) => r.id))
    return { transactions: rows.map((r) => toAdminTransactionView(r, refunds)), count }
  }

  /** The admin's Refunds tab: payments with any refund, most recent refund first. */
  async refundedTransactions(page: Page): Promise<{ transactions: AdminTransactionView[]; count: number }> {
    const { ids, count } = await this.ctx.refunds.transactionIdsWithRefunds(page_(page))
    const rows = ids.length ? await this.ctx.ledger.list({ ids }, { take: ids.length, skip: 0 }) : []
    const refunds = await this.ctx.refunds.listForTransactions(ids)
    const byId = new Map(rows.map((r) => [r.id, r]))
    const ordered = ids.map((id) => byId.get(id)).filter((r): r is LedgerRow => !!r)
    return { transactions: ordered.map((r) => toAdminTransactionView(r, refunds)), count }
  }

  /** One payment as the admin sees it (with its refunds). */
  async transaction(transactionId: string): Promise<AdminTransactionView | null> {
    const row = await this.ctx.ledger.findById(transactionId)
    if (!row) return null
    return toAdminTransactionView(row, await this.ctx.refunds.listForTransactions([row.id]))
  }

  /** Callbacks a person may want to see: rejected, unconfirmed or malformed. */
  async suspiciousCallbacks(page: Page): Promise<AdminCallbackView[]> {
    const rows = await this.ctx.callbacks.list({ status: ["suspicious", "unconfirmed", "invalid"] }, page_(page))
    return rows.map(toAdminCallbackView)
  }

  /** The given pushes (an order's, found by Query over the payment-collection link), each with its timeline. */
  async withTimelines(transactionIds: string[]): Promise<{ payment: AdminTransactionView; timeline: TimelineEvent[] }[]> {
    if (!transactionIds.length) return []
    const rows = await this.ctx.ledger.list({ ids: transactionIds }, { take: 50, skip: 0 })
    const ids = rows.map((r) => r.id)
    const callbacks = rows.length ? await this.ctx.callbacks.list({ transactionIds: ids }, { take: 500, skip: 0 }) : []
    const refunds = await this.ctx.refunds.listForTransactions(ids)
    return rows.map((row) => ({
      payment: toAdminTransactionView(row, refunds),
      timeline: timeline(
        row,
        callbacks.filter((c) => c.transaction_id === row.id),
        refunds.filter((r) => r.transaction_id === row.id)
      ),
    }))
  }
}
