import type { BigNumberInput, Context } from "@medusajs/framework/types"
import { InjectManager, InjectTransactionManager, MedusaContext, MedusaError } from "@medusajs/framework/utils"
import { toWholeShillings } from "./amount"
import { collectionFromToken, collectionToken } from "./callbacks/collection-token"
import type { ResultInboxKind } from "./callbacks/result-url"
import { MPESA_PAYMENT_CAPTURED } from "./events"
import { currentPromptRequest } from "./prompt-limits/prompt-request"
import type { ModuleParts } from "./module-parts"
import { viewOf, MpesaReadService } from "./read-service"
import { isCompletionRollbackRefund } from "./refunds/completion-rollback-guard"
import { toRefundView } from "./refunds/refund-view"
import { sessionReadiness, sessionSnapshotSchema } from "./session-readiness"
import type * as T from "./types"
import { toPaymentView } from "./views"

export type { MpesaClock } from "./service-base"

/** An outside refund still `sending` after this long was left by a process that stopped (a workflow takes seconds). */
const OUTSIDE_REFUND_STALE_MS = 10 * 60_000

/**
 * The `mpesa` module's service: the Medusa-facing commands, each one call
 * into one part (module-parts.ts lists them). Every method runs on Medusa's
 * manager (`@InjectManager`) or in a transaction (`@InjectTransactionManager`,
 * joining the caller's when a workflow step passes its `transactionManager`);
 * the stores take their knex from that context (db-context.ts). Calls that
 * reach Daraja never run inside a transaction: their rows are committed
 * before the request leaves. It deliberately does not extend MedusaService:
 * generated CRUD would be a way around the ledger's guarded transitions;
 * Query reads through the read-only list methods at the end.
 */
export default class MpesaModuleService extends MpesaReadService implements T.IMpesaModuleService {
  /** Validates and saves settings; every process uses them from its next push on. */
  async saveSettings(patch: T.SettingsPatch, actor: string | null = null): Promise<T.SettingsView> {
    await this.runtime_.save(patch, actor)
    return this.getSettings()
  }

  /** Fetches an OAuth token with the effective credentials (never an STK Push). */
  async testConnection(): Promise<T.ConnectionCheck> {
    return this.runtime_.testConnection()
  }

  // ---------------------------------------------------------------- payments

  /**
   * Sends the STK Push for a payment session, at most once per session and
   * never while a prompt of the same cart, phone and amount may still be paid
   * (session-start.ts, push-initiation.ts). Validation errors and definite
   * Daraja rejections throw a MedusaError a shopper can act on and leave no
   * ledger row; a push whose outcome is unknown is kept `indeterminate`.
   */
  @InjectManager()
  async initiateStkPush(input: T.PushInput, @MedusaContext() sharedContext: Context = {}): Promise<T.StartedPayment> {
    const secret = this.getConfig().callbackSecret
    // The session's payment collection, only from where a shopper cannot write it (collection-token.ts).
    const paymentCollectionId =
      input.paymentCollectionId ?? currentPromptRequest()?.paymentCollectionId ?? collectionFromToken(secret, input.collectionToken)
    const row = await this.parts(sharedContext).sessions.start({ ...input, paymentCollectionId })
    return { ...toPaymentView(row), collection_token: paymentCollectionId ? collectionToken(secret, paymentCollectionId) : null }
  }

  /** A token naming a payment collection, for a workflow that creates a session there (the attach workflow). */
  collectionToken(paymentCollectionId: string): string {
    return collectionToken(this.getConfig().callbackSecret, paymentCollectionId)
  }

  /** Medusa deleted or canceled the session; money that still arrives goes to the cart's current session or unmatched. */
  @InjectTransactionManager()
  async closeSession(sessionId: string, @MedusaContext() sharedContext: Context = {}): Promise<T.MpesaPaymentView | null> {
    const parts = this.parts(sharedContext)
    return viewOf(await parts.ledger.closeSession(sessionId, parts.now()))
  }

  // ---------------------------------------------------------------- callbacks and results

  /** Persists a callback exactly as received, before anything else, bound to the push its signed URL names. */
  @InjectManager()
  async recordCallback(
    input: { payload: unknown; sourceIp: string | null; transactionId: string },
    @MedusaContext() sharedContext: Context = {}
  ): Promise<{ id: string | null; valid: boolean }> {
    return this.parts(sharedContext).inbox.record(input)
  }

