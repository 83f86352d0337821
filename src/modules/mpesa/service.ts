import type { IEventBusModuleService, Logger } from "@medusajs/framework/types"
import type { DarajaClient } from "../../lib/daraja"
import { CallbackApplication } from "./callback-application"
import { CallbackInbox } from "./callback-inbox"
import { callbackUrlPattern } from "./callbacks/callback-url"
import { CompletionLedger } from "./completion-ledger"
import { errorSummary } from "./error-mapping"
import { MPESA_PAYMENT_CAPTURED } from "./events"
import { MPESA_OPTIONS } from "./loaders/validate-options"
import { parseMpesaOptions, type MpesaOptions } from "./options"
import type { ConnectionCheck } from "./settings/connection-check"
import { ConfigRuntime } from "./settings/config-runtime"
import { SecretBox } from "./settings/secret-box"
import type { SettingsPatch } from "./settings/settings-fields"
import { SettingsStore } from "./settings/settings-store"
import { toSettingsView, type SettingsView } from "./settings/settings-view"
import { PromptLimiter, type PromptAllowance, type PromptAllowanceInput } from "./prompt-limits/prompt-limiter"
import { promptLimitMessage } from "./prompt-limits/messages"
import { currentPromptRequest } from "./prompt-limits/prompt-request"
import { PushInitiation, type PushInput } from "./push-initiation"
import { QuerySettlement } from "./query-settlement"
import { Reconciler, type PollSummary } from "./reconciler"
import type { SettlementContext } from "./settlement-context"
import { CallbackStore } from "./stores/callback-store"
import { LedgerStore, type PaidSettlement } from "./stores/ledger-store"
import { RefundStore } from "./stores/refund-store"
import { RequestStore } from "./stores/request-store"
import { Refunds } from "./refunds/refunds"
import { MoneyDesk } from "./refunds/money-desk"
import { isCompletionRollbackRefund } from "./refunds/completion-rollback-guard"
import { medusaRefundRule } from "./refunds/desk-rules"
import { RefundResultApplication } from "./refunds/result-application"
import { ReceiptChecks, type ReceiptCheckView } from "./refunds/receipt-checks"
import { toRefundView, type PaymentActions, type RefundView } from "./refunds/refund-view"
import type { ResultInboxKind } from "./callbacks/result-url"
import { toWholeShillings } from "./amount"
import { MedusaError } from "@medusajs/framework/utils"
import type { BigNumberInput } from "@medusajs/framework/types"
import type { CallbackOutcome, CallbackRow, CallbackStatus, Knex, LedgerRow, LedgerStatus, MpesaPaymentView, RefundRow } from "./types"
import { toPaymentView } from "./views"
import { MESSAGES } from "./customer-messages"
import { sessionReadiness, sessionSnapshotSchema, type SessionReadiness } from "./session-readiness"
import {
  timeline,
  toAdminCallbackView,
  toAdminTransactionView,
  type AdminCallbackView,
  type AdminTransactionView,
  type TimelineEvent,
} from "./admin-views"
import type { LedgerFilters } from "./stores/ledger-store"

/** An outside refund still `sending` after this long was left by a process that stopped (a workflow takes seconds). */
const OUTSIDE_REFUND_STALE_MS = 10 * 60_000

/** A clock the module schedules by; injected as `mpesaClock` (tests move it), else the wall clock. */
export type MpesaClock = { now(): Date }

type InjectedDependencies = {
  logger: Logger
  __pg_connection__: Knex
  event_bus?: IEventBusModuleService
  [MPESA_OPTIONS]?: MpesaOptions
  mpesaClock?: MpesaClock
}

/**
 * The `mpesa` module: owns the ledger, the callback inbox, the shared token
 * and every call to Daraja. The provider, the routes, the workflows and the
 * job all go through it. This class is the public face; each job lives in
 * its own part: push-initiation.ts (sending prompts), callback-inbox.ts and
 * callback-application.ts (storing callbacks; the trust rules),
 * query-settlement.ts (status queries and every final result), reconciler.ts
 * (the job's sweeps), completion-ledger.ts (paid money -> order bookkeeping),
 * stores/ (the only SQL). It deliberately does not extend
 * MedusaService: generated CRUD would be a way around the ledger's guarded
 * transitions.
 */
