import { parseStkCallback, type StkCallback } from "../../lib/daraja"
import { MESSAGES } from "./customer-messages"
import { isUniqueViolation } from "./error-mapping"
import type { QueryAnswer, QuerySettlement } from "./query-settlement"
import type { SettlementContext } from "./settlement-context"
import type { CallbackOutcome, CallbackRow, LedgerRow } from "./types"
import { FAILURE_STATUSES, OPEN_STATUSES } from "./statuses"

/** What applying a callback decided: final (the callback is processed) or deferred (check again later). */
export type CallbackDecision =
  | (CallbackOutcome & { final: true })
  | { final: false; note: string; transaction_id: string | null }

/**
 * The trust rules for one stored Daraja callback. Daraja does not sign
 * callbacks, so a callback counts only if it came to the signed URL of one
 * push, carries that push's CheckoutRequestID (or, for a push whose answer we
 * never saw, an id no other push has), the exact amount and phone pushed, and
 * (by default) Daraja's STK Push Query confirms it before anything is
 * written. Failures are confirmed the same way, so a forged 1032 cannot
 * cancel a live prompt. Receipt, phone and amount are written only from such
 * a callback, once: a second, different receipt is flagged, never swapped in.
 */
export class CallbackApplication {
  constructor(
    private readonly ctx: SettlementContext,
    private readonly settlement: QuerySettlement
  ) {}

  async apply(cb: CallbackRow): Promise<CallbackDecision> {
    let callback: StkCallback
    try {
      callback = parseStkCallback(cb.payload)
    } catch (e) {
      return done("invalid", e instanceof Error ? e.message : "unreadable callback", null)
    }
    const tx = cb.transaction_id ? await this.ctx.ledger.findById(cb.transaction_id) : null
    if (!tx) {
      return done("suspicious", "the push this callback URL names does not exist (refused or removed)", null)
    }
    if (tx.checkout_request_id && tx.checkout_request_id !== callback.checkoutRequestId) {
      return done("suspicious", `CheckoutRequestID ${callback.checkoutRequestId} is not the one of the push this URL names`, tx)
    }
    if (!tx.checkout_request_id) {
      // A push whose answer we never saw: the callback may name its id, but never one another push owns.
      const owner = await this.ctx.ledger.findByCheckoutRequestId(callback.checkoutRequestId)
      if (owner && owner.id !== tx.id) {
        return done("suspicious", `CheckoutRequestID ${callback.checkoutRequestId} belongs to another push`, tx)
      }
    }
    if (!tx.callback_received_at) {
      await this.ctx.ledger.patch(tx.id, { callback_received_at: this.ctx.now() }, this.ctx.now())
    }
    return callback.resultCode === "0" ? this.applySuccess(cb, callback, tx) : this.applyFailure(cb, callback, tx)
  }

  private async applySuccess(cb: CallbackRow, callback: StkCallback, tx: LedgerRow): Promise<CallbackDecision> {
    const receipt = callback.metadata?.mpesaReceiptNumber ?? null
    const paidAmount = callback.metadata?.amount
    const paidPhone = callback.metadata?.phoneNumber ?? null

    if (paidAmount === undefined || paidAmount !== tx.amount) {
      return done("suspicious", `amount ${paidAmount ?? "missing"} does not match the KES ${tx.amount} pushed`, tx)
    }
    if (!receipt) {
      return done("suspicious", "success without an M-Pesa receipt number", tx)
    }
    // Daraja sends the full MSISDN; compare only when it does (a masked number proves nothing either way).
    if (paidPhone && /^\d{12}$/.test(paidPhone) && paidPhone !== tx.phone) {
      return done("suspicious", "the paying phone is not the phone this push went to", tx)
    }
    const now = this.ctx.now()
    if (tx.status === "paid") {
      if (tx.mpesa_receipt_number === receipt) {
        return done("duplicate", "already paid with this receipt", tx)
      }
      if (tx.mpesa_receipt_number) {
        await this.ctx.ledger.flag(tx.id, `a second, different receipt (${receipt}) was reported for this payment`, now)
        return done("suspicious", `a different receipt (${receipt}) for a push already paid with ${tx.mpesa_receipt_number}`, tx)
      }
      // Paid on a status query (which carries no receipt): this push's own callback completes the record, once.
      try {
        const recorded = await this.ctx.ledger.recordReceipt(
          tx.id,
          {
            mpesa_receipt_number: receipt,
            paid_phone: paidPhone,
            transaction_date: callback.metadata?.transactionDate ?? null,
            customer_message: MESSAGES.paid(receipt),
          },
          now
        )
        return recorded
          ? done("duplicate", "receipt recorded for a payment confirmed by query", tx)
          : done("duplicate", "another callback recorded the receipt first", tx)
      } catch (e) {
        if (isUniqueViolation(e)) {
          return done("suspicious", `receipt ${receipt} already belongs to another payment`, tx)
        }
        throw e
      }
    }
    const expiredByTimer = tx.status === "expired" && !tx.result_code
    if (FAILURE_STATUSES.includes(tx.status) && !expiredByTimer) {
      return done("suspicious", `success reported for a push that already ended as ${tx.status} (${tx.result_code})`, tx)
    }

    const paidFields = {
      mpesa_receipt_number: receipt,
      paid_amount: paidAmount,
      paid_phone: paidPhone,
      transaction_date: callback.metadata?.transactionDate ?? null,
      merchant_request_id: tx.merchant_request_id ?? callback.merchantRequestId,
    }
    const verdict = await this.verdict(cb, tx, callback)
    if (!verdict.confirmed) {
      return verdict.decision
    }
    const { resultCode, resultDesc, confirmedBy } = verdict
    if (resultCode !== "0") {
      await this.settlement.applyFinalResult(tx, {
        resultCode,
        resultDesc,
        confirmedBy: "query",
        checkoutRequestId: callback.checkoutRequestId,
      })
      return done("suspicious", `success callback contradicted by STK Push Query (ResultCode ${resultCode})`, tx)
    }
    try {
      const settled = await this.settlement.applyFinalResult(
        tx,
        { resultCode, resultDesc, confirmedBy, checkoutRequestId: callback.checkoutRequestId },
        paidFields
      )
      if (!settled) {
        return done("duplicate", "another callback or query settled this push first", tx)
      }
      return settled.captured
        ? done("applied", "payment captured", settled.row, true)
        : done("applied", "paid with no open session of a cart costing this amount: kept as an unmatched payment", settled.row)
    } catch (e) {
      if (isUniqueViolation(e)) {
        return done("suspicious", `receipt ${receipt} or CheckoutRequestID already belongs to another payment`, tx)
      }
      throw e
    }
  }

