import { MedusaError } from "@medusajs/framework/utils"
import { classifyDarajaError } from "../../../lib/daraja"
import { resultUrl } from "../callbacks/result-url"
import { errorSummary } from "../error-mapping"
import type { SettlementContext } from "../settlement-context"
import type { LedgerRow, RefundRow } from "../types"
import { OPEN_REFUND_STATUSES } from "../statuses"
import { initiatorCredentials, type InitiatorCredentials } from "./reversal-credentials"
import type { ReversalAsk } from "./money-desk"

const POLL_MS = 200

/**
 * Sends Daraja Reversals and settles the ones whose answer is late or
 * doubtful. A reversal is never sent twice for one payment by us (one live
 * reversal per payment, enforced by a unique index), and where its first
 * answer was lost it is sent again on purpose: Daraja refuses to reverse a
 * receipt twice (R000001), so the second request either does the work the
 * first never reached or confirms that it was done.
 */
export class ReversalDesk {
  constructor(private readonly ctx: SettlementContext) {}

  /**
   * Opens (or finds) the payment's reversal through the money desk, which
   * decides under the payment's row lock, and sends it if new; does not wait
   * for the result.
   */
  async reverse(transactionId: string, ask: ReversalAsk): Promise<{ refund: RefundRow; payment: LedgerRow; created: boolean }> {
    const config = this.ctx.config()
    // A reversal already sent (or done) is answered as it is, even if the initiator settings changed since;
    // the desk still checks it may be joined (a partial refund never claims a whole reversal).
    const live = await this.ctx.refunds.findLiveReversal(transactionId)
    const now = this.ctx.now()
    const checkAt = new Date(now.getTime() + config.reversalCheckAfterMs)
    if (live) {
      const opening = await this.ctx.desk.openReversal(transactionId, ask, checkAt)
      return { refund: opening.refund, payment: opening.payment, created: false }
    }
    // Checked before anything is written: a reversal that cannot be sent leaves no row behind.
    const credentials = initiatorCredentials(config)
    const opening = await this.ctx.desk.openReversal(transactionId, ask, checkAt)
    if (opening.kind === "existing") {
      return { refund: opening.refund, payment: opening.payment, created: false }
    }
    const sent = await this.send(opening.refund, opening.payment, credentials)
    return { refund: sent, payment: opening.payment, created: true }
  }

  /** Polls the refund until it is settled or `ms` ran out; returns it as it is then. */
  async waitForSettlement(refundId: string, ms: number): Promise<RefundRow> {
    const deadline = Date.now() + ms
    for (;;) {
      const row = await this.ctx.refunds.findById(refundId)
      if (!row) throw new MedusaError(MedusaError.Types.NOT_FOUND, `refund ${refundId} disappeared`)
      if (!OPEN_REFUND_STATUSES.includes(row.status) || Date.now() >= deadline) return row
      await new Promise((r) => setTimeout(r, Math.min(POLL_MS, Math.max(0, deadline - Date.now()))))
    }
  }

  /** The sweep: reversals whose result is late or doubtful, checked a bounded number of times. */
  async checkDue(limit = 10): Promise<number> {
    const config = this.ctx.config()
    const due = await this.ctx.refunds.claimDue(this.ctx.now(), limit, config.queryLeaseMs)
    for (const refund of due) {
      try {
        await this.check(refund)
      } catch (e) {
        this.ctx.logger.warn(`M-Pesa: checking reversal ${refund.id} failed: ${errorSummary(e)}`)
      } finally {
        await this.ctx.refunds.release(refund.id)
      }
    }
    return due.length
  }

  /**
   * The admin's "Check again" for a reversal M-Pesa has not confirmed: one
   * more Transaction Status check now, beyond the sweep's budget; its answer
   * settles the reversal (completed or failed) like any other.
   */
  async checkNow(refundId: string): Promise<RefundRow> {
    const config = this.ctx.config()
    const now = this.ctx.now()
    const scheduled = await this.ctx.refunds.scheduleCheckNow(refundId, config.maxReversalChecks, now)
    if (!scheduled) {
      const row = await this.ctx.refunds.findById(refundId)
      if (!row) throw new MedusaError(MedusaError.Types.NOT_FOUND, `refund ${refundId} was not found`)
      if (row.kind !== "reversal") throw new MedusaError(MedusaError.Types.NOT_ALLOWED, "Only reversals are checked with M-Pesa.")
      return row // already settled: nothing to ask
    }
    const claimed = await this.ctx.refunds.claimOne(refundId, now, config.queryLeaseMs)
    if (!claimed) return scheduled // the sweep is checking it right now
    try {
      await this.check(claimed)
    } finally {
      await this.ctx.refunds.release(refundId)
    }
    return this.waitForSettlement(refundId, config.reversalWaitMs)
  }

