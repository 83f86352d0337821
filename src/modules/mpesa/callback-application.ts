import { parseStkCallback, type StkCallback, type StkQueryOutcome } from "../../lib/daraja"
import { MESSAGES } from "./customer-messages"
import { errorSummary, isUniqueViolation } from "./error-mapping"
import type { QuerySettlement } from "./query-settlement"
import type { SettlementContext } from "./settlement-context"
import type { CallbackOutcome, CallbackRow, LedgerRow } from "./types"
import { FAILURE_STATUSES, OPEN_STATUSES } from "./types"

/** Callbacks waiting for a push we never saw are given up as suspicious after this. */
const ORPHAN_CALLBACK_TTL_MS = 15 * 60_000

/**
 * Applies one stored Daraja callback to the ledger. Daraja does not sign
 * callbacks, so a success counts only for a known CheckoutRequestID, the exact
 * amount pushed, a receipt and (by default) a confirming STK Push Query; a
 * failure is confirmed the same way, so a forged 1032 cannot cancel a live
 * prompt. Everything else is recorded as suspicious and changes nothing.
 */
export class CallbackApplication {
  constructor(
    private readonly ctx: SettlementContext,
    private readonly settlement: QuerySettlement
  ) {}

  async applyCallback(cb: CallbackRow): Promise<CallbackOutcome> {
    const now = this.ctx.now()
    const finish = async (status: CallbackOutcome["status"], note: string, tx: LedgerRow | null, captured = false) => {
      await this.ctx.callbacks.finish(cb.id, status, note, tx?.id ?? null, now)
      if (status === "suspicious") {
        this.ctx.logger.warn(`M-Pesa: suspicious callback ${cb.id}: ${note}`)
      }
      return { status, note, transaction_id: tx?.id ?? null, captured }
    }
    const defer = async (status: CallbackOutcome["status"], note: string, tx: LedgerRow | null) => {
      await this.ctx.callbacks.defer(cb.id, status, note, tx?.id ?? null, now)
      return { status, note, transaction_id: tx?.id ?? null, captured: false }
    }

    let callback: StkCallback
    try {
      callback = parseStkCallback(cb.payload)
    } catch (e) {
      return finish("invalid", e instanceof Error ? e.message : "unreadable callback", null)
    }
    const success = callback.resultCode === "0"

    let tx = await this.ctx.ledger.findByCheckoutRequestId(callback.checkoutRequestId)
    if (!tx && success && callback.metadata?.phoneNumber && callback.metadata.amount !== undefined) {
      // The push response was lost: adopt the one open push with this phone and amount.
      const since = new Date(now.getTime() - this.ctx.config().expiryMs - 60_000)
      const candidate = await this.ctx.ledger.findIndeterminateMatch(
        callback.metadata.phoneNumber,
        callback.metadata.amount,
        since
      )
      if (candidate) {
        tx = await this.ctx.ledger.transition(
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

    await this.ctx.ledger.patch(tx.id, { callback_received_at: tx.callback_received_at ?? now }, now)

    if (!success) {
      return this.applyFailureCallback(cb, callback, tx, finish, defer)
    }
    return this.applySuccessCallback(callback, tx, finish, defer)
  }

  async applySuccessCallback(
    callback: StkCallback,
    tx: LedgerRow,
    finish: (s: CallbackOutcome["status"], note: string, tx: LedgerRow | null, captured?: boolean) => Promise<CallbackOutcome>,
    defer: (s: CallbackOutcome["status"], note: string, tx: LedgerRow | null) => Promise<CallbackOutcome>
  ): Promise<CallbackOutcome> {
    const now = this.ctx.now()
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

    if (this.ctx.config().confirmWithQuery) {
      const query = await this.confirmByQuery(tx)
      if (query.status !== "completed") {
        return defer("received", query.note, tx)
      }
      if (query.resultCode !== "0") {
        await this.settlement.applyFinalResult(tx, query.resultCode, query.resultDesc, "query")
        return finish("suspicious", `success callback contradicted by STK Push Query (ResultCode ${query.resultCode})`, tx)
      }
    }

    let won: LedgerRow | null
    try {
      won = await this.ctx.ledger.transition(
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
          confirmed_by: this.ctx.config().confirmWithQuery ? "callback+query" : "callback",
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
      this.ctx.logger.warn(
        `M-Pesa: payment ${receipt} (KES ${tx.amount}) arrived after its session ${tx.payment_session_id} was closed; kept as unmatched`
      )
      return finish("applied", "paid after the session was closed: kept as an unmatched payment", won)
    }
    return finish("applied", "payment captured", won, true)
  }

  async applyFailureCallback(
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
    if (this.ctx.config().confirmWithQuery) {
      // A forged failure must not cancel a push the shopper may still pay.
      const query = await this.confirmByQuery(tx)
      if (query.status !== "completed") {
        return defer("received", query.note, tx)
      }
      // applyFinalResult emits the capture itself if the query says the money moved.
      await this.settlement.applyFinalResult(tx, query.resultCode, query.resultDesc, "callback+query")
      if (query.resultCode !== callback.resultCode) {
        return finish("suspicious", `callback said ${callback.resultCode}, STK Push Query says ${query.resultCode}`, tx)
      }
      return finish("applied", `push ended with ResultCode ${callback.resultCode}`, tx)
    }
    await this.settlement.applyFinalResult(tx, callback.resultCode, callback.resultDesc, "callback")
    return finish("applied", `push ended with ResultCode ${callback.resultCode}`, tx)
  }

  /**
   * Daraja's own verdict on a push, to confirm an unsigned callback. A query
   * that fails or says "still processing" leaves the callback for a retry.
   */
  private async confirmByQuery(
    tx: LedgerRow
  ): Promise<Extract<StkQueryOutcome, { status: "completed" }> | { status: "unknown"; note: string }> {
    try {
      const query = await this.settlement.queryDaraja(tx)
      return query.status === "completed"
        ? query
        : { status: "unknown", note: "Daraja still reports the transaction as processing; will retry" }
    } catch (e) {
      return { status: "unknown", note: `confirmation query failed (${errorSummary(e)}); will retry` }
    }
  }

  async safePatchReceipt(tx: LedgerRow, callback: StkCallback, now: Date): Promise<boolean> {
    try {
      await this.ctx.ledger.patch(
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
}
