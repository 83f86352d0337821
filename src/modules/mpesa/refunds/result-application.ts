import { parseResultCallback, type DarajaResult } from "../../../lib/daraja"
import type { CallbackDecision } from "../callback-application"
import { MPESA_REFUND_SETTLED } from "../events"
import type { SettlementContext } from "../settlement-context"
import type { CallbackRow, CallbackStatus, LedgerRow, RefundRow } from "../types"
import { OPEN_REFUND_STATUSES } from "../types"
import { reversalFailureReason } from "./refund-reasons"

/**
 * Applies Daraja's asynchronous answers about one of our reversals (stored
 * in the callback inbox, bound to the refund its signed Result URL names).
 * The trust rules: a success must echo our request (its conversation), the
 * payment's receipt and the refund's amount, or it is treated as doubtful
 * and confirmed with Transaction Status; a queue timeout is doubtful too.
 * Every write is a guarded transition, so duplicates change nothing.
 */
export class RefundResultApplication {
  constructor(private readonly ctx: SettlementContext) {}

  async apply(cb: CallbackRow): Promise<CallbackDecision> {
    let result: DarajaResult
    try {
      result = parseResultCallback(cb.payload)
    } catch (e) {
      return done("invalid", e instanceof Error ? e.message : "unreadable result")
    }
    const refund = cb.refund_id ? await this.ctx.refunds.findById(cb.refund_id) : null
    const payment = refund ? await this.ctx.ledger.findById(refund.transaction_id) : null
    if (!refund || !payment) return done("suspicious", "no such refund")
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

  private async reversalResult(refund: RefundRow, payment: LedgerRow, result: DarajaResult): Promise<CallbackDecision> {
    const now = this.ctx.now()
    if (!sameConversation(refund, result)) {
      await this.doubtful(refund, "A reversal result naming another request arrived; confirming with Transaction Status.")
      return done("suspicious", "reversal result for another conversation", payment)
    }
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

function sameConversation(refund: RefundRow, result: DarajaResult): boolean {
  // Unknown until Daraja acknowledged the request: the signed URL is all we can check then.
  if (!refund.originator_conversation_id && !refund.conversation_id) return true
  return result.originatorConversationId === refund.originator_conversation_id || result.conversationId === refund.conversation_id
}

function conversationIds(result: DarajaResult) {
  return { originator_conversation_id: result.originatorConversationId, conversation_id: result.conversationId }
}

function done(status: CallbackStatus, note: string, payment?: LedgerRow | null): CallbackDecision {
  return { final: true, status, note, transaction_id: payment?.id ?? null, captured: false }
}
