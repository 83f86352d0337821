import { MedusaError, MedusaService } from "@medusajs/framework/utils"
import type { BigNumberInput, IEventBusModuleService, Logger } from "@medusajs/framework/types"
import { createHash } from "crypto"
import {
  DarajaClient,
  DARAJA_BASE_URLS,
  classifyDarajaError,
  describeResultCode,
  maskPhone,
  normalizeKenyanPhone,
  parseStkCallback,
  type StkCallback,
} from "../../lib/daraja"
import { CallbackApplication } from "./callback-application"
import { errorSummary, toMedusaError } from "./error-mapping"
import { QuerySettlement } from "./query-settlement"
import type { SettlementContext } from "./settlement-context"
import { renderAccountReference } from "./account-reference"
import { assertKes, toWholeShillings } from "./amount"
import { defaultMessage, MESSAGES } from "./customer-messages"
import { MPESA_PAYMENT_CAPTURED, MPESA_PAYMENT_FAILED } from "./events"
import MpesaAccessToken from "./models/mpesa-access-token"
import MpesaCallback from "./models/mpesa-callback"
import MpesaTransaction from "./models/mpesa-transaction"
import { callbackUrlFor, parseMpesaOptions, type MpesaOptions } from "./options"
import { CallbackStore } from "./stores/callback-store"
import { LedgerStore } from "./stores/ledger-store"
import { DatabaseTokenCache } from "./stores/token-store"
import type { CallbackOutcome, Knex, LedgerRow, MpesaPaymentView } from "./types"
import { FAILURE_STATUSES } from "./types"

type InjectedDependencies = {
  logger: Logger
  __pg_connection__: Knex
  event_bus?: IEventBusModuleService
}

/** How long a claimed row is leased to the worker querying it. */
const QUERY_LEASE_MS = 30_000
/** How long one worker holds a callback while applying it (covers a slow confirming query). */
const CALLBACK_LEASE_MS = 60_000
/** How long one worker holds a paid payment while Medusa completes its cart. */
const COMPLETION_LEASE_MS = 120_000

/**
 * The `mpesa` module: owns the ledger, the callback inbox, the shared token
 * and every call to Daraja. The provider, the routes, the subscribers and the
 * jobs all go through it.
 */
