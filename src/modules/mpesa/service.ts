import type { IEventBusModuleService, Logger } from "@medusajs/framework/types"
import { createHash } from "crypto"
import { DarajaClient, DARAJA_BASE_URLS, describeResultCode, maskPhone, parseStkCallback, type StkCallback } from "../../lib/daraja"
import { CallbackApplication } from "./callback-application"
import { callbackUrlPattern } from "./callbacks/callback-url"
import { CompletionLedger } from "./completion-ledger"
import { defaultMessage, MESSAGES } from "./customer-messages"
import { errorSummary } from "./error-mapping"
import { MPESA_PAYMENT_CAPTURED, MPESA_PAYMENT_FAILED } from "./events"
import { MPESA_OPTIONS } from "./loaders/validate-options"
import { parseMpesaOptions, type MpesaOptions } from "./options"
import { PromptLimiter, type PromptAllowance, type PromptAllowanceInput } from "./prompt-limits/prompt-limiter"
import { PushInitiation, type PushInput } from "./push-initiation"
import { QuerySettlement } from "./query-settlement"
import type { SettlementContext } from "./settlement-context"
import { CallbackStore } from "./stores/callback-store"
import { LedgerStore, type PaidSettlement } from "./stores/ledger-store"
import { DatabaseTokenCache } from "./stores/token-store"
import type { CallbackOutcome, CallbackRow, CallbackStatus, Knex, LedgerRow, LedgerStatus, MpesaPaymentView } from "./types"
import { FAILURE_STATUSES } from "./types"

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
 * its own part: push-initiation.ts (sending prompts), callback-application.ts
 * (the trust rules for callbacks), query-settlement.ts (status queries and
 * every final result), completion-ledger.ts (paid money -> order
 * bookkeeping), stores/ (the only SQL). It deliberately does not extend
 * MedusaService: generated CRUD would be a way around the ledger's guarded
 * transitions.
 */
export default class MpesaModuleService {
  protected readonly container_: InjectedDependencies
  protected readonly logger_: Logger
  protected readonly rawOptions_: unknown
  // Built once, lazily: the service is reached through proxies whose property
  // writes may not land on this instance, so mutable state lives in a holder.
  protected readonly runtime_: { options: MpesaOptions | null; daraja: DarajaClient | null } = {
    options: null,
    daraja: null,
  }
  protected readonly ledger_: LedgerStore
  protected readonly callbacks_: CallbackStore
  protected readonly settlement_: QuerySettlement
  protected readonly callbackApplication_: CallbackApplication
  protected readonly initiation_: PushInitiation
  protected readonly completion_: CompletionLedger

  constructor(container: InjectedDependencies, options?: unknown) {
    this.container_ = container
    this.logger_ = container.logger
    this.rawOptions_ = options
    const db = () => this.container_.__pg_connection__
    this.ledger_ = new LedgerStore(db)
    this.callbacks_ = new CallbackStore(db)
    const ctx: SettlementContext = {
      ledger: this.ledger_,
      callbacks: this.callbacks_,
      logger: this.logger_,
      config: () => this.getConfig(),
      daraja: () => this.daraja(),
      now: () => this.now(),
      emit: (name, id) => this.emit(name, id),
    }
    this.settlement_ = new QuerySettlement(ctx)
    this.callbackApplication_ = new CallbackApplication(ctx, this.settlement_)
    this.initiation_ = new PushInitiation(ctx, (id) => this.applyCallbacksFor(id))
    this.completion_ = new CompletionLedger(ctx)
  }

  // ---------------------------------------------------------------- config

  /** The configuration in force: the options the module loader validated at boot. */
  getConfig(): MpesaOptions {
    if (!this.runtime_.options) {
      this.runtime_.options = optional(() => this.container_[MPESA_OPTIONS]) ?? parseMpesaOptions(this.rawOptions_)
    }
    return this.runtime_.options
  }

  protected now(): Date {
    return optional(() => this.container_.mpesaClock)?.now() ?? new Date()
  }