export default class MpesaModuleService {
  protected readonly container_: InjectedDependencies
  protected readonly logger_: Logger
  protected readonly rawOptions_: unknown
  // Built once, lazily: the service is reached through proxies whose property
  // writes may not land on this instance, so mutable state lives in a holder.
  protected readonly runtime_: { config: ConfigRuntime | null } = { config: null }
  protected readonly ledger_: LedgerStore
  protected readonly callbacks_: CallbackStore
  protected readonly settlement_: QuerySettlement
  protected readonly inbox_: CallbackInbox
  protected readonly reconciler_: Reconciler
  protected readonly initiation_: PushInitiation
  protected readonly completion_: CompletionLedger
  protected readonly refundStore_: RefundStore
  protected readonly refunds_: Refunds
  protected readonly desk_: MoneyDesk
  protected readonly ctx_: SettlementContext

  constructor(container: InjectedDependencies, options?: unknown) {
    this.container_ = container
    this.logger_ = container.logger
    this.rawOptions_ = options
    const db = () => this.container_.__pg_connection__
    this.ledger_ = new LedgerStore(db)
    this.callbacks_ = new CallbackStore(db)
    this.refundStore_ = new RefundStore(db)
    this.desk_ = new MoneyDesk(db, this.ledger_, this.refundStore_, () => this.now())
    const ctx: SettlementContext = {
      ledger: this.ledger_,
      refunds: this.refundStore_,
      desk: this.desk_,
      callbacks: this.callbacks_,
      requests: new RequestStore(db),
      logger: this.logger_,
      config: () => this.getConfig(),
      daraja: () => this.daraja(),
      now: () => this.now(),
      emit: (name, id) => this.emit(name, id),
    }
    this.settlement_ = new QuerySettlement(ctx)
    this.inbox_ = new CallbackInbox(ctx, new CallbackApplication(ctx, this.settlement_), new RefundResultApplication(ctx))
    this.reconciler_ = new Reconciler(ctx, this.settlement_, this.inbox_)
    this.initiation_ = new PushInitiation(ctx, (id) => this.inbox_.processPendingFor(id), (push) => this.admitPrompt(push))
    this.completion_ = new CompletionLedger(ctx)
    this.refunds_ = new Refunds(ctx)
    this.ctx_ = ctx
  }

  // ---------------------------------------------------------------- config

  /**
   * The configuration in force: the options the module loader validated at
   * boot with the settings saved in Settings -> M-Pesa on top (as of the last
   * version check; see settings/config-runtime.ts).
   */
  getConfig(): MpesaOptions {
    return this.configRuntime().options()
  }

  protected configRuntime(): ConfigRuntime {
    if (!this.runtime_.config) {
      const boot = optional(() => this.container_[MPESA_OPTIONS]) ?? parseMpesaOptions(this.rawOptions_)
      this.runtime_.config = new ConfigRuntime(
        () => this.container_.__pg_connection__,
        () => boot,
        this.rawOptions_ ?? boot,
        this.logger_
      )
    }
    return this.runtime_.config
  }

  /** Re-reads saved settings if their version moved (`force`: check now rather than within a few seconds). */
  async refreshConfig(force = false): Promise<MpesaOptions> {
    return (await this.configRuntime().refresh(force)).options
  }

  // ---------------------------------------------------------------- settings (admin)

  /** What Settings -> M-Pesa shows: effective values with their source; secrets only as "set, ending in …". */
  async getSettings(): Promise<SettingsView> {
    const effective = await this.configRuntime().refresh(true)
    const row = await new SettingsStore(() => this.container_.__pg_connection__).load().catch(() => null)
    const waiting = effective.problem ? await this.callbacks_.countWaiting() : 0
    return toSettingsView(effective, row, SecretBox.fromEnv() !== null, waiting)
  }

  /** Validates and saves settings; every process uses them from its next push on. */
  async saveSettings(patch: SettingsPatch, actor: string | null = null): Promise<SettingsView> {
    await this.configRuntime().save(patch, actor)
    return this.getSettings()
  }

  /** Fetches an OAuth token with the effective credentials (never an STK Push). */
  async testConnection(): Promise<ConnectionCheck> {
    return this.configRuntime().testConnection()
  }

  protected now(): Date {
    return optional(() => this.container_.mpesaClock)?.now() ?? new Date()
  }

  protected daraja(): DarajaClient {
    return this.configRuntime().daraja()
  }