  /** Stores Daraja's answer to one of our requests before it is acknowledged (CallbackInbox.recordResult). */
  @InjectManager()
  async recordResult(
    input: { payload: unknown; sourceIp: string | null; requestId: string; kind: ResultInboxKind },
    @MedusaContext() sharedContext: Context = {}
  ): Promise<{ id: string | null; valid: boolean }> {
    return this.parts(sharedContext).inbox.recordResult(input)
  }

  /**
   * Applies one stored callback; idempotent and safe to call concurrently (a
   * lease on the callback, conditional ledger transitions). Null when it is
   * processed or leased elsewhere, was not stored, or M-Pesa is paused (the
   * reconcile job's sweep applies it once the settings can be used).
   */
  @InjectManager()
  async processCallback(callbackId: string | null, @MedusaContext() sharedContext: Context = {}): Promise<T.CallbackOutcome | null> {
    if (!callbackId) return null
    await this.runtime_.refresh()
    if (this.runtime_.skipWhilePaused("callbacks")) return null
    return this.parts(sharedContext).inbox.process(callbackId)
  }

  // ---------------------------------------------------------------- polling

  /** Queries one pending push now if its callback is overdue (authorizePayment); one query per lease period. */
  @InjectManager()
  async refreshIfOverdue(sessionId: string, @MedusaContext() sharedContext: Context = {}): Promise<T.MpesaPaymentView | null> {
    await this.runtime_.refresh()
    const parts = this.parts(sharedContext)
    const row = await parts.ledger.findBySession(sessionId)
    if (!row || this.runtime_.skipWhilePaused("status checks")) return viewOf(row)
    await parts.reconciler.refreshIfOverdue(row)
    return viewOf(await parts.ledger.findById(row.id))
  }

  /** The fallback for lost callbacks: overdue queries, expiry, the stored-callback sweep. */
  @InjectManager()
  async pollDue(options: { limit?: number } = {}, @MedusaContext() sharedContext: Context = {}): Promise<T.PollSummary> {
    await this.runtime_.refresh()
    // Paused: no query, no expiry (a paid push must not expire because it could not be asked about).
    if (this.runtime_.skipWhilePaused("status checks and stored callbacks")) {
      return { queried: 0, settled: 0, expired: 0, callbacksRetried: 0, rateLimited: false }
    }
    return this.parts(sharedContext).reconciler.pollDue(options.limit)
  }

  // ---------------------------------------------------------------- completion (paid money -> order)

  /** Paid payments whose order is due to be created (first try, or a retry after back-off). */
  @InjectManager()
  async listDueForCompletion(limit = 25, @MedusaContext() sharedContext: Context = {}): Promise<T.MpesaPaymentView[]> {
    return (await this.parts(sharedContext).completion.due(limit)).map(toPaymentView)
  }

  /** Leases a paid payment for completion; null if completed, unmatched or being completed elsewhere. */
  @InjectTransactionManager()
  async claimCompletion(transactionId: string, @MedusaContext() sharedContext: Context = {}): Promise<T.MpesaPaymentView | null> {
    return viewOf(await this.parts(sharedContext).completion.claim(transactionId))
  }

  /** Whether Medusa has finished writing the session the completion would authorize (session-readiness.ts). */
  @InjectManager()
  async completionReadiness(transactionId: string, session: unknown, @MedusaContext() sharedContext: Context = {}): Promise<T.SessionReadiness | null> {
    const row = await this.parts(sharedContext).ledger.findById(transactionId)
    const parsed = sessionSnapshotSchema.safeParse(session)
    if (!row || !parsed.success) return null
    return sessionReadiness(row, parsed.data, this.services_.now(), this.getConfig().requestTimeoutMs)
  }

  /** Hands a completion back to the sweep for `at` without counting it as a failure (nothing was attempted). */
  @InjectTransactionManager()
  async deferCompletion(transactionId: string, at: Date, @MedusaContext() sharedContext: Context = {}): Promise<void> {
    await this.parts(sharedContext).completion.release(transactionId, at)
  }

  /** Gives a completion lease back without counting an attempt (a workflow compensating). */
  @InjectTransactionManager()
  async releaseCompletion(transactionId: string, @MedusaContext() sharedContext: Context = {}): Promise<void> {
    await this.parts(sharedContext).completion.release(transactionId, this.services_.now())
  }

  /** The money's session changed under a completion attempt: give the lease back and start again with the new owner. */
  async retryCompletionNow(transactionId: string): Promise<void> {
    await this.releaseCompletion(transactionId)
    await this.services_.emit(MPESA_PAYMENT_CAPTURED, transactionId)
  }