  protected daraja(): DarajaClient {
    if (!this.runtime_.daraja) {
      const o = this.getConfig()
      const baseUrl = o.baseUrl ?? DARAJA_BASE_URLS[o.environment]
      const cacheKey = createHash("sha256").update(`${baseUrl}|${o.consumerKey}`).digest("hex").slice(0, 32)
      this.runtime_.daraja = new DarajaClient({
        baseUrl,
        consumerKey: o.consumerKey,
        consumerSecret: o.consumerSecret,
        timeoutMs: o.requestTimeoutMs,
        // One HTTP call per query: the module schedules its own retries and
        // counts each one against the push's query budget.
        retry: { attempts: 1 },
        // Daraja's logger passes structured meta (safe fields only: endpoint,
        // status, masked phone, ids); Medusa's logger takes one line.
        logger: {
          debug: (msg, meta) => this.logger_.debug(withMeta(msg, meta)),
          info: (msg, meta) => this.logger_.debug(withMeta(msg, meta)),
          warn: (msg, meta) => this.logger_.warn(withMeta(msg, meta)),
          error: (msg, meta) => this.logger_.error(withMeta(msg, meta)),
        },
        // One row per Daraja app, shared by every process of the deployment.
        tokenCache: new DatabaseTokenCache(() => this.container_.__pg_connection__, cacheKey),
      })
    }
    return this.runtime_.daraja
  }

  /** The callback URL's shape, per-push parts as placeholders (never the secret). */
  callbackUrlPattern(): string {
    return callbackUrlPattern(this.getConfig())
  }

  // ---------------------------------------------------------------- views

  toView(row: LedgerRow): MpesaPaymentView {
    return {
      transaction_id: row.id,
      session_id: row.payment_session_id,
      payment_collection_id: row.payment_collection_id,
      state: row.status,
      checkout_request_id: row.checkout_request_id,
      phone: maskPhone(row.phone),
      amount: row.amount,
      currency_code: row.currency_code,
      result_code: row.result_code,
      message: row.customer_message ?? defaultMessage(row.status, row.amount, row.mpesa_receipt_number),
      retryable: isRetryable(row),
      mpesa_receipt_number: row.mpesa_receipt_number,
      expires_at: new Date(row.expires_at).toISOString(),
      settled_at: row.settled_at ? new Date(row.settled_at).toISOString() : null,
      unmatched: row.unmatched,
      completed_at: row.completed_at ? new Date(row.completed_at).toISOString() : null,
      needs_attention: row.attention_reason,
    }
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

  // ---------------------------------------------------------------- initiate

  /**
   * Sends the STK Push for a payment session, at most once per session and
   * never while a prompt of the same cart, phone and amount may still be paid
   * (see PushInitiation). Validation errors and definite Daraja rejections
   * throw a MedusaError a shopper can act on and leave no ledger row; a push
   * whose outcome is unknown is kept `indeterminate` — never re-prompted.
   */
  async initiateStkPush(input: PushInput): Promise<MpesaPaymentView> {
    return this.toView(await this.initiation_.initiate(input))
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
  }): Promise<{ id: string; valid: boolean }> {
    let parsed: StkCallback | null = null
    let note: string | null = null
    try {
      parsed = parseStkCallback(input.payload)
    } catch (e) {
      note = e instanceof Error ? e.message : "unreadable callback"
    }
    const row = await this.callbacks_.insert({
      payload: input.payload,
      source_ip: input.sourceIp,
      transaction_id: input.transactionId,
      checkout_request_id: parsed?.checkoutRequestId ?? null,
      merchant_request_id: parsed?.merchantRequestId ?? null,
      result_code: parsed?.resultCode ?? null,
      status: parsed ? "received" : "invalid",
      note,
      now: this.now(),
    })
    return { id: row.id, valid: !!parsed }
  }

  /**
   * Applies one stored callback to the ledger. Idempotent and safe to call
   * concurrently: a lease serialises work on the callback and ledger
   * transitions are conditional, so only one caller ever captures a payment.
   * Returns null when the callback is already processed or leased elsewhere.
   */
  async processCallback(callbackId: string): Promise<CallbackOutcome | null> {
    const config = this.getConfig()
    const decision = await this.callbacks_.withLease(callbackId, this.now(), config.callbackLeaseMs, async (cb) => {
      const d = await this.callbackApplication_.apply(cb)
      const now = this.now()
      if (d.final) {
        await this.callbacks_.finish(cb.id, d.status, d.note, now)
        if (d.status === "suspicious" || d.status === "unconfirmed") {
          this.logger_.warn(`M-Pesa: ${d.status} callback ${cb.id}: ${d.note}`)
        }
      } else {
        // Bounded re-checks, spaced out: 1x, 2x, 3x … callbackRecheckMs.
        await this.callbacks_.defer(cb.id, d.note, new Date(now.getTime() + config.callbackRecheckMs * (cb.attempts + 1)), now)
      }
      return d
    })
    if (!decision) {
      return null
    }
    return decision.final
      ? { status: decision.status, note: decision.note, transaction_id: decision.transaction_id, captured: decision.captured }
      : { status: "received", note: decision.note, transaction_id: decision.transaction_id, captured: false }
  }