  /** The callback URL's shape, per-push parts as placeholders (never the secret). */
  callbackUrlPattern(): string {
    return callbackUrlPattern(this.getConfig())
  }

  // ---------------------------------------------------------------- views

  toView(row: LedgerRow): MpesaPaymentView {
    return toPaymentView(row)
  }

  async getPaymentBySession(sessionId: string): Promise<MpesaPaymentView | null> {
    const row = await this.ledger_.findBySession(sessionId)
    return row ? this.toView(row) : null
  }

  async getPayment(transactionId: string): Promise<MpesaPaymentView | null> {
    const row = await this.ledger_.findById(transactionId)
    return row ? this.toView(row) : null
  }

  async getLedgerRowByCheckoutRequestId(checkoutRequestId: string): Promise<LedgerRow | null> {
    return this.ledger_.findByCheckoutRequestId(checkoutRequestId)
  }

  /** Ledger rows for merchant views and tests (read-only; state changes only through the module's own paths). */
  async listLedger(
    filters: { status?: LedgerStatus[]; unmatched?: boolean; needsAttention?: boolean; sessionIds?: string[] } = {},
    page: { take?: number; skip?: number } = {}
  ): Promise<LedgerRow[]> {
    return this.ledger_.list(filters, { take: page.take ?? 50, skip: page.skip ?? 0 })
  }

  /** Paid carts without an order, unconfirmed or conflicting callbacks, and unmatched money. */
  async listPaymentsNeedingAttention(page: { take?: number; skip?: number } = {}): Promise<MpesaPaymentView[]> {
    const take = page.take ?? 50
    const skip = page.skip ?? 0
    const [flagged, unmatched] = await Promise.all([
      this.ledger_.list({ needsAttention: true }, { take, skip }),
      this.ledger_.list({ unmatched: true }, { take, skip }),
    ])
    const seen = new Set<string>()
    return [...flagged, ...unmatched]
      .filter((r) => !seen.has(r.id) && seen.add(r.id))
      .map((r) => this.toView(r))
  }

  async listCallbacks(
    filters: { status?: CallbackStatus[]; transactionId?: string } = {},
    page: { take?: number; skip?: number } = {}
  ): Promise<CallbackRow[]> {
    return this.callbacks_.list(filters, { take: page.take ?? 50, skip: page.skip ?? 0 })
  }

  // ---------------------------------------------------------------- admin views

  /** The admin's transactions list: ledger rows in the merchant's words, newest first, with a total. */
  async listTransactions(
    filters: LedgerFilters,
    page: { take?: number; skip?: number } = {}
  ): Promise<{ transactions: AdminTransactionView[]; count: number }> {
    const [rows, count] = await Promise.all([
      this.ledger_.list(filters, { take: page.take ?? 50, skip: page.skip ?? 0 }),
      this.ledger_.count(filters),
    ])
    const refunds = await this.refundStore_.listForTransactions(rows.map((r) => r.id))
    return { transactions: rows.map((r) => toAdminTransactionView(r, refunds)), count }
  }

  /** The admin's Refunds tab: payments with any refund, most recent refund first. */
  async listRefundedTransactions(page: { take?: number; skip?: number } = {}): Promise<{ transactions: AdminTransactionView[]; count: number }> {
    const { ids, count } = await this.refundStore_.transactionIdsWithRefunds({ take: page.take ?? 50, skip: page.skip ?? 0 })
    const rows = ids.length ? await this.ledger_.list({ ids }, { take: ids.length, skip: 0 }) : []
    const refunds = await this.refundStore_.listForTransactions(ids)
    const byId = new Map(rows.map((r) => [r.id, r]))
    const ordered = ids.map((id) => byId.get(id)).filter((r): r is LedgerRow => !!r)
    return { transactions: ordered.map((r) => toAdminTransactionView(r, refunds)), count }
  }

  /** One payment as the admin sees it (with its refunds). */
  async getAdminTransaction(transactionId: string): Promise<AdminTransactionView | null> {
    const row = await this.ledger_.findById(transactionId)
    if (!row) return null
    return toAdminTransactionView(row, await this.refundStore_.listForTransactions([row.id]))
  }

  /** Callbacks a person may want to see: rejected, unconfirmed or malformed. */
  async listSuspiciousCallbacks(page: { take?: number; skip?: number } = {}): Promise<AdminCallbackView[]> {
    const rows = await this.callbacks_.list(
      { status: ["suspicious", "unconfirmed", "invalid"] },
      { take: page.take ?? 50, skip: page.skip ?? 0 }
    )
    return rows.map(toAdminCallbackView)
  }