  private async applyFailure(cb: CallbackRow, callback: StkCallback, tx: LedgerRow): Promise<CallbackDecision> {
    if (tx.status === "paid") {
      return done("suspicious", `failure ${callback.resultCode} reported for a paid push`, tx)
    }
    if (!OPEN_STATUSES.includes(tx.status)) {
      return done("duplicate", `push already ended as ${tx.status}`, tx)
    }
    // A forged failure must not cancel a push the shopper may still pay.
    const verdict = await this.verdict(cb, tx, callback)
    if (!verdict.confirmed) {
      return verdict.decision
    }
    const { resultCode, resultDesc, confirmedBy } = verdict
    await this.settlement.applyFinalResult(tx, {
      resultCode,
      resultDesc,
      confirmedBy,
      checkoutRequestId: callback.checkoutRequestId,
    })
    if (resultCode !== callback.resultCode) {
      return done("suspicious", `callback said ${callback.resultCode}, STK Push Query says ${resultCode}`, tx)
    }
    return done("applied", `push ended with ResultCode ${callback.resultCode}`, tx)
  }

  /**
   * The result to write for a callback: Daraja's own verdict on the push from
   * an STK Push Query (confirmWithQuery, the default), else the callback's
   * word. A query that fails or says "still processing" defers the callback;
   * after maxCallbackChecks tries it is closed as `unconfirmed` and the push
   * is flagged for a person (the reconcile job's own queries may still settle it).
   */
  private async verdict(
    cb: CallbackRow,
    tx: LedgerRow,
    callback: StkCallback
  ): Promise<
    | { confirmed: true; resultCode: string; resultDesc: string; confirmedBy: string }
    | { confirmed: false; decision: CallbackDecision }
  > {
    if (!this.ctx.config().confirmWithQuery) {
      return { confirmed: true, resultCode: callback.resultCode, resultDesc: callback.resultDesc, confirmedBy: "callback" }
    }
    const answer: QueryAnswer = await this.settlement.query(tx, callback.checkoutRequestId, { forCallback: true })
    if (answer.status === "completed") {
      return { confirmed: true, resultCode: answer.resultCode, resultDesc: answer.resultDesc, confirmedBy: "callback+query" }
    }
    const note =
      answer.status === "pending"
        ? "Daraja still reports the transaction as processing"
        : answer.status === "budget_spent"
          ? "no confirmation query left for this push"
          : `confirmation query failed (${answer.note})`
    const giveUp =
      answer.status === "budget_spent" ||
      (answer.status === "failed" && !answer.retryable) ||
      cb.attempts + 1 >= this.ctx.config().maxCallbackChecks
    if (giveUp) {
      if (callback.resultCode === "0") {
        await this.ctx.ledger.flag(tx.id, `a success callback Daraja never confirmed: ${note}`, this.ctx.now())
      }
      return { confirmed: false, decision: done("unconfirmed", `${note}; gave up after ${cb.attempts + 1} checks`, tx) }
    }
    return { confirmed: false, decision: { final: false, note: `${note}; will check again`, transaction_id: tx.id } }
  }
}

function done(
  status: CallbackOutcome["status"],
  note: string,
  tx: LedgerRow | null,
  captured = false
): CallbackDecision {
  return { final: true, status, note, transaction_id: tx?.id ?? null, captured }
}
