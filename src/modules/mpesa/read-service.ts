import type { Context, FindConfig, ModuleJoinerConfig } from "@medusajs/framework/types"
import { InjectManager, MedusaContext } from "@medusajs/framework/utils"
import { dbFor } from "./db-context"
import { joinerConfig } from "./joiner-config"
import { listForQuery } from "./query-reads"
import { MpesaServiceBase } from "./service-base"
import { SecretBox } from "./settings/secret-box"
import { toSettingsView } from "./settings/settings-view"
import { LedgerQueryStore } from "./stores/ledger-query-store"
import { SettingsStore } from "./stores/settings-store"
import type * as T from "./types"
import { toPaymentView } from "./views"

/**
 * The read side of the module's service: payments as the provider and the
 * storefront see them, the admin's lists, views and timelines
 * (admin-read-model.ts), the settings view. Reads only.
 */
export abstract class MpesaReadService extends MpesaServiceBase {
  /** What Query and module links see of the module: the M-Pesa payment record, read-only (joiner-config.ts). */
  __joinerConfig(): ModuleJoinerConfig {
    return joinerConfig
  }

  /** Query's list of M-Pesa payment records (phones masked); filters are checked and a bad one is refused by name. */
  @InjectManager()
  async listMpesaTransactions(
    filters: Record<string, unknown> = {},
    config: FindConfig<T.MpesaTransactionRecord> = {},
    @MedusaContext() sharedContext: Context = {}
  ): Promise<Partial<T.MpesaTransactionRecord>[]> {
    const store = new LedgerQueryStore(dbFor(sharedContext, this.baseRepository_))
    return (await listForQuery(store, filters, config, false)).records
  }

  @InjectManager()
  async listAndCountMpesaTransactions(
    filters: Record<string, unknown> = {},
    config: FindConfig<T.MpesaTransactionRecord> = {},
    @MedusaContext() sharedContext: Context = {}
  ): Promise<[Partial<T.MpesaTransactionRecord>[], number]> {
    const store = new LedgerQueryStore(dbFor(sharedContext, this.baseRepository_))
    const { records, count } = await listForQuery(store, filters, config, true)
    return [records, count ?? records.length]
  }

  /** What Settings -> M-Pesa shows: effective values with their source; secrets only as "set, ending in …". */
  @InjectManager()
  async getSettings(@MedusaContext() sharedContext: Context = {}): Promise<T.SettingsView> {
    const effective = await this.runtime_.refresh(true)
    const row = await new SettingsStore(dbFor(sharedContext, this.baseRepository_)).load().catch(() => null)
    const waiting = effective.problem ? await this.parts(sharedContext).callbacks.countWaiting() : 0
    return toSettingsView(effective, row, SecretBox.fromEnv() !== null, waiting)
  }

  toView(row: T.LedgerRow): T.MpesaPaymentView {
    return toPaymentView(row)
  }

  @InjectManager()
  async getPaymentBySession(sessionId: string, @MedusaContext() sharedContext: Context = {}): Promise<T.MpesaPaymentView | null> {
    return viewOf(await this.parts(sharedContext).ledger.findBySession(sessionId))
  }

  @InjectManager()
  async getPayment(transactionId: string, @MedusaContext() sharedContext: Context = {}): Promise<T.MpesaPaymentView | null> {
    return viewOf(await this.parts(sharedContext).ledger.findById(transactionId))
  }

  /** The raw ledger row, for workflows that need its Medusa ids (never sent to a browser as is). */
  @InjectManager()
  async getLedgerRow(transactionId: string, @MedusaContext() sharedContext: Context = {}): Promise<T.LedgerRow | null> {
    return this.parts(sharedContext).ledger.findById(transactionId)
  }

  @InjectManager()
  async getLedgerRowByCheckoutRequestId(checkoutRequestId: string, @MedusaContext() sharedContext: Context = {}): Promise<T.LedgerRow | null> {
    return this.parts(sharedContext).ledger.findByCheckoutRequestId(checkoutRequestId)
  }

  /** Ledger rows for merchant views and tests (read-only; state changes only through the module's own paths). */
  @InjectManager()
  async listLedger(filters: T.LedgerFilters = {}, page: T.Page = {}, @MedusaContext() sharedContext: Context = {}): Promise<T.LedgerRow[]> {
    return this.parts(sharedContext).reads.listLedger(filters, page)
  }

  /** Paid carts without an order, unconfirmed or conflicting callbacks, and unmatched money. */
  @InjectManager()
  async listPaymentsNeedingAttention(page: T.Page = {}, @MedusaContext() sharedContext: Context = {}): Promise<T.MpesaPaymentView[]> {
    return this.parts(sharedContext).reads.needingAttention(page)
  }

  @InjectManager()
  async listCallbacks(
    filters: { status?: T.CallbackStatus[]; transactionId?: string } = {},
    page: T.Page = {},
    @MedusaContext() sharedContext: Context = {}
  ): Promise<T.CallbackRow[]> {
    return this.parts(sharedContext).reads.listCallbacks(filters, page)
  }

  /** The admin's transactions list: ledger rows in the merchant's words, newest first, with a total. */
  @InjectManager()
  async listTransactions(
    filters: T.LedgerFilters,
    page: T.Page = {},
    @MedusaContext() sharedContext: Context = {}
  ): Promise<{ transactions: T.AdminTransactionView[]; count: number }> {
    return this.parts(sharedContext).reads.transactions(filters, page)
  }

  /** The admin's Refunds tab: payments with any refund, most recent refund first. */
  @InjectManager()
  async listRefundedTransactions(page: T.Page = {}, @MedusaContext() sharedContext: Context = {}): Promise<{ transactions: T.AdminTransactionView[]; count: number }> {
    return this.parts(sharedContext).reads.refundedTransactions(page)
  }

  /** One payment as the admin sees it (with its refunds). */
  @InjectManager()
  async getAdminTransaction(transactionId: string, @MedusaContext() sharedContext: Context = {}): Promise<T.AdminTransactionView | null> {
    return this.parts(sharedContext).reads.transaction(transactionId)
  }

  /** Callbacks a person may want to see: rejected, unconfirmed or malformed. */
  @InjectManager()
  async listSuspiciousCallbacks(page: T.Page = {}, @MedusaContext() sharedContext: Context = {}): Promise<T.AdminCallbackView[]> {
    return this.parts(sharedContext).reads.suspiciousCallbacks(page)
  }

  /** The given pushes (an order's `payment_collections.mpesa_payments`), each with its timeline. */
  @InjectManager()
  async paymentsWithTimeline(
    transactionIds: string[],
    @MedusaContext() sharedContext: Context = {}
  ): Promise<{ payment: T.AdminTransactionView; timeline: T.TimelineEvent[] }[]> {
    return this.parts(sharedContext).reads.withTimelines(transactionIds)
  }
}

export function viewOf(row: T.LedgerRow | null): T.MpesaPaymentView | null {
  return row ? toPaymentView(row) : null
}