  /** Every push of the given payment collections (an order's), each with its timeline. */
  async paymentsWithTimeline(
    paymentCollectionIds: string[]
  ): Promise<{ payment: AdminTransactionView; timeline: TimelineEvent[] }[]> {
    if (!paymentCollectionIds.length) return []
    const rows = await this.ledger_.list({ paymentCollectionIds }, { take: 50, skip: 0 })
    const callbacks = rows.length
      ? await this.callbacks_.list({ transactionIds: rows.map((r) => r.id) }, { take: 500, skip: 0 })
      : []
    const refunds = await this.refundStore_.listForTransactions(rows.map((r) => r.id))
    return rows.map((row) => ({
      payment: toAdminTransactionView(row, refunds),
      timeline: timeline(
        row,
        callbacks.filter((c) => c.transaction_id === row.id),
        refunds.filter((r) => r.transaction_id === row.id)
      ),
    }))
  }

  // ---------------------------------------------------------------- initiate

  /**
   * Sends the STK Push for a payment session, at most once per session and
   * never while a prompt of the same cart, phone and amount may still be paid
   * (see PushInitiation). Validation errors and definite Daraja rejections
   * throw a MedusaError a shopper can act on and leave no ledger row; a push
   * whose outcome is unknown is kept `indeterminate` — never re-prompted.
   */
  async initiateStkPush(input: PushInput): Promise<MpesaPaymentView> {
    // Money an admin attached to this cart pays for the session: no prompt at all.
    const attached = input.paymentCollectionId
      ? await this.desk_.takeAttached(input.paymentCollectionId, input.sessionId, toWholeShillings(input.amount).whole)
      : null
    if (attached) {
      // Its order is due now: the attach workflow completes the cart, the completion sweep if that workflow dies.
      this.logger_.info(`M-Pesa: unmatched payment ${attached.id} attached to session ${input.sessionId}`)
      return this.answered(attached, input.sessionId)
    }
    // The cart is already paid and its order not made yet (a second Pay press while the order is
    // being created, or Medusa re-creating the session in a rollback): no second prompt, the new
    // session takes the money and the completion goes on with it.
    const paid = input.paymentCollectionId
      ? await this.ledger_.takePaidForCollection(input.paymentCollectionId, input.sessionId, toWholeShillings(input.amount).whole, this.now())
      : null
    if (paid) {
      this.logger_.info(`M-Pesa: session ${input.sessionId} took over ${paid.id}, already paid for its cart; no new prompt sent`)
      await this.emit(MPESA_PAYMENT_CAPTURED, paid.id)
      return this.answered(paid, input.sessionId)
    }
    // Settings saved a moment ago (in any process) apply to this very push.
    await this.configRuntime().refresh(true)
    this.assertUsableForShopper(input.sessionId)
    return this.answered(await this.initiation_.initiate(input), input.sessionId)
  }

  /**
   * The store API must not tell shoppers which settings or MPESA_* variables
   * are missing: the detail goes to the server log, the shopper gets
   * MESSAGES.unavailable (admin routes report the detail themselves).
   */
  protected assertUsableForShopper(sessionId: string): void {
    try {
      this.configRuntime().assertUsable()
    } catch (e) {
      this.logger_.error(`M-Pesa: payment session ${sessionId} refused, no prompt sent: ${(e as Error).message}`)
      throw new MedusaError(MedusaError.Types.UNEXPECTED_STATE, MESSAGES.unavailable)
    }
  }

  /** Notes that Medusa now has our answer for the session (completion waits for Medusa to write it). */
  protected async answered(row: LedgerRow, sessionId: string): Promise<MpesaPaymentView> {
    const now = this.now()
    // Only for the session the row belongs to: a refused or moved push has nothing to wait for.
    if (row.payment_session_id === sessionId) {
      await this.ledger_.markSessionAnswered(row.id, sessionId, now)
    }
    return this.toView(row)
  }

  // ---------------------------------------------------------------- callbacks

  /**
   * Persists a callback exactly as received, before anything else happens,
   * bound to the push its signed URL names, and reports whether its shape is
   * an STK callback at all.
   */
  async recordCallback(input: {
    payload: unknown
    sourceIp: string | null
    transactionId: string
  }): Promise<{ id: string | null; valid: boolean }> {
    return this.inbox_.record(input)
  }