  /** Re-applies callbacks for a push that were deferred (e.g. they beat the push's own answer). */
  protected async applyCallbacksFor(transactionId: string): Promise<void> {
    const waiting = await this.callbacks_.list({ transactionId }, { take: 10, skip: 0 })
    for (const cb of waiting.filter((c) => !c.processed_at)) {
      await this.processCallback(cb.id)
    }
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
    const row = await this.ledger_.findBySession(sessionId)
    if (!row || row.status !== "pending") {
      return row ? this.toView(row) : null
    }
    const claimed = await this.ledger_.claimForQuery(row.id, this.now(), this.getConfig().queryLeaseMs)
    if (claimed) {
      await this.settlement_.settleByQuery(claimed)
    }
    const latest = await this.ledger_.findById(row.id)
    return latest ? this.toView(latest) : null
  }

  /**
   * The fallback for lost callbacks: queries pushes whose callback is
   * overdue, expires what can no longer be settled, re-checks callbacks left
   * unprocessed (restart recovery, deferred confirmations) and reports how
   * much work it did. Every query it runs is served by a partial index over
   * open rows, so its cost does not grow with history.
   */
  async pollDue(options: { limit?: number } = {}): Promise<{
    queried: number
    settled: number
    expired: number
    callbacksRetried: number
    rateLimited: boolean
  }> {
    const config = this.getConfig()
    const now = this.now()
    const limit = options.limit ?? 25
    const summary = { queried: 0, settled: 0, expired: 0, callbacksRetried: 0, rateLimited: false }

    await this.ledger_.markStaleInitiating(new Date(now.getTime() - config.requestTimeoutMs - 30_000), now)
    const expired = await this.ledger_.expireDue(now, MESSAGES.expiredByTimer, limit * 4)
    summary.expired += expired.length
    for (const row of expired) {
      await this.emit(MPESA_PAYMENT_FAILED, row.id)
    }

    for (const cb of await this.callbacks_.findDue(new Date(now.getTime() - 1_000), limit * 2)) {
      await this.processCallback(cb.id)
      summary.callbacksRetried++
    }

    const due = await this.ledger_.claimDue(now, limit, config.queryLeaseMs)
    for (const row of due) {
      const result = await this.settlement_.settleByQuery(row)
      summary.queried++
      if (result === "settled") summary.settled++
      if (result === "expired") summary.expired++
      if (result === "rate_limited") {
        summary.rateLimited = true
        break // Spike arrest: leave the rest leased; they come back after the lease.
      }
    }
    return summary
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

  // ---- prompt limits (begin)

  /**
   * Counts one M-Pesa prompt against the abuse limits (per phone, payment
   * collection and client address; PostgreSQL counters shared by every
   * instance) and says whether it may be sent. A refusal uses up nothing.
   * Called by the store middleware before Medusa creates the payment session.
   */
  async consumePromptAllowance(input: PromptAllowanceInput): Promise<PromptAllowance> {
    const config = this.getConfig()
    const limiter = new PromptLimiter({
      db: () => this.container_.__pg_connection__,
      limits: config.promptLimits,
      // Keys the digests of phone numbers and client addresses stored in the table.
      keySecret: config.callbackSecret,
    })
    return limiter.consume(input, this.now())
  }

  // ---- prompt limits (end)
}

/** Whether the shopper may start a new prompt now: our own expiry yes, Daraja's verdicts per its table. */
function isRetryable(row: LedgerRow): boolean {
  if (!FAILURE_STATUSES.includes(row.status)) {
    return false
  }
  return row.result_code ? describeResultCode(row.result_code).retryable : true
}

function withMeta(msg: string, meta?: Record<string, unknown>): string {
  return meta && Object.keys(meta).length ? `M-Pesa: ${msg} ${JSON.stringify(meta)}` : `M-Pesa: ${msg}`
}

/** Reads an optional container registration (awilix throws for unregistered names). */
function optional<T>(read: () => T | undefined): T | undefined {
  try {
    return read()
  } catch {
    return undefined
  }
}
