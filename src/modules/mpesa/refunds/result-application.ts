import { parseResultCallback, type DarajaResult } from "../../../lib/daraja"
import type { CallbackDecision } from "../callback-application"
import { MPESA_REFUND_SETTLED } from "../events"
import type { SettlementContext } from "../settlement-context"
import type { CallbackRow, CallbackStatus, DarajaRequestRow, LedgerRow, RefundRow } from "../types"
import { OPEN_REFUND_STATUSES } from "../statuses"
import { reversalFailureReason } from "./refund-reasons"
import { ReceiptCheckApplication } from "./receipt-check-application"

/** How long an answer that beat its request's acknowledgement waits for the ids to be stored. */
const ACK_WAIT_MS = 3_000
const ACK_POLL_MS = 100

/**
 * Applies Daraja's asynchronous answers to our requests (stored in the
 * callback inbox, bound to the request its signed Result URL names). The
 * trust rules: an answer counts only when it carries the
 * OriginatorConversationID and ConversationID Daraja gave that very request
 * (a forged or replayed body changes nothing and is kept as suspicious); a
 * reversal success must also name the payment's receipt and the refund's
 * amount, or Transaction Status decides; a queue timeout is doubtful. Every
 * write is a guarded transition, so duplicates change nothing.
 */
export class RefundResultApplication {
  private readonly receipts: ReceiptCheckApplication

  constructor(private readonly ctx: SettlementContext) {
    this.receipts = new ReceiptCheckApplication(ctx)
  }

  async apply(cb: CallbackRow): Promise<CallbackDecision> {
    let result: DarajaResult
    try {
      result = parseResultCallback(cb.payload)
    } catch (e) {
      return done("invalid", e instanceof Error ? e.message : "unreadable result")
    }
    const request = cb.request_id ? await this.acknowledged(cb.request_id) : null
    if (!request) return done("suspicious", "no such request")
    if (!request.originator_conversation_id || !request.conversation_id) {
      return request.status === "sent"
        ? { final: false, note: "waiting for Daraja's acknowledgement of the request", transaction_id: request.transaction_id }
        : done("suspicious", "an answer to a request Daraja never acknowledged: its conversation cannot be checked")
    }
    if (result.originatorConversationId !== request.originator_conversation_id || result.conversationId !== request.conversation_id) {
      this.ctx.logger.warn(`M-Pesa: result ${cb.id} names another conversation than request ${request.id}; kept, nothing changed`)
      return done("suspicious", "answer names another conversation than the request it was posted for; nothing changed")
    }
    if (request.purpose === "receipt_status") return this.receipts.apply(cb, request, result)

    const refund = request.refund_id ? await this.ctx.refunds.findById(request.refund_id) : null
    const payment = refund ? await this.ctx.ledger.findById(refund.transaction_id) : null
    if (!refund || !payment) return done("suspicious", "no such refund")
    await this.ctx.requests.answer(request.id, { result_code: result.resultCode, result_desc: result.resultDesc }, this.ctx.now())
    if (!OPEN_REFUND_STATUSES.includes(refund.status)) {
      return this.afterSettled(cb, refund, result, payment)
    }
    switch (cb.kind) {
      case "reversal_result":
        return this.reversalResult(refund, payment, result)
      case "reversal_timeout":
        // Daraja gave up on the request in its queue: it was most likely not processed. Confirm, don't guess.
        await this.doubtful(refund, "M-Pesa's queue timed out on the reversal request; confirming with Transaction Status.")
        return done("applied", "reversal queue timeout: confirming with Transaction Status", payment)
      case "status_result":
        return this.statusResult(refund, payment, result)
      case "status_timeout":
        return done("applied", "Transaction Status timed out; the next check is scheduled", payment)
      default:
        return done("invalid", `not a result kind: ${cb.kind}`)
    }
  }

  /** The request, once Daraja's acknowledgement is stored (an answer can beat it by milliseconds). */
  private async acknowledged(requestId: string): Promise<DarajaRequestRow | null> {
    const deadline = Date.now() + ACK_WAIT_MS
    for (;;) {
      const request = await this.ctx.requests.findById(requestId)
      if (!request || request.status !== "sent" || Date.now() >= deadline) return request
      await new Promise((r) => setTimeout(r, ACK_POLL_MS))
    }
  }