  /**
   * Applies one stored callback to the ledger. Idempotent and safe to call
   * concurrently: a lease serialises work on the callback and ledger
   * transitions are conditional, so only one caller ever captures a payment.
   * Returns null when the callback is already processed or leased elsewhere,
   * was not stored (a replay beyond maxCallbacksPerUrl has no id), or M-Pesa
   * is paused: then it stays stored, unprocessed and uncounted, and the
   * reconcile job's callback sweep applies it once the settings can be used.
   */
  async processCallback(callbackId: string | null): Promise<CallbackOutcome | null> {
    if (!callbackId) return null
    await this.configRuntime().refresh()
    if (this.configRuntime().skipWhilePaused("callbacks")) return null
    return this.inbox_.process(callbackId)
  }

  protected async emit(name: string, transactionId: string): Promise<void> {
    const bus = optional(() => this.container_.event_bus)
    if (!bus) {
      return
    }
    try {
      await bus.emit({ name, data: { id: transactionId } })
    } catch (e) {
      // The ledger already holds the truth; for captures the completion sweep
      // picks the payment up even if this event is lost.
      this.logger_.warn(`M-Pesa: could not emit ${name} for ${transactionId}: ${errorSummary(e)}`)
    }
  }

  // ---------------------------------------------------------------- polling

  /**
   * Queries one pending push now if its callback is overdue (used by
   * authorizePayment); at most one query per lease period per push.
   */
  async refreshIfOverdue(sessionId: string): Promise<MpesaPaymentView | null> {
    await this.configRuntime().refresh()
    const row = await this.ledger_.findBySession(sessionId)
    if (!row) {
      return null
    }
    if (this.configRuntime().skipWhilePaused("status checks")) {
      return this.toView(row)
    }
    await this.reconciler_.refreshIfOverdue(row)
    const latest = await this.ledger_.findById(row.id)
    return latest ? this.toView(latest) : null
  }

  /**
   * The fallback for lost callbacks: queries pushes whose callback is
   * overdue, expires what can no longer be settled, re-checks stored
   * callbacks (restart recovery, deferred confirmations) and reports how much
   * work it did.
   */
  async pollDue(options: { limit?: number } = {}): Promise<PollSummary> {
    await this.configRuntime().refresh()
    // Paused: no query, no expiry (a paid push must not expire because it could not be asked about).
    if (this.configRuntime().skipWhilePaused("status checks and stored callbacks")) {
      return { queried: 0, settled: 0, expired: 0, callbacksRetried: 0, rateLimited: false }
    }
    return this.reconciler_.pollDue(options.limit)
  }

  // ---------------------------------------------------------------- completion bookkeeping

  /** Paid payments whose order is due to be created (first try, or a retry after back-off). */
  async listDueForCompletion(limit = 25): Promise<MpesaPaymentView[]> {
    return (await this.completion_.due(limit)).map((r) => this.toView(r))
  }

  /**
   * Leases a paid payment for completion (completionLeaseMs, Medusa's cart
   * lock TTL) and returns it, or null if it is completed, unmatched or being
   * completed by another worker right now.
   */
  async claimCompletion(transactionId: string): Promise<MpesaPaymentView | null> {
    const row = await this.completion_.claim(transactionId)
    return row ? this.toView(row) : null
  }

  /**
   * Whether Medusa has finished writing the payment session the completion
   * would authorize (see session-readiness.ts); `session` is what Medusa
   * returned for it, parsed here.
   */
  async completionReadiness(transactionId: string, session: unknown): Promise<SessionReadiness | null> {
    const row = await this.ledger_.findById(transactionId)
    const parsed = sessionSnapshotSchema.safeParse(session)
    if (!row || !parsed.success) return null
    return sessionReadiness(row, parsed.data, this.now(), this.getConfig().requestTimeoutMs)
  }

  /** Hands a completion back to the sweep for a later try without counting it as a failure (nothing was attempted). */
  async deferCompletion(transactionId: string, at: Date): Promise<void> {
    await this.ledger_.patch(transactionId, { completion_locked_until: null, next_completion_at: at }, this.now())
  }

  /** The money's session changed under a completion attempt: give the lease back and start again with the new owner. */
  async retryCompletionNow(transactionId: string): Promise<void> {
    await this.releaseCompletion(transactionId)
    await this.emit(MPESA_PAYMENT_CAPTURED, transactionId)
  }