  /** Whether a Medusa refund of this whole payment now would be answered without moving money (completion-rollback-guard.ts). */
  @InjectManager()
  async refundWouldBeKeptForCompletion(transactionId: string, medusaAmount: BigNumberInput, @MedusaContext() sharedContext: Context = {}): Promise<boolean> {
    const parts = this.parts(sharedContext)
    const row = await parts.ledger.findById(transactionId)
    return !!row && (await isCompletionRollbackRefund(parts, row, toWholeShillings(medusaAmount).whole))
  }

  /** The Medusa amount to report as captured for a payment (the session's own decimal amount). */
  @InjectManager()
  async medusaAmountFor(transactionId: string, @MedusaContext() sharedContext: Context = {}): Promise<string | null> {
    return (await this.parts(sharedContext).ledger.findById(transactionId))?.medusa_amount ?? null
  }

  @InjectTransactionManager()
  async markCompleted(transactionId: string, @MedusaContext() sharedContext: Context = {}): Promise<void> {
    await this.parts(sharedContext).completion.completed(transactionId)
  }

  /** Records a failed completion attempt and when to try again (null: a person must look). */
  @InjectTransactionManager()
  async markCompletionFailed(
    transactionId: string,
    error: string,
    @MedusaContext() sharedContext: Context = {}
  ): Promise<{ nextAttemptAt: string | null; needsAttention: boolean } | null> {
    return this.parts(sharedContext).completion.failedById(transactionId, error)
  }

  /** The session paid money was meant for is gone: decide again where it belongs (emits the capture again if it moved). */
  @InjectManager()
  async rematchPaid(transactionId: string, @MedusaContext() sharedContext: Context = {}): Promise<T.MpesaPaymentView | null> {
    return viewOf(await this.parts(sharedContext).completion.rematchAndAnnounce(transactionId))
  }

  // ---------------------------------------------------------------- refunds and the money desk

  /** Medusa's refund of an M-Pesa payment: returns only when the money went back, else throws why (refunds/medusa-refunds.ts). */
  @InjectManager()
  async refundFromMedusa(
    input: { sessionId?: string; checkoutRequestId?: string; amount: BigNumberInput; medusaRefundId: string },
    @MedusaContext() sharedContext: Context = {}
  ): Promise<T.RefundView> {
    return toRefundView(await this.parts(sharedContext).medusaRefunds.refund(input))
  }

  /** Why a Medusa refund of `amount` would be refused now, or null (the order-cancel guard asks first). */
  @InjectManager()
  async medusaRefundRefusal(
    input: { sessionId?: string; checkoutRequestId?: string; amount: BigNumberInput },
    @MedusaContext() sharedContext: Context = {}
  ): Promise<string | null> {
    return this.parts(sharedContext).medusaRefunds.refusal(input)
  }

  /** Reverses unmatched money from the admin; waits up to reversalWaitMs for M-Pesa's result. */
  @InjectManager()
  async reverseUnmatched(transactionId: string, actor: string, note: string | null = null, @MedusaContext() sharedContext: Context = {}): Promise<T.RefundView> {
    await this.runtime_.refresh(true)
    this.runtime_.assertNotPaused("Reversing a payment")
    const parts = this.parts(sharedContext)
    return toRefundView(await parts.refundDesk.reverseUnmatched({ payment: await requirePayment(parts, transactionId), actor, note }))
  }

  /** Records a refund the merchant made outside the plugin; no Daraja call. */
  @InjectTransactionManager()
  async recordOutsideRefund(
    input: { transactionId: string; amount: number; note: string; actor: string; medusaPaymentId: string | null },
    @MedusaContext() sharedContext: Context = {}
  ): Promise<T.RefundView> {
    const parts = this.parts(sharedContext)
    return toRefundView(await parts.refundDesk.recordOutside({ ...input, payment: await requirePayment(parts, input.transactionId) }))
  }

  @InjectTransactionManager()
  async abandonOutsideRefund(refundId: string, reason: string, @MedusaContext() sharedContext: Context = {}): Promise<void> {
    await this.parts(sharedContext).refundDesk.abandonOutside(refundId, reason)
  }

  @InjectManager()
  async getRefund(refundId: string, @MedusaContext() sharedContext: Context = {}): Promise<T.RefundView | null> {
    const row = await this.parts(sharedContext).refunds.findById(refundId)
    return row ? toRefundView(row) : null
  }

