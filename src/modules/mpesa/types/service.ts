import type { BigNumberInput, Context, FindConfig } from "@medusajs/framework/types"
import type { ResultInboxKind } from "../callbacks/result-url"
import type { MpesaOptions } from "../options"
import type { SettingsPatch } from "../settings/settings-fields"
import type { SettingsView } from "../settings/settings-view"
import type { CallbackRow, CallbackStatus, LedgerRow } from "./rows"
import type {
  AdminCallbackView,
  AdminTransactionView,
  CallbackOutcome,
  ConnectionCheck,
  MpesaPaymentView,
  MpesaTransactionRecord,
  StartedPayment,
  PaymentActions,
  PollSummary,
  ReceiptCheckView,
  RefundView,
  SessionReadiness,
  TimelineEvent,
} from "./views"
import type { LedgerFilters, Page, PromptAllowance, PromptAllowanceInput, PushInput } from "./inputs"

/**
 * The `mpesa` module's service as the rest of the plugin sees it (resolve it
 * with `container.resolve<IMpesaModuleService>(MPESA_MODULE)`). Every method
 * that touches the database takes Medusa's shared context last: pass a
 * workflow step's `{ transactionManager }` and a plain write joins that
 * transaction; calls that reach Daraja never run inside one.
 */
export interface IMpesaModuleService {
  /** The options validated at boot with Settings -> M-Pesa on top (as of the last version check). */
  getConfig(): MpesaOptions
  /** Re-reads saved settings if their version moved (`force`: check now rather than within a few seconds). */
  refreshConfig(force?: boolean): Promise<MpesaOptions>
  /** The callback URL's shape, per-push parts as placeholders (never the secret). */
  callbackUrlPattern(): string
  /** What Settings -> M-Pesa shows: effective values with their source; secrets only as "set, ending in …". */
  getSettings(sharedContext?: Context): Promise<SettingsView>
  toView(row: LedgerRow): MpesaPaymentView
  getPaymentBySession(sessionId: string, sharedContext?: Context): Promise<MpesaPaymentView | null>
  getPayment(transactionId: string, sharedContext?: Context): Promise<MpesaPaymentView | null>
  /** The raw ledger row, for workflows that need its Medusa ids (never sent to a browser as is). */
  getLedgerRow(transactionId: string, sharedContext?: Context): Promise<LedgerRow | null>
  getLedgerRowByCheckoutRequestId(checkoutRequestId: string, sharedContext?: Context): Promise<LedgerRow | null>
  /** Ledger rows for merchant views and tests (read-only; state changes only through the module's own paths). */
  listLedger(filters?: LedgerFilters, page?: Page, sharedContext?: Context): Promise<LedgerRow[]>
  /** Paid carts without an order, unconfirmed or conflicting callbacks, and unmatched money. */
  listPaymentsNeedingAttention(page?: Page, sharedContext?: Context): Promise<MpesaPaymentView[]>
  listCallbacks(filters?: { status?: CallbackStatus[]; transactionId?: string }, page?: Page, sharedContext?: Context): Promise<CallbackRow[]>
  /** The admin's transactions list: ledger rows in the merchant's words, newest first, with a total. */
  listTransactions(filters: LedgerFilters, page?: Page, sharedContext?: Context): Promise<{ transactions: AdminTransactionView[]; count: number }>
  /** The admin's Refunds tab: payments with any refund, most recent refund first. */
  listRefundedTransactions(page?: Page, sharedContext?: Context): Promise<{ transactions: AdminTransactionView[]; count: number }>
  /** One payment as the admin sees it (with its refunds). */
  getAdminTransaction(transactionId: string, sharedContext?: Context): Promise<AdminTransactionView | null>
  /** Callbacks a person may want to see: rejected, unconfirmed or malformed. */
  listSuspiciousCallbacks(page?: Page, sharedContext?: Context): Promise<AdminCallbackView[]>
  /** Every push of the given payment collections (an order's), each with its timeline. */
  paymentsWithTimeline(transactionIds: string[], sharedContext?: Context): Promise<{ payment: AdminTransactionView; timeline: TimelineEvent[] }[]>
  /** Validates and saves settings; every process uses them from its next push on. */
  saveSettings(patch: SettingsPatch, actor?: string | null): Promise<SettingsView>
  /** Fetches an OAuth token with the effective credentials (never an STK Push). */
  testConnection(): Promise<ConnectionCheck>
  /**
   * Sends the STK Push for a payment session, at most once per session and
   * never while a prompt of the same cart, phone and amount may still be paid
   * (session-start.ts, push-initiation.ts). Validation errors and definite
   * Daraja rejections throw a MedusaError a shopper can act on and leave no
   * ledger row; a push whose outcome is unknown is kept `indeterminate`.
   */
  /** Query's read of the M-Pesa payment record (module links, `query.graph`); phones masked, read-only. */
  listMpesaTransactions(filters?: Record<string, unknown>, config?: FindConfig<MpesaTransactionRecord>, sharedContext?: Context): Promise<Partial<MpesaTransactionRecord>[]>
  listAndCountMpesaTransactions(
    filters?: Record<string, unknown>,
    config?: FindConfig<MpesaTransactionRecord>,
    sharedContext?: Context
  ): Promise<[Partial<MpesaTransactionRecord>[], number]>
  initiateStkPush(input: PushInput, sharedContext?: Context): Promise<StartedPayment>
  /** A token naming a payment collection, passed as `mpesa_collection_token` in the data of a session a workflow creates there. */
  collectionToken(paymentCollectionId: string): string
  /** Medusa deleted or canceled the session; money that still arrives goes to the cart's current session or unmatched. */
  closeSession(sessionId: string, sharedContext?: Context): Promise<MpesaPaymentView | null>
  /** Persists a callback exactly as received, before anything else, bound to the push its signed URL names. */
  recordCallback(input: { payload: unknown; sourceIp: string | null; transactionId: string }, sharedContext?: Context): Promise<{ id: string | null; valid: boolean }>
  /** Stores Daraja's answer to one of our requests before it is acknowledged (CallbackInbox.recordResult). */
  recordResult(input: { payload: unknown; sourceIp: string | null; requestId: string; kind: ResultInboxKind }, sharedContext?: Context): Promise<{ id: string | null; valid: boolean }>
  /**
   * Applies one stored callback; idempotent and safe to call concurrently (a
   * lease on the callback, conditional ledger transitions). Null when it is
   * processed or leased elsewhere, was not stored, or M-Pesa is paused (the
   * reconcile job's sweep applies it once the settings can be used).
   */
  processCallback(callbackId: string | null, sharedContext?: Context): Promise<CallbackOutcome | null>
  /** Queries one pending push now if its callback is overdue (authorizePayment); one query per lease period. */
  refreshIfOverdue(sessionId: string, sharedContext?: Context): Promise<MpesaPaymentView | null>
  /** The fallback for lost callbacks: overdue queries, expiry, the stored-callback sweep. */
  pollDue(options?: { limit?: number }, sharedContext?: Context): Promise<PollSummary>
  /** Paid payments whose order is due to be created (first try, or a retry after back-off). */
  listDueForCompletion(limit?: number, sharedContext?: Context): Promise<MpesaPaymentView[]>
  /** Leases a paid payment for completion; null if completed, unmatched or being completed elsewhere. */
  claimCompletion(transactionId: string, sharedContext?: Context): Promise<MpesaPaymentView | null>
  /** Whether Medusa has finished writing the session the completion would authorize (session-readiness.ts). */
  completionReadiness(transactionId: string, session: unknown, sharedContext?: Context): Promise<SessionReadiness | null>
  /** Hands a completion back to the sweep for `at` without counting it as a failure (nothing was attempted). */
  deferCompletion(transactionId: string, at: Date, sharedContext?: Context): Promise<void>
  /** Gives a completion lease back without counting an attempt (a workflow compensating). */
  releaseCompletion(transactionId: string, sharedContext?: Context): Promise<void>
  /** The money's session changed under a completion attempt: give the lease back and start again with the new owner. */
  retryCompletionNow(transactionId: string): Promise<void>
  /** Whether a Medusa refund of this whole payment now would be answered without moving money (completion-rollback-guard.ts). */
  refundWouldBeKeptForCompletion(transactionId: string, medusaAmount: BigNumberInput, sharedContext?: Context): Promise<boolean>
  /** The Medusa amount to report as captured for a payment (the session's own decimal amount). */
  medusaAmountFor(transactionId: string, sharedContext?: Context): Promise<string | null>
  markCompleted(transactionId: string, sharedContext?: Context): Promise<void>
  /** Records a failed completion attempt and when to try again (null: a person must look). */
  markCompletionFailed(transactionId: string, error: string, sharedContext?: Context): Promise<{ nextAttemptAt: string | null; needsAttention: boolean } | null>
  /** The session paid money was meant for is gone: decide again where it belongs (emits the capture again if it moved). */
  rematchPaid(transactionId: string, sharedContext?: Context): Promise<MpesaPaymentView | null>
  /** Medusa's refund of an M-Pesa payment: returns only when the money went back, else throws why (refunds/medusa-refunds.ts). */
  refundFromMedusa(input: { sessionId?: string; checkoutRequestId?: string; amount: BigNumberInput; medusaRefundId: string }, sharedContext?: Context): Promise<RefundView>
  /** Why a Medusa refund of `amount` would be refused now, or null (the order-cancel guard asks first). */
  medusaRefundRefusal(input: { sessionId?: string; checkoutRequestId?: string; amount: BigNumberInput }, sharedContext?: Context): Promise<string | null>
  /** Reverses unmatched money from the admin; waits up to reversalWaitMs for M-Pesa's result. */
  reverseUnmatched(transactionId: string, actor: string, note?: string | null, sharedContext?: Context): Promise<RefundView>
  /** Records a refund the merchant made outside the plugin; no Daraja call. */
  recordOutsideRefund(input: { transactionId: string; amount: number; note: string; actor: string; medusaPaymentId: string | null }, sharedContext?: Context): Promise<RefundView>
  abandonOutsideRefund(refundId: string, reason: string, sharedContext?: Context): Promise<void>
  getRefund(refundId: string, sharedContext?: Context): Promise<RefundView | null>
  /** Reversals confirmed too late for the Medusa refund that asked for them: to be recorded in Medusa now. */
  listUnrecordedMedusaReversals(limit?: number, sharedContext?: Context): Promise<{ refund: RefundView; payment_session_id: string | null; medusa_amount: string }[]>
  /** The sweep: reversals whose result is late or doubtful (Transaction Status, or sent again). */
  checkRefundsDue(limit?: number, sharedContext?: Context): Promise<number>
  /** The admin's "Check again" for an unconfirmed reversal: a Transaction Status check now; waits reversalWaitMs. */
  checkReversalNow(refundId: string, sharedContext?: Context): Promise<RefundView>
  /** Closes an unconfirmed reversal as returned (the admin saw it in the Org portal); counted as refunded. */
  closeReversalAsReturned(refundId: string, actor: string, note: string, sharedContext?: Context): Promise<RefundView>
  /** "Add receipt": checked with Transaction Status (exists, to this shortcode, for the amount) before it goes on the payment. */
  addReceipt(transactionId: string, receipt: string, actor: string, sharedContext?: Context): Promise<ReceiptCheckView>
  /** The newest receipt check of a payment (null: none asked). */
  latestReceiptCheck(transactionId: string, sharedContext?: Context): Promise<ReceiptCheckView | null>
  /** Marks unmatched money as going to a cart's payment collection; the next session created there takes it. */
  requestAttach(transactionId: string, paymentCollectionId: string, actor: string, sharedContext?: Context): Promise<MpesaPaymentView>
  cancelAttach(transactionId: string, sharedContext?: Context): Promise<void>
  /** Counts one prompt against the abuse limits (per phone, collection, client address); a refusal uses up nothing. */
  consumePromptAllowance(input: PromptAllowanceInput, sharedContext?: Context): Promise<PromptAllowance>
  /** Whether a prompt would be allowed now, counting nothing: the store middleware's early 429. */
  checkPromptAllowance(input: PromptAllowanceInput, sharedContext?: Context): Promise<PromptAllowance>
}