  /**
   * Whether a Medusa refund of this whole payment now would be answered without moving money
   * (refunds/completion-rollback-guard.ts); the plugin asks before it voids a Medusa payment itself.
   */
  async refundWouldBeKeptForCompletion(transactionId: string, medusaAmount: BigNumberInput): Promise<boolean> {
    const row = await this.ledger_.findById(transactionId)
    return !!row && (await isCompletionRollbackRefund(this.ctx_, row, toWholeShillings(medusaAmount).whole))
  }

  /** Gives a completion lease back without counting an attempt (a workflow compensating). */
  async releaseCompletion(transactionId: string): Promise<void> {
    const now = this.now()
    await this.ledger_.patch(transactionId, { completion_locked_until: null, next_completion_at: now }, now)
  }

  /** The Medusa amount to report as captured for a payment (the session's own decimal amount). */
  async medusaAmountFor(transactionId: string): Promise<string | null> {
    return (await this.ledger_.findById(transactionId))?.medusa_amount ?? null
  }

  async markCompleted(transactionId: string): Promise<void> {
    await this.completion_.completed(transactionId)
  }

  async markCompletionFailed(
    transactionId: string,
    error: string
  ): Promise<{ nextAttemptAt: string | null; needsAttention: boolean } | null> {
    const row = await this.ledger_.findById(transactionId)
    if (!row) {
      return null
    }
    const r = await this.completion_.failed(row, error)
    if (r.needsAttention) {
      this.logger_.warn(`M-Pesa: payment ${transactionId} is paid but has no order yet (needs attention): ${error}`)
    }
    return { nextAttemptAt: r.nextAttemptAt?.toISOString() ?? null, needsAttention: r.needsAttention }
  }

  /**
   * The session a paid payment was meant for no longer exists: decide again
   * where the money belongs (another open session of the same cart that still
   * costs it, or unmatched). Emits the capture again if it moved.
   */
  async rematchPaid(transactionId: string): Promise<MpesaPaymentView | null> {
    const settled: PaidSettlement | null = await this.completion_.rematch(transactionId)
    if (!settled) {
      return null
    }
    if (settled.captured) {
      await this.emit(MPESA_PAYMENT_CAPTURED, settled.row.id)
    } else {
      this.logger_.warn(`M-Pesa: paid ${transactionId} lost its session before an order was created; kept as unmatched`)
    }
    return this.toView(settled.row)
  }

  // ---------------------------------------------------------------- session lifecycle

  /**
   * Medusa deleted or canceled the session. The prompt cannot be recalled;
   * money that still arrives goes to the cart's current session if the cart
   * still costs that amount, else it is kept as unmatched.
   */
  async closeSession(sessionId: string): Promise<MpesaPaymentView | null> {
    const row = await this.ledger_.closeSession(sessionId, this.now())
    return row ? this.toView(row) : null
  }

  // ---------------------------------------------------------------- refunds

  /** Stores Daraja's answer to one of our requests before it is acknowledged (see CallbackInbox.recordResult). */
  async recordResult(input: { payload: unknown; sourceIp: string | null; requestId: string; kind: ResultInboxKind }) {
    return this.inbox_.recordResult(input)
  }

  /**
   * Medusa's refund (the order page's Refund, or an order cancel) of an
   * M-Pesa payment: a Daraja Reversal of the whole payment, or the recording
   * of a refund made outside. Returns only when the money went back;
   * otherwise throws the reason (see refunds/refunds.ts).
   */
  async refundFromMedusa(input: {
    sessionId?: string
    checkoutRequestId?: string
    amount: BigNumberInput
    medusaRefundId: string
  }): Promise<RefundView> {
    await this.configRuntime().refresh(true)
    const payment =
      (input.sessionId ? await this.ledger_.findBySession(input.sessionId) : null) ??
      (input.checkoutRequestId ? await this.ledger_.findByCheckoutRequestId(input.checkoutRequestId) : null)
    if (!payment) {
      throw new MedusaError(MedusaError.Types.NOT_FOUND, "This payment has no M-Pesa record, so it cannot be refunded through M-Pesa.")
    }
    const { whole } = toWholeShillings(input.amount)
    // Medusa's completion rollback is answered without Daraja; anything else may need a Reversal.
    if (!(await isCompletionRollbackRefund(this.ctx_, payment, whole))) {
      this.configRuntime().assertNotPaused("Refunding through M-Pesa")
    }
    return toRefundView(await this.refunds_.refundFromMedusa({ payment, amount: whole, medusaRefundId: input.medusaRefundId }))
  }