export default class MpesaModuleService extends MedusaService({
  MpesaTransaction,
  MpesaCallback,
  MpesaAccessToken,
}) {
  protected readonly logger_: Logger
  protected readonly container_: InjectedDependencies
  protected readonly rawOptions_: unknown
  // Mutable state lives in one holder object: the service is often reached
  // through proxies (Medusa's module loader, test runners) whose property
  // writes would not land on this instance.
  protected readonly runtime_: {
    options: MpesaOptions | null
    daraja: DarajaClient | null
    now: () => Date
  } = { options: null, daraja: null, now: () => new Date() }
  protected readonly ledger_: LedgerStore
  protected readonly callbacks_: CallbackStore
  protected readonly settlement_: QuerySettlement
  protected readonly callbackApplication_: CallbackApplication

  constructor(container: InjectedDependencies, options?: unknown) {
    // eslint-disable-next-line prefer-rest-params
    super(...arguments)
    this.container_ = container
    this.logger_ = container.logger
    this.rawOptions_ = options
    const db = () => this.container_.__pg_connection__
    this.ledger_ = new LedgerStore(db)
    this.callbacks_ = new CallbackStore(db)
    // Closures over the real instance: this constructor's `this` is never a proxy.
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
  }

  // ---------------------------------------------------------------- config

  /**
   * The configuration in force. Today: the module options. The admin settings
   * issue merges stored per-store settings over them here, in one place.
   */
  getConfig(): MpesaOptions {
    if (!this.runtime_.options) {
      this.runtime_.options = parseMpesaOptions(this.rawOptions_)
    }
    return this.runtime_.options
  }

  /** Replaces the configuration (tests, and later the admin settings panel). */
  setConfig(options: unknown): void {
    this.runtime_.options = parseMpesaOptions(options)
    this.runtime_.daraja = null
  }

  /** The clock used for scheduling decisions (query back-off, expiry); tests move it. */
  now(): Date {
    return this.runtime_.now()
  }

  setClock(now: () => Date): void {
    this.runtime_.now = now
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

  callbackUrl(): string {
    return callbackUrlFor(this.getConfig())
  }

  // ---------------------------------------------------------------- views

  toView(row: LedgerRow): MpesaPaymentView {
    return {
      transaction_id: row.id,
      session_id: row.payment_session_id,
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
    }
  }

  async getPaymentBySession(sessionId: string): Promise<MpesaPaymentView | null> {
    const row = await this.ledger_.findBySession(sessionId)
    return row ? this.toView(row) : null
  }

  async getLedgerRowBySession(sessionId: string): Promise<LedgerRow | null> {
    return this.ledger_.findBySession(sessionId)
  }

  async getLedgerRowByCheckoutRequestId(checkoutRequestId: string): Promise<LedgerRow | null> {
    return this.ledger_.findByCheckoutRequestId(checkoutRequestId)
  }

  // ---------------------------------------------------------------- initiate

  /**
   * Sends the STK Push for a payment session, at most once per session.
   * Validation errors and definite Daraja rejections throw a MedusaError a
   * shopper can act on and leave no ledger row. A push whose outcome is
   * unknown is kept as `indeterminate` and settled by callback or expiry —
   * never answered with a second prompt.
   */
  async initiateStkPush(input: {
    sessionId: string
    amount: BigNumberInput
    currencyCode: string
    phone: unknown
  }): Promise<MpesaPaymentView> {
    const config = this.getConfig()
    if (!input.sessionId) {
      throw new MedusaError(MedusaError.Types.INVALID_DATA, "session_id: missing from the payment session data")
    }
    assertKes(input.currencyCode)
    const { whole, medusa } = toWholeShillings(input.amount)
    if (typeof input.phone !== "string" || !input.phone.trim()) {
      throw new MedusaError(
        MedusaError.Types.INVALID_DATA,
        "phone: enter the M-Pesa phone number to pay with, such as 0712345678"
      )
    }
    let phone: string
    try {
      phone = normalizeKenyanPhone(input.phone)
    } catch (e) {
      throw toMedusaError(e)
    }

    const now = this.now()
    const { row, created } = await this.ledger_.insertInitiating({
      payment_session_id: input.sessionId,
      phone,
      amount: whole,
      medusa_amount: medusa,
      currency_code: "kes",
      account_reference: renderAccountReference(config.accountReference, input.sessionId),
      expires_at: new Date(now.getTime() + config.expiryMs),
    })
    if (!created) {
      // Medusa retried the call for the same session: never push twice.
      return this.toView(row)
    }

    let accepted
    try {
      accepted = await this.daraja().stkPush({
        shortcode: config.shortcode,
        passkey: config.passkey,
        transactionType: config.transactionType,
        tillNumber: config.tillNumber,
        amount: whole,
        phone,
        callbackUrl: this.callbackUrl(),
        accountReference: row.account_reference,
        transactionDesc: config.transactionDesc,
      })
    } catch (e) {
      if (classifyDarajaError(e, { idempotent: false }) === "indeterminate") {
        this.logger_.warn(
          `M-Pesa: STK Push for session ${input.sessionId} has an unknown outcome (${errorSummary(e)}); keeping it open until a callback or expiry settles it`
        )
        const kept = await this.ledger_.transition(
          row.id,
          ["initiating"],
          { status: "indeterminate", customer_message: MESSAGES.indeterminate },
          this.now()
        )
        return this.toView(kept ?? row)
      }
      await this.ledger_.deleteHard(row.id)
      // Daraja's own words (secrets already redacted by the client) for the merchant's logs.
      this.logger_.warn(`M-Pesa: STK Push for session ${input.sessionId} refused: ${errorSummary(e)}`)
      throw toMedusaError(e)
    }

    const pending = await this.ledger_.transition(
      row.id,
      ["initiating", "indeterminate"],
      {
        status: "pending",
        checkout_request_id: accepted.checkoutRequestId,
        merchant_request_id: accepted.merchantRequestId,
        next_query_at: new Date(now.getTime() + config.firstQueryDelayMs),
      },
      this.now()
    )
    // A callback may have beaten the push response here: apply it now.
    const waiting = await this.callbacks_.findWaitingFor(accepted.checkoutRequestId)
    for (const cb of waiting) {
      await this.processCallback(cb.id)
    }
    const latest = await this.ledger_.findById(row.id)
    return this.toView(latest ?? pending ?? row)
  }

  // ---------------------------------------------------------------- callbacks

  /**
   * Persists a callback exactly as received, before anything else happens,
   * and reports whether its shape is an STK callback at all.
   */
  async recordCallback(input: { payload: unknown; sourceIp: string | null }): Promise<{ id: string; valid: boolean }> {
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
      checkout_request_id: parsed?.checkoutRequestId ?? null,
      merchant_request_id: parsed?.merchantRequestId ?? null,
      result_code: parsed?.resultCode ?? null,
      status: parsed ? "received" : "invalid",
      note,
    })
    return { id: row.id, valid: !!parsed }
  }

  /**
   * Applies one stored callback to the ledger. Idempotent and safe to call
   * concurrently: a row lock serialises work on the callback, and ledger
   * transitions are conditional, so only one caller ever captures a payment.
   * Daraja does not sign callbacks, so a success is accepted only for a known
   * CheckoutRequestID, the exact amount pushed and (by default) a confirming
   * STK Push Query.
   */
  async processCallback(callbackId: string): Promise<CallbackOutcome | null> {
    const outcome = await this.callbacks_.withLease(callbackId, this.now(), CALLBACK_LEASE_MS, (cb) => this.callbackApplication_.applyCallback(cb))
    if (outcome?.captured && outcome.transaction_id) {
      await this.emitCaptured(outcome.transaction_id)
    }
    if (outcome?.status === "waiting") {
      // The push response may have recorded this CheckoutRequestID while we
      // held the lease, and its attempt to apply the callback was refused by
      // that lease. The lease is released now: look once more.
      const cb = await this.callbacks_.findById(callbackId)
      if (cb?.checkout_request_id && (await this.ledger_.findByCheckoutRequestId(cb.checkout_request_id))) {
        return this.processCallback(callbackId)
      }
    }
    return outcome
  }

  protected async emitCaptured(transactionId: string): Promise<void> {
    await this.emit(MPESA_PAYMENT_CAPTURED, transactionId)
  }

  protected async emit(name: string, transactionId: string): Promise<void> {
    const bus = this.container_.event_bus
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
    const now = this.now()
    if (row.next_query_at && new Date(row.next_query_at) > now) {
      return this.toView(row)
    }
    const claimed = await this.ledger_.claimForQuery(row.id, now, QUERY_LEASE_MS)
    if (claimed) {
      await this.settlement_.settleByQuery(claimed)
    }
    const latest = await this.ledger_.findById(row.id)
    return latest ? this.toView(latest) : null
  }

  /**
   * The fallback for lost callbacks: queries pushes whose callback is
   * overdue, expires what can no longer be settled, retries callbacks left
   * unprocessed (restart recovery) and reports how much work it did.
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
    const summary = { queried: 0, settled: 0, expired: 0, callbacksRetried: 0, rateLimited: false }

    await this.ledger_.markStaleInitiating(new Date(now.getTime() - config.requestTimeoutMs - 30_000), now)
    const unqueryable = await this.ledger_.expireUnqueryable(now, MESSAGES.expiredByTimer)
    summary.expired += unqueryable.length
    for (const row of unqueryable) {
      await this.emit(MPESA_PAYMENT_FAILED, row.id)
    }

    const stale = await this.callbacks_.findStale(new Date(now.getTime() - 5_000), options.limit ?? 50)
    for (const cb of stale) {
      await this.processCallback(cb.id)
      summary.callbacksRetried++
    }

    const due = await this.ledger_.claimDue(now, options.limit ?? 25, QUERY_LEASE_MS)
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

  async listAwaitingCompletion(options: { olderThanMs?: number; limit?: number } = {}): Promise<MpesaPaymentView[]> {
    const before = new Date(this.now().getTime() - (options.olderThanMs ?? 15_000))
    const rows = await this.ledger_.findAwaitingCompletion(before, 10, options.limit ?? 25)
    return rows.map((r) => this.toView(r))
  }

  async getPaymentForCompletion(transactionId: string): Promise<MpesaPaymentView | null> {
    const row = await this.ledger_.findById(transactionId)
    return row ? this.toView(row) : null
  }

  /** The Medusa amount to report as captured for a payment (the session's own decimal amount). */
  async medusaAmountFor(transactionId: string): Promise<string | null> {
    return (await this.ledger_.findById(transactionId))?.medusa_amount ?? null
  }

  /**
   * Leases a paid payment for completion (2 minutes, Medusa's cart lock TTL)
   * and returns it, or null if it is completed, unmatched or being completed
   * by another worker right now.
   */
  async claimCompletion(transactionId: string): Promise<MpesaPaymentView | null> {
    const row = await this.ledger_.claimCompletion(transactionId, this.now(), COMPLETION_LEASE_MS)
    return row ? this.toView(row) : null
  }

  async markCompleted(transactionId: string): Promise<void> {
    const now = this.now()
    const row = await this.ledger_.findById(transactionId)
    if (row && !row.completed_at) {
      await this.ledger_.patch(
        transactionId,
        { completed_at: now, completion_error: null, completion_locked_until: null },
        now
      )
    }
  }

  async markCompletionFailed(transactionId: string, error: string): Promise<void> {
    const now = this.now()
    const row = await this.ledger_.findById(transactionId)
    if (row) {
      await this.ledger_.patch(
        transactionId,
        {
          completion_attempts: row.completion_attempts + 1,
          completion_error: error.slice(0, 500),
          completion_locked_until: null,
        },
        now
      )
    }
  }

  // ---------------------------------------------------------------- session lifecycle

  /**
   * Medusa deleted or canceled the session. The prompt cannot be recalled;
   * money that still arrives is kept on the ledger as unmatched.
   */
  async closeSession(sessionId: string): Promise<MpesaPaymentView | null> {
    const row = await this.ledger_.findBySession(sessionId)
    if (!row) {
      return null
    }
    const now = this.now()
    const patched = row.session_closed_at ? row : await this.ledger_.patch(row.id, { session_closed_at: now }, now)
    return this.toView(patched ?? row)
  }
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