  private async check(refund: RefundRow): Promise<void> {
    const config = this.ctx.config()
    const now = this.ctx.now()
    const attempts = refund.check_attempts + 1
    if (attempts > config.maxReversalChecks) {
      const reason =
        `M-Pesa has not confirmed this reversal after ${refund.check_attempts} checks. Press "Check again" in the payment's M-Pesa ` +
        "panel to ask M-Pesa now, or look the payment up in the M-Pesa Org portal: if the money went back, close the reversal as " +
        "returned with the Org portal's reference."
      await this.ctx.refunds.schedule(refund.id, { next_check_at: null, attention_reason: reason, attention_at: now }, now)
      await this.ctx.ledger.flag(refund.transaction_id, reason, now)
      this.ctx.logger.warn(`M-Pesa: reversal ${refund.id} unconfirmed after ${refund.check_attempts} checks (needs attention)`)
      return
    }
    await this.ctx.refunds.schedule(
      refund.id,
      { check_attempts: attempts, next_check_at: new Date(now.getTime() + config.reversalCheckAfterMs * attempts) },
      now
    )
    const payment = await this.ctx.ledger.findById(refund.transaction_id)
    if (!payment) return
    const credentials = initiatorCredentials(config)
    if (!refund.originator_conversation_id) {
      // Daraja never acknowledged it (the process died mid-request, or the answer was lost): send it again.
      await this.send(refund, payment, credentials)
      return
    }
    // Its own request row and signed URL: only an answer carrying this check's conversation ids is applied.
    const request = await this.ctx.requests.open({ purpose: "reversal_status", transactionId: payment.id, refundId: refund.id, now })
    try {
      const accepted = await this.ctx.daraja().transactionStatus({
        ...credentials,
        originalConversationId: refund.originator_conversation_id,
        partyA: config.shortcode,
        identifierType: "4",
        resultUrl: resultUrl(config, "status", request.id),
        queueTimeOutUrl: resultUrl(config, "status-timeout", request.id),
        remarks: "Reversal check",
      })
      await this.ctx.requests.accept(request.id, conversation(accepted), this.ctx.now())
    } catch (e) {
      // A read: the next check asks again with a new request; this one can never be answered.
      await this.ctx.requests.fail(request.id, `not accepted: ${errorSummary(e)}`, this.ctx.now())
      throw e
    }
  }

  private async send(refund: RefundRow, payment: LedgerRow, credentials: InitiatorCredentials): Promise<RefundRow> {
    const config = this.ctx.config()
    const receipt = payment.mpesa_receipt_number
    if (!receipt) throw new MedusaError(MedusaError.Types.NOT_ALLOWED, "This payment has no M-Pesa receipt number to reverse.")
    const request = await this.ctx.requests.open({
      purpose: "reversal",
      transactionId: payment.id,
      refundId: refund.id,
      requestedBy: refund.requested_by,
      now: this.ctx.now(),
    })
    try {
      const accepted = await this.ctx.daraja().reversal({
        ...credentials,
        transactionId: receipt,
        amount: refund.amount,
        receiverParty: config.shortcode,
        resultUrl: resultUrl(config, "reversal", request.id),
        queueTimeOutUrl: resultUrl(config, "reversal-timeout", request.id),
        remarks: "Refund",
        occasion: payment.account_reference,
      })
      const now = this.ctx.now()
      await this.ctx.requests.accept(request.id, conversation(accepted), now)
      const moved = await this.ctx.refunds.markRequested(
        refund.id,
        conversation(accepted),
        new Date(now.getTime() + config.reversalCheckAfterMs),
        now
      )
      // null: the result beat the acknowledgement and settled it already.
      return moved ?? (await this.ctx.refunds.findById(refund.id)) ?? refund
    } catch (e) {
      const now = this.ctx.now()
      if (classifyDarajaError(e, { idempotent: false }) === "fail") {
        const reason = `M-Pesa refused the reversal request: ${darajaMessage(e)}`
        this.ctx.logger.warn(`M-Pesa: reversal ${refund.id} refused: ${errorSummary(e)}`)
        await this.ctx.requests.fail(request.id, reason, now)
        return (await this.ctx.refunds.fail(refund.id, { reason }, now)) ?? refund
      }
      this.ctx.logger.warn(`M-Pesa: reversal ${refund.id} outcome unknown: ${errorSummary(e)}`)
      // Its conversation ids are unknown, so no answer to it can be matched: the sweep sends it again
      // (Daraja refuses a second reversal of one receipt, R000001, which settles it either way).
      await this.ctx.requests.fail(request.id, "Daraja's answer to the request never arrived", now)
      const reason = "Daraja's answer to the reversal request never arrived; checking with M-Pesa."
      return (await this.ctx.refunds.markUnknown(refund.id, reason, new Date(now.getTime() + config.reversalCheckAfterMs), now)) ?? refund
    }
  }
}

function conversation(accepted: { originatorConversationId: string; conversationId: string }) {
  return { originator_conversation_id: accepted.originatorConversationId, conversation_id: accepted.conversationId }
}

function darajaMessage(e: unknown): string {
  return e instanceof Error ? e.message : "no reason given"
}