  /**
   * Why a Medusa refund of `amount` would be refused now (the desk's rules on
   * the rows as they are), or null. Medusa's order cancel swallows a refund
   * that fails and cancels the order anyway, leaving the money with nobody
   * to act on it; the cancel route asks this first (api/admin/orders).
   * Advisory only: the refund itself is decided again under the row locks.
   */
  async medusaRefundRefusal(input: { sessionId?: string; checkoutRequestId?: string; amount: BigNumberInput }): Promise<string | null> {
    const payment =
      (input.sessionId ? await this.ledger_.findBySession(input.sessionId) : null) ??
      (input.checkoutRequestId ? await this.ledger_.findByCheckoutRequestId(input.checkoutRequestId) : null)
    if (!payment) return null
    const refunds = await this.refundStore_.listForTransactions([payment.id])
    const { whole } = toWholeShillings(input.amount)
    return medusaRefundRule({ payment, refunds, now: this.now() }, whole)?.refused ?? null
  }

  /** Reverses unmatched money from the admin; waits up to reversalWaitMs for M-Pesa's result. */
  async reverseUnmatched(transactionId: string, actor: string, note: string | null = null): Promise<RefundView> {
    await this.configRuntime().refresh(true)
    this.configRuntime().assertNotPaused("Reversing a payment")
    const payment = await this.requirePayment(transactionId)
    return toRefundView(await this.refunds_.reverseUnmatched({ payment, actor, note }))
  }

  /** Records a refund the merchant made outside the plugin; no Daraja call. */
  async recordOutsideRefund(input: {
    transactionId: string
    amount: number
    note: string
    actor: string
    medusaPaymentId: string | null
  }): Promise<RefundView> {
    const payment = await this.requirePayment(input.transactionId)
    return toRefundView(await this.refunds_.recordOutside({ ...input, payment }))
  }

  async abandonOutsideRefund(refundId: string, reason: string): Promise<void> {
    await this.refunds_.abandonOutside(refundId, reason)
  }

  async getRefund(refundId: string): Promise<RefundView | null> {
    const row = await this.refundStore_.findById(refundId)
    return row ? toRefundView(row) : null
  }

  /** Reversals confirmed too late for the Medusa refund that asked for them: to be recorded in Medusa now. */
  async listUnrecordedMedusaReversals(limit = 10): Promise<{ refund: RefundView; payment_session_id: string | null; medusa_amount: string }[]> {
    const settledBefore = new Date(this.now().getTime() - this.getConfig().reversalWaitMs - 2_000)
    const rows: RefundRow[] = await this.refundStore_.listUnrecordedMedusaReversals(settledBefore, limit)
    const out: { refund: RefundView; payment_session_id: string | null; medusa_amount: string }[] = []
    for (const r of rows) {
      const payment = await this.ledger_.findById(r.transaction_id)
      if (payment) out.push({ refund: toRefundView(r), payment_session_id: payment.payment_session_id, medusa_amount: payment.medusa_amount })
    }
    return out
  }

  /** The sweep: reversals whose result is late or doubtful (Transaction Status, or sent again). */
  async checkRefundsDue(limit = 10): Promise<number> {
    await this.configRuntime().refresh()
    // Outside refunds half-recorded by a process that stopped (well past any workflow's run) stop blocking the desk.
    await this.refunds_.sweepStaleOutside(OUTSIDE_REFUND_STALE_MS)
    if (this.configRuntime().skipWhilePaused("reversal checks")) return 0
    return this.refunds_.reversals.checkDue(limit)
  }

  /** The admin's "Check again" for a reversal M-Pesa has not confirmed: a Transaction Status check now; waits reversalWaitMs. */
  async checkReversalNow(refundId: string): Promise<RefundView> {
    await this.configRuntime().refresh(true)
    this.configRuntime().assertNotPaused("Checking a reversal with M-Pesa")
    return toRefundView(await this.refunds_.reversals.checkNow(refundId))
  }

