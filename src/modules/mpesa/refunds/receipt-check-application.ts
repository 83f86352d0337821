import type { DarajaResult } from "../../../lib/daraja"
import type { CallbackDecision } from "../callback-application"
import type { SettlementContext } from "../settlement-context"
import type { CallbackRow, CallbackStatus, DarajaRequestRow } from "../types"
import { receiptVerdict } from "./receipt-rules"

/**
 * Applies M-Pesa's Transaction Status answer about a receipt the admin
 * added to a payment that was confirmed by a status query (which carries no
 * receipt): the receipt goes on the payment only if the answer proves it is
 * this payment's money (receipt-rules.ts), and never replaces one.
 */
export class ReceiptCheckApplication {
  constructor(private readonly ctx: SettlementContext) {}

  async apply(cb: CallbackRow, request: DarajaRequestRow, result: DarajaResult): Promise<CallbackDecision> {
    const now = this.ctx.now()
    const payment = await this.ctx.ledger.findById(request.transaction_id)
    const receipt = request.receipt ?? ""
    if (!payment) return decision("suspicious", "no such payment", null)
    if (request.status !== "accepted") return decision("duplicate", `receipt check already ${request.status}`, payment.id)
    if (cb.kind === "status_timeout") {
      await this.ctx.requests.answer(
        request.id,
        { result_code: result.resultCode, result_desc: result.resultDesc, reason: "M-Pesa did not answer the check in time; add the receipt again." },
        now
      )
      return decision("applied", "receipt check timed out in M-Pesa's queue", payment.id)
    }
    const verdict = receiptVerdict(receipt, payment, result, this.ctx.config())
    let reason = verdict.verified ? null : verdict.reason
    if (verdict.verified) {
      reason = await this.attach(payment.id, receipt, now)
    }
    await this.ctx.requests.answer(
      request.id,
      { result_code: result.resultCode, result_desc: result.resultDesc, outcome: reason ? "rejected" : "verified", reason },
      now
    )
    this.ctx.logger.info(`M-Pesa: receipt ${receipt} for ${payment.id} ${reason ? "rejected" : "verified"} by Transaction Status`)
    return decision("applied", reason ? `receipt rejected: ${reason}` : "receipt verified and added", payment.id)
  }

  /** null when the receipt is now the payment's; else why not. */
  private async attach(transactionId: string, receipt: string, now: Date): Promise<string | null> {
    try {
      if (await this.ctx.ledger.addVerifiedReceipt(transactionId, receipt, now)) return null
    } catch (e) {
      if ((e as { code?: string }).code === "23505") return `${receipt} is already the receipt of another M-Pesa payment in this store.`
      throw e
    }
    const now_ = await this.ctx.ledger.findById(transactionId)
    if (now_?.mpesa_receipt_number === receipt) return null
    return now_?.mpesa_receipt_number
      ? `This payment got receipt ${now_.mpesa_receipt_number} meanwhile; ${receipt} was not added.`
      : "Only a paid payment can take a receipt."
  }
}

function decision(status: CallbackStatus, note: string, transactionId: string | null): CallbackDecision {
  return { final: true, status, note, transaction_id: transactionId, captured: false }
}