  /** Reversals confirmed too late for the Medusa refund that asked for them: to be recorded in Medusa now. */
  @InjectManager()
  async listUnrecordedMedusaReversals(
    limit = 10,
    @MedusaContext() sharedContext: Context = {}
  ): Promise<{ refund: T.RefundView; payment_session_id: string | null; medusa_amount: string }[]> {
    const found = await this.parts(sharedContext).medusaRefunds.unrecorded(limit)
    return found.map(({ refund, payment }) => ({ refund: toRefundView(refund), payment_session_id: payment.payment_session_id, medusa_amount: payment.medusa_amount }))
  }

  /** The sweep: reversals whose result is late or doubtful (Transaction Status, or sent again). */
  @InjectManager()
  async checkRefundsDue(limit = 10, @MedusaContext() sharedContext: Context = {}): Promise<number> {
    await this.runtime_.refresh()
    const parts = this.parts(sharedContext)
    // Outside refunds half-recorded by a process that stopped (well past any workflow's run) stop blocking the desk.
    await parts.refundDesk.sweepStaleOutside(OUTSIDE_REFUND_STALE_MS)
    if (this.runtime_.skipWhilePaused("reversal checks")) return 0
    return parts.refundDesk.reversals.checkDue(limit)
  }

  /** The admin's "Check again" for an unconfirmed reversal: a Transaction Status check now; waits reversalWaitMs. */
  @InjectManager()
  async checkReversalNow(refundId: string, @MedusaContext() sharedContext: Context = {}): Promise<T.RefundView> {
    await this.runtime_.refresh(true)
    this.runtime_.assertNotPaused("Checking a reversal with M-Pesa")
    return toRefundView(await this.parts(sharedContext).refundDesk.reversals.checkNow(refundId))
  }

  /** Closes an unconfirmed reversal as returned (the admin saw it in the Org portal); counted as refunded. */
  @InjectTransactionManager()
  async closeReversalAsReturned(refundId: string, actor: string, note: string, @MedusaContext() sharedContext: Context = {}): Promise<T.RefundView> {
    return toRefundView(await this.parts(sharedContext).refundDesk.closeAsReturned({ refundId, actor, note }))
  }

  /** "Add receipt": checked with Transaction Status (exists, to this shortcode, for the amount) before it goes on the payment. */
  @InjectManager()
  async addReceipt(transactionId: string, receipt: string, actor: string, @MedusaContext() sharedContext: Context = {}): Promise<T.ReceiptCheckView> {
    await this.runtime_.refresh(true)
    this.runtime_.assertNotPaused("Checking a receipt with M-Pesa")
    return this.parts(sharedContext).receipts.add({ transactionId, receipt, actor })
  }

  /** The newest receipt check of a payment (null: none asked). */
  @InjectManager()
  async latestReceiptCheck(transactionId: string, @MedusaContext() sharedContext: Context = {}): Promise<T.ReceiptCheckView | null> {
    return this.parts(sharedContext).receipts.latest(transactionId)
  }

  /** Marks unmatched money as going to a cart's payment collection; the next session created there takes it. */
  @InjectTransactionManager()
  async requestAttach(transactionId: string, paymentCollectionId: string, actor: string, @MedusaContext() sharedContext: Context = {}): Promise<T.MpesaPaymentView> {
    return toPaymentView(await this.parts(sharedContext).desk.requestAttach(transactionId, paymentCollectionId, actor))
  }

  @InjectTransactionManager()
  async cancelAttach(transactionId: string, @MedusaContext() sharedContext: Context = {}): Promise<void> {
    const parts = this.parts(sharedContext)
    await parts.deskLedger.cancelAttach(transactionId, parts.now())
  }

  // ---------------------------------------------------------------- prompt limits

  /** Counts one prompt against the abuse limits (per phone, collection, client address); a refusal uses up nothing. */
  @InjectManager()
  async consumePromptAllowance(input: T.PromptAllowanceInput, @MedusaContext() sharedContext: Context = {}): Promise<T.PromptAllowance> {
    return this.parts(sharedContext).promptLimiter.consume(input, this.services_.now())
  }

  /** Whether a prompt would be allowed now, counting nothing: the store middleware's early 429. */
  @InjectManager()
  async checkPromptAllowance(input: T.PromptAllowanceInput, @MedusaContext() sharedContext: Context = {}): Promise<T.PromptAllowance> {
    return this.parts(sharedContext).promptLimiter.check(input, this.services_.now())
  }
}

async function requirePayment(parts: ModuleParts, transactionId: string): Promise<T.LedgerRow> {
  const payment = await parts.ledger.findById(transactionId)
  if (!payment) throw new MedusaError(MedusaError.Types.NOT_FOUND, `M-Pesa payment ${transactionId} was not found`)
  return payment
}