  /** Closes an unconfirmed reversal as returned (the admin saw it in the Org portal); counted as refunded. */
  async closeReversalAsReturned(refundId: string, actor: string, note: string): Promise<RefundView> {
    return toRefundView(await this.refunds_.closeAsReturned({ refundId, actor, note }))
  }

  /**
   * The admin's "Add receipt" for a payment confirmed by a status query: the
   * receipt is checked with Transaction Status (it exists, to this shortcode,
   * for the amount paid) before it goes on the payment; waits reversalWaitMs.
   */
  async addReceipt(transactionId: string, receipt: string, actor: string): Promise<ReceiptCheckView> {
    await this.configRuntime().refresh(true)
    this.configRuntime().assertNotPaused("Checking a receipt with M-Pesa")
    return new ReceiptChecks(this.ctx_).add({ transactionId, receipt, actor })
  }

  /** The newest receipt check of a payment (null: none asked). */
  async latestReceiptCheck(transactionId: string): Promise<ReceiptCheckView | null> {
    return new ReceiptChecks(this.ctx_).latest(transactionId)
  }

  /** Marks unmatched money as going to a cart's payment collection; the next session created there takes it. */
  async requestAttach(transactionId: string, paymentCollectionId: string, actor: string): Promise<MpesaPaymentView> {
    return this.toView(await this.desk_.requestAttach(transactionId, paymentCollectionId, actor))
  }

  async cancelAttach(transactionId: string): Promise<void> {
    await this.ledger_.cancelAttach(transactionId, this.now())
  }

  /** The raw ledger row, for workflows that need its Medusa ids (never sent to a browser as is). */
  async getLedgerRow(transactionId: string): Promise<LedgerRow | null> {
    return this.ledger_.findById(transactionId)
  }

  protected async requirePayment(transactionId: string): Promise<LedgerRow> {
    const payment = await this.ledger_.findById(transactionId)
    if (!payment) throw new MedusaError(MedusaError.Types.NOT_FOUND, `M-Pesa payment ${transactionId} was not found`)
    return payment
  }

  // ---- prompt limits (begin)

  /**
   * Counts one M-Pesa prompt against the abuse limits (per phone, payment
   * collection and client address; PostgreSQL counters shared by every
   * instance) and says whether it may be sent. A refusal uses up nothing.
   * Called for every push just before it goes to Daraja (see `admitPrompt`).
   */
  async consumePromptAllowance(input: PromptAllowanceInput): Promise<PromptAllowance> {
    return this.promptLimiter().consume(input, this.now())
  }

  /**
   * Whether a prompt would be allowed now, counting nothing: the store
   * middleware's early 429. Requests that never reach Daraja (an unknown
   * payment collection, a body Medusa refuses, an invalid phone, M-Pesa not
   * set up, a re-attached prompt) therefore spend nobody's allowance.
   */
  async checkPromptAllowance(input: PromptAllowanceInput): Promise<PromptAllowance> {
    return this.promptLimiter().check(input, this.now())
  }

  /**
   * Counts the push about to be sent, atomically (row locks: of two
   * simultaneous pushes with one prompt left, one is refused), with the
   * client address of the store request it runs for. Over a limit it throws
   * the shopper's message and notes the refusal for the middleware's 429.
   */
  protected async admitPrompt(push: { phone: string; paymentCollectionId: string | null }): Promise<void> {
    const request = currentPromptRequest()
    const allowance = await this.consumePromptAllowance({
      phone: push.phone,
      paymentCollectionId: push.paymentCollectionId ?? request?.paymentCollectionId ?? "",
      clientIp: request?.clientAddress ?? null,
    })
    if (allowance.allowed) return
    if (request) request.refusal = { limit: allowance.limit, retryAfterSeconds: allowance.retryAfterSeconds }
    throw new MedusaError(MedusaError.Types.NOT_ALLOWED, promptLimitMessage(allowance.limit, allowance.retryAfterSeconds))
  }

  protected promptLimiter(): PromptLimiter {
    const config = this.getConfig()
    return new PromptLimiter({
      db: () => this.container_.__pg_connection__,
      limits: config.promptLimits,
      // Keys the digests of phone numbers and client addresses stored in the table.
      keySecret: config.callbackSecret,
    })
  }

  // ---- prompt limits (end)
}

/** Reads an optional container registration (awilix throws for unregistered names). */
function optional<T>(read: () => T | undefined): T | undefined {
  try {
    return read()
  } catch {
    return undefined
  }
}