  private async reversalResult(refund: RefundRow, payment: LedgerRow, result: DarajaResult): Promise<CallbackDecision> {
    const now = this.ctx.now()
    const ids = conversationIds(result)
    if (result.resultCode === "0") {
      const original = result.parameters.OriginalTransactionID
      const amount = result.parameters.Amount
      if ((original !== undefined && String(original) !== payment.mpesa_receipt_number) || (amount !== undefined && Number(amount) !== refund.amount)) {
        await this.doubtful(refund, "M-Pesa's reversal result names another receipt or amount; confirming with Transaction Status.")
        return done("suspicious", "reversal result disagrees with the payment", payment)
      }
      const settled = await this.ctx.desk.completeRefund(
        refund.id,
        { ...ids, result_code: "0", result_desc: result.resultDesc, reversal_receipt: result.transactionId, reason: null },
        now
      )
      if (settled) await this.settled(settled)
      return done(settled ? "applied" : "duplicate", settled ? "reversed" : "already settled", payment)
    }
    if (result.resultCode === "R000001") {
      // Daraja reverses a receipt once: our request (sent again after a lost answer) or the Org portal already did it.
      const settled = await this.ctx.desk.completeRefund(
        refund.id,
        { ...ids, result_code: result.resultCode, result_desc: result.resultDesc, reason: reversalFailureReason("R000001", null) },
        now
      )
      if (settled) await this.settled(settled)
      return done(settled ? "applied" : "duplicate", "already reversed at M-Pesa", payment)
    }
    const failed = await this.ctx.refunds.fail(
      refund.id,
      { ...ids, result_code: result.resultCode, result_desc: result.resultDesc, reason: reversalFailureReason(result.resultCode, result.resultDesc) },
      now
    )
    if (failed) await this.settled(failed)
    return done(failed ? "applied" : "duplicate", `reversal failed: ResultCode ${result.resultCode}`, payment)
  }

  private async statusResult(refund: RefundRow, payment: LedgerRow, result: DarajaResult): Promise<CallbackDecision> {
    const now = this.ctx.now()
    const status = String(result.parameters.TransactionStatus ?? "")
    const about = result.parameters.OriginatorConversationID
    if (about !== undefined && String(about) !== refund.originator_conversation_id) {
      // An answer to our check, but about another transaction than the reversal we asked after.
      return done("suspicious", "Transaction Status answered about another request than this reversal", payment)
    }
    if (result.resultCode === "0" && /^completed$/i.test(status)) {
      const receipt = result.parameters.ReceiptNo
      const settled = await this.ctx.desk.completeRefund(
        refund.id,
        {
          result_code: "0",
          result_desc: "Confirmed with Transaction Status",
          reversal_receipt: receipt !== undefined ? String(receipt) : result.transactionId,
          reason: null,
        },
        now
      )
      if (settled) await this.settled(settled)
      return done(settled ? "applied" : "duplicate", "reversal confirmed by Transaction Status", payment)
    }
    if (result.resultCode === "2032" && refund.originator_conversation_id) {
      // Asked by our request's own conversation id, well after it was acknowledged: M-Pesa never processed it.
      const failed = await this.ctx.refunds.fail(
        refund.id,
        {
          result_code: "2032",
          result_desc: result.resultDesc,
          reason: "M-Pesa has no record of this reversal: no money went back to the customer. You can refund again.",
        },
        now
      )
      if (failed) await this.settled(failed)
      return done(failed ? "applied" : "duplicate", "Transaction Status: reversal never processed", payment)
    }
    return done("applied", `Transaction Status answered ${result.resultCode} (${status || "no status"}); checking again later`, payment)
  }

  /** An answer for a refund that is already settled: a duplicate, unless it contradicts the settlement. */
  private async afterSettled(cb: CallbackRow, refund: RefundRow, result: DarajaResult, payment: LedgerRow): Promise<CallbackDecision> {
    const says = cb.kind === "reversal_result" && result.resultCode === "0" ? "completed" : null
    if (says === "completed" && refund.status === "failed") {
      // Money moved after we concluded it had not: never hide that.
      const now = this.ctx.now()
      const reason =
        `M-Pesa reported this reversal as done (${result.transactionId ?? "no receipt"}) after it had been marked failed. ` +
        "The customer has the money back: record it as a refund made outside M-Pesa so the books agree."
      await this.ctx.refunds.schedule(refund.id, { attention_reason: reason, attention_at: now }, now)
      // On the payment too, so it is on the transactions page's "Needs attention" tab.
      await this.ctx.ledger.flag(refund.transaction_id, reason, now)
      this.ctx.logger.warn(`M-Pesa: reversal ${refund.id} succeeded after being marked failed (needs attention)`)
      return done("suspicious", "success after failure: flagged for attention", payment)
    }
    return done("duplicate", `refund already ${refund.status}`, payment)
  }

  private async doubtful(refund: RefundRow, reason: string): Promise<void> {
    const now = this.ctx.now()
    // Checked at once: the sweep's next run sends Transaction Status (or re-sends a request Daraja never acknowledged).
    await this.ctx.refunds.markUnknown(refund.id, reason, now, now)
  }

  private async settled(refund: RefundRow): Promise<void> {
    const verb = refund.status === "completed" ? "reversed" : "not reversed"
    this.ctx.logger.info(`M-Pesa: refund ${refund.id} ${verb} (KES ${refund.amount})`)
    await this.ctx.emit(MPESA_REFUND_SETTLED, refund.id)
  }
}

function conversationIds(result: DarajaResult) {
  return { originator_conversation_id: result.originatorConversationId, conversation_id: result.conversationId }
}

function done(status: CallbackStatus, note: string, payment?: LedgerRow | null): CallbackDecision {
  return { final: true, status, note, transaction_id: payment?.id ?? null, captured: false }
}
