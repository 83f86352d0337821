import { MedusaError, MedusaService } from "@medusajs/framework/utils"
import type { BigNumberInput, IEventBusModuleService, Logger } from "@medusajs/framework/types"
import { createHash } from "crypto"
import {
  DarajaApiError,
  DarajaClient,
  DarajaValidationError,
  DARAJA_BASE_URLS,
  classifyDarajaError,
  describeResultCode,
  maskPhone,
  normalizeKenyanPhone,
  parseStkCallback,
  type StkCallback,
  type StkQueryOutcome,
} from "../../lib/daraja"
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
import type { CallbackOutcome, CallbackRow, Knex, LedgerRow, MpesaPaymentView } from "./types"
import { FAILURE_STATUSES, OPEN_STATUSES } from "./types"

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
/** Callbacks waiting for a push we never saw are given up as suspicious after this. */
const ORPHAN_CALLBACK_TTL_MS = 15 * 60_000

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

  constructor(container: InjectedDependencies, options?: unknown) {
    // eslint-disable-next-line prefer-rest-params
    super(...arguments)
    this.container_ = container
    this.logger_ = container.logger
    this.rawOptions_ = options
    const db = () => this.container_.__pg_connection__
    this.ledger_ = new LedgerStore(db)
    this.callbacks_ = new CallbackStore(db)
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
      const store = new DatabaseTokenCache(() => this.container_.__pg_connection__)
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
        // One row per consumer key, whatever key the client asks for.
        tokenCache: {
          get: () => store.get(cacheKey),
          set: (_k, t) => store.set(cacheKey, t),
          invalidate: (_k, token) => store.invalidate(cacheKey, token),
          withRefreshLock: (_k, fn) => store.withRefreshLock(cacheKey, fn),
        },
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
    const outcome = await this.callbacks_.withLease(callbackId, this.now(), CALLBACK_LEASE_MS, (cb) => this.applyCallback(cb))
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

  protected async applyCallback(cb: CallbackRow): Promise<CallbackOutcome> {
    const now = this.now()
    const finish = async (status: CallbackOutcome["status"], note: string, tx: LedgerRow | null, captured = false) => {
      await this.callbacks_.finish(cb.id, status, note, tx?.id ?? null, now)
      if (status === "suspicious") {
        this.logger_.warn(`M-Pesa: suspicious callback ${cb.id}: ${note}`)
      }
      return { status, note, transaction_id: tx?.id ?? null, captured }
    }
    const defer = async (status: CallbackOutcome["status"], note: string, tx: LedgerRow | null) => {
      await this.callbacks_.defer(cb.id, status, note, tx?.id ?? null, now)
      return { status, note, transaction_id: tx?.id ?? null, captured: false }
    }

    let callback: StkCallback
    try {
      callback = parseStkCallback(cb.payload)
    } catch (e) {
      return finish("invalid", e instanceof Error ? e.message : "unreadable callback", null)
    }
    const success = callback.resultCode === "0"

    let tx = await this.ledger_.findByCheckoutRequestId(callback.checkoutRequestId)
    if (!tx && success && callback.metadata?.phoneNumber && callback.metadata.amount !== undefined) {
      // The push response was lost: adopt the one open push with this phone and amount.
      const since = new Date(now.getTime() - this.getConfig().expiryMs - 60_000)
      const candidate = await this.ledger_.findIndeterminateMatch(
        callback.metadata.phoneNumber,
        callback.metadata.amount,
        since
      )
      if (candidate) {
        tx = await this.ledger_.transition(
          candidate.id,
          ["indeterminate"],
          { checkout_request_id: callback.checkoutRequestId, merchant_request_id: callback.merchantRequestId, status: "pending" },
          now
        )
      }
    }
    if (!tx) {
      if (now.getTime() - new Date(cb.created_at).getTime() > ORPHAN_CALLBACK_TTL_MS) {
        return finish("suspicious", "unknown CheckoutRequestID: no push of ours carries it", null)
      }
      // Possibly earlier than our own push response: keep it for when the id is recorded.
      return defer("waiting", "no push with this CheckoutRequestID yet", null)
    }

    await this.ledger_.patch(tx.id, { callback_received_at: tx.callback_received_at ?? now }, now)

    if (!success) {
      return this.applyFailureCallback(cb, callback, tx, finish, defer)
    }
    return this.applySuccessCallback(callback, tx, finish, defer)
  }

  protected async applySuccessCallback(
    callback: StkCallback,
    tx: LedgerRow,
    finish: (s: CallbackOutcome["status"], note: string, tx: LedgerRow | null, captured?: boolean) => Promise<CallbackOutcome>,
    defer: (s: CallbackOutcome["status"], note: string, tx: LedgerRow | null) => Promise<CallbackOutcome>
  ): Promise<CallbackOutcome> {
    const now = this.now()
    const receipt = callback.metadata?.mpesaReceiptNumber ?? null
    const paidAmount = callback.metadata?.amount

    if (paidAmount === undefined || paidAmount !== tx.amount) {
      return finish("suspicious", `amount ${paidAmount ?? "missing"} does not match the KES ${tx.amount} pushed`, tx)
    }
    if (!receipt) {
      return finish("suspicious", "success without an M-Pesa receipt number", tx)
    }
    if (tx.status === "paid") {
      if (tx.mpesa_receipt_number === receipt) {
        return finish("duplicate", "already paid with this receipt", tx)
      }
      if (!tx.mpesa_receipt_number) {
        // Paid on a status query (which carries no receipt): the late callback completes the record.
        const ok = await this.safePatchReceipt(tx, callback, now)
        return ok ? finish("duplicate", "receipt recorded for a payment confirmed by query", tx) : finish("suspicious", `receipt ${receipt} already belongs to another payment`, tx)
      }
      return finish("suspicious", `a different receipt (${receipt}) for an already paid push`, tx)
    }
    // Daraja's own verdicts (a failure result code) are final; only our local
    // expiry timer can be overtaken by money that really moved.
    const expiredByTimer = tx.status === "expired" && !tx.result_code
    if (FAILURE_STATUSES.includes(tx.status) && !expiredByTimer) {
      return finish("suspicious", `success reported for a push that already ended as ${tx.status} (${tx.result_code})`, tx)
    }

    if (this.getConfig().confirmWithQuery) {
      let query: StkQueryOutcome
      try {
        query = await this.queryDaraja(tx)
      } catch (e) {
        return defer("received", `confirmation query failed (${errorSummary(e)}); will retry`, tx)
      }
      if (query.status === "pending") {
        return defer("received", "Daraja still reports the transaction as processing; will retry", tx)
      }
      if (query.resultCode !== "0") {
        await this.applyFinalResult(tx, query.resultCode, query.resultDesc, "query")
        return finish("suspicious", `success callback contradicted by STK Push Query (ResultCode ${query.resultCode})`, tx)
      }
    }

    let won: LedgerRow | null
    try {
      won = await this.ledger_.transition(
        tx.id,
        [...OPEN_STATUSES, "expired"],
        {
          status: "paid",
          result_code: "0",
          result_desc: callback.resultDesc,
          customer_message: MESSAGES.paid(receipt),
          mpesa_receipt_number: receipt,
          paid_amount: paidAmount,
          paid_phone: callback.metadata?.phoneNumber ?? null,
          transaction_date: callback.metadata?.transactionDate ?? null,
          confirmed_by: this.getConfig().confirmWithQuery ? "callback+query" : "callback",
          settled_at: now,
          next_query_at: null,
          unmatched: !!tx.session_closed_at,
        },
        now
      )
    } catch (e) {
      if (isUniqueViolation(e)) {
        return finish("suspicious", `receipt ${receipt} already belongs to another payment`, tx)
      }
      throw e
    }
    if (!won) {
      return finish("duplicate", "another callback or query settled this push first", tx)
    }
    if (won.unmatched) {
      this.logger_.warn(
        `M-Pesa: payment ${receipt} (KES ${tx.amount}) arrived after its session ${tx.payment_session_id} was closed; kept as unmatched`
      )
      return finish("applied", "paid after the session was closed: kept as an unmatched payment", won)
    }
    return finish("applied", "payment captured", won, true)
  }

  protected async applyFailureCallback(
    _cb: CallbackRow,
    callback: StkCallback,
    tx: LedgerRow,
    finish: (s: CallbackOutcome["status"], note: string, tx: LedgerRow | null, captured?: boolean) => Promise<CallbackOutcome>,
    defer: (s: CallbackOutcome["status"], note: string, tx: LedgerRow | null) => Promise<CallbackOutcome>
  ): Promise<CallbackOutcome> {
    if (tx.status === "paid") {
      return finish("suspicious", `failure ${callback.resultCode} reported for a paid push`, tx)
    }
    if (!OPEN_STATUSES.includes(tx.status)) {
      return finish("duplicate", `push already ended as ${tx.status}`, tx)
    }
    if (this.getConfig().confirmWithQuery) {
      // A forged failure must not cancel a push the shopper may still pay.
      let query: StkQueryOutcome
      try {
        query = await this.queryDaraja(tx)
      } catch (e) {
        return defer("received", `confirmation query failed (${errorSummary(e)}); will retry`, tx)
      }
      if (query.status === "pending") {
        return defer("received", "Daraja still reports the transaction as processing; will retry", tx)
      }
      // applyFinalResult emits the capture itself if the query says the money moved.
      await this.applyFinalResult(tx, query.resultCode, query.resultDesc, "callback+query")
      if (query.resultCode !== callback.resultCode) {
        return finish("suspicious", `callback said ${callback.resultCode}, STK Push Query says ${query.resultCode}`, tx)
      }
      return finish("applied", `push ended with ResultCode ${callback.resultCode}`, tx)
    }
    await this.applyFinalResult(tx, callback.resultCode, callback.resultDesc, "callback")
    return finish("applied", `push ended with ResultCode ${callback.resultCode}`, tx)
  }

  /**
   * Applies Daraja's final verdict for a push (from a callback or a query).
   * A success learnt from a query carries no receipt; the callback, if it
   * ever arrives, fills it in.
   */
  protected async applyFinalResult(
    tx: LedgerRow,
    resultCode: string,
    resultDesc: string,
    confirmedBy: string
  ): Promise<{ row: LedgerRow; captured: boolean } | null> {
    const now = this.now()
    const info = describeResultCode(resultCode)
    if (info.state === "paid") {
      const won = await this.ledger_.transition(
        tx.id,
        [...OPEN_STATUSES, "expired"],
        {
          status: "paid",
          result_code: info.code,
          result_desc: resultDesc,
          customer_message: MESSAGES.paid(null),
          paid_amount: tx.amount,
          confirmed_by: confirmedBy,
          settled_at: now,
          next_query_at: null,
          unmatched: !!tx.session_closed_at,
        },
        now
      )
      if (won && !won.unmatched) {
        await this.emitCaptured(won.id)
      }
      return won ? { row: won, captured: !won.unmatched } : null
    }
    const won = await this.ledger_.transition(
      tx.id,
      OPEN_STATUSES,
      {
        status: info.state,
        result_code: info.code,
        result_desc: resultDesc,
        customer_message: info.customerMessage,
        confirmed_by: confirmedBy,
        settled_at: now,
        next_query_at: null,
      },
      now
    )
    if (won) {
      await this.emit(MPESA_PAYMENT_FAILED, won.id)
    }
    return won ? { row: won, captured: false } : null
  }

  protected async safePatchReceipt(tx: LedgerRow, callback: StkCallback, now: Date): Promise<boolean> {
    try {
      await this.ledger_.patch(
        tx.id,
        {
          mpesa_receipt_number: callback.metadata?.mpesaReceiptNumber ?? null,
          paid_phone: callback.metadata?.phoneNumber ?? null,
          transaction_date: callback.metadata?.transactionDate ?? null,
          customer_message: MESSAGES.paid(callback.metadata?.mpesaReceiptNumber ?? null),
        },
        now
      )
      return true
    } catch (e) {
      if (isUniqueViolation(e)) {
        return false
      }
      throw e
    }
  }

  protected async queryDaraja(tx: LedgerRow): Promise<StkQueryOutcome> {
    const config = this.getConfig()
    if (!tx.checkout_request_id) {
      return { status: "pending", description: "no CheckoutRequestID to query" }
    }
    const now = this.now()
    await this.ledger_.patch(
      tx.id,
      { query_attempts: tx.query_attempts + 1, last_queried_at: now },
      now
    )
    return this.daraja().stkQuery({
      shortcode: config.shortcode,
      passkey: config.passkey,
      checkoutRequestId: tx.checkout_request_id,
    })
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
      await this.settleByQuery(claimed)
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
      const result = await this.settleByQuery(row)
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

  protected async settleByQuery(row: LedgerRow): Promise<"settled" | "pending" | "expired" | "rate_limited" | "error"> {
    const config = this.getConfig()
    const now = this.now()
    let outcome: StkQueryOutcome
    try {
      outcome = await this.queryDaraja(row)
    } catch (e) {
      const rateLimited =
        e instanceof DarajaApiError && (e.info.meaning === "rate_limited" || e.info.meaning === "system_busy")
      await this.ledger_.patch(
        row.id,
        { next_query_at: new Date(now.getTime() + (rateLimited ? 60_000 : config.queryBackoffMs)) },
        now
      )
      this.logger_.warn(`M-Pesa: status query for ${row.checkout_request_id} failed: ${errorSummary(e)}`)
      return rateLimited ? "rate_limited" : "error"
    }
    if (outcome.status === "completed") {
      const settled = await this.applyFinalResult(row, outcome.resultCode, outcome.resultDesc, "query")
      return settled ? "settled" : "pending"
    }
    if (now >= new Date(row.expires_at)) {
      const expired = await this.ledger_.transition(
        row.id,
        ["pending"],
        { status: "expired", customer_message: MESSAGES.expiredByTimer, settled_at: now, next_query_at: null },
        now
      )
      if (expired) {
        await this.emit(MPESA_PAYMENT_FAILED, expired.id)
      }
      return expired ? "expired" : "pending"
    }
    // Back off: 1x, 2x, 3x … the configured step, never past expiry.
    const step = config.queryBackoffMs * Math.max(1, row.query_attempts + 1)
    const next = Math.min(now.getTime() + step, new Date(row.expires_at).getTime())
    await this.ledger_.patch(row.id, { next_query_at: new Date(next) }, now)
    return "pending"
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

function isUniqueViolation(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { code?: string }).code === "23505"
}

function errorSummary(e: unknown): string {
  if (e instanceof Error) {
    return `${e.name}: ${e.message}`
  }
  return "unknown error"
}

/** Turns a Daraja error into the MedusaError a shopper sees; secrets never reach either. */
export function toMedusaError(e: unknown): MedusaError {
  if (e instanceof MedusaError) {
    return e
  }
  if (e instanceof DarajaValidationError) {
    return new MedusaError(MedusaError.Types.INVALID_DATA, e.message)
  }
  if (e instanceof DarajaApiError) {
    const type =
      e.info.meaning === "bad_credentials" || e.info.meaning === "merchant_not_found" || e.info.meaning === "invalid_grant"
        ? MedusaError.Types.UNEXPECTED_STATE
        : MedusaError.Types.NOT_ALLOWED
    return new MedusaError(type, `${e.info.customerMessage} (Daraja ${e.errorCode})`)
  }
  return new MedusaError(
    MedusaError.Types.UNEXPECTED_STATE,
    "We could not reach M-Pesa just now. Please try again in a minute."
  )
}
