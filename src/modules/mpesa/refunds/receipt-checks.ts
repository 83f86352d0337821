import { MedusaError } from "@medusajs/framework/utils"
import { resultUrl } from "../callbacks/result-url"
import { errorSummary } from "../error-mapping"
import type { SettlementContext } from "../settlement-context"
import type { DarajaRequestRow } from "../types"
import { RECEIPT_PATTERN } from "./receipt-rules"
import { initiatorCredentials } from "./reversal-credentials"
import type { ReceiptCheckView } from "../types"

const POLL_MS = 200


/**
 * The admin's "Add receipt" for a payment confirmed by a status query (STK
 * Push Query carries no receipt number, so such a payment cannot be
 * reversed). The receipt the admin copied from the Org portal or the
 * shopper's SMS is checked with Transaction Status on its own signed Result
 * URL before it goes on the payment (receipt-check-application.ts); waits a
 * bounded time for M-Pesa's answer.
 */
export class ReceiptChecks {
  constructor(private readonly ctx: SettlementContext) {}

  async add(input: { transactionId: string; receipt: string; actor: string }): Promise<ReceiptCheckView> {
    const receipt = input.receipt.trim().toUpperCase()
    if (!RECEIPT_PATTERN.test(receipt)) {
      throw new MedusaError(MedusaError.Types.INVALID_DATA, "receipt: must be an M-Pesa receipt number, ten letters and digits (e.g. UBQ7XK2P4M)")
    }
    const config = this.ctx.config()
    const payment = await this.ctx.ledger.findById(input.transactionId)
    if (!payment) throw new MedusaError(MedusaError.Types.NOT_FOUND, `M-Pesa payment ${input.transactionId} was not found`)
    if (payment.mpesa_receipt_number === receipt) return { receipt, status: "verified", reason: null, checked_at: null }
    if (payment.mpesa_receipt_number) {
      throw new MedusaError(MedusaError.Types.NOT_ALLOWED, `receipt: this payment already has receipt ${payment.mpesa_receipt_number}; it is never replaced.`)
    }
    if (payment.status !== "paid") {
      throw new MedusaError(MedusaError.Types.NOT_ALLOWED, `Only a paid payment can take a receipt; this one is ${payment.status}.`)
    }
    const [owner] = await this.ctx.ledger.list({ receipt }, { take: 1, skip: 0 })
    if (owner) throw new MedusaError(MedusaError.Types.NOT_ALLOWED, `receipt: ${receipt} is already the receipt of another M-Pesa payment in this store.`)
    // Checked before anything is written: Transaction Status needs the same initiator as refunds.
    const credentials = initiatorCredentials(config)

    const request = await this.ctx.requests.open({
      purpose: "receipt_status",
      transactionId: payment.id,
      receipt,
      requestedBy: input.actor,
      now: this.ctx.now(),
    })
    try {
      const accepted = await this.ctx.daraja().transactionStatus({
        ...credentials,
        transactionId: receipt,
        partyA: config.shortcode,
        identifierType: "4",
        resultUrl: resultUrl(config, "status", request.id),
        queueTimeOutUrl: resultUrl(config, "status-timeout", request.id),
        remarks: "Receipt check",
        occasion: payment.account_reference,
      })
      await this.ctx.requests.accept(
        request.id,
        { originator_conversation_id: accepted.originatorConversationId, conversation_id: accepted.conversationId },
        this.ctx.now()
      )
    } catch (e) {
      await this.ctx.requests.fail(request.id, `not accepted: ${errorSummary(e)}`, this.ctx.now())
      throw new MedusaError(
        MedusaError.Types.NOT_ALLOWED,
        `M-Pesa did not take the receipt check (${e instanceof Error ? e.message : "no reason given"}); nothing was changed. Try again.`
      )
    }
    this.ctx.logger.info(`M-Pesa: ${input.actor} asked M-Pesa to check receipt ${receipt} for ${payment.id}`)
    return toReceiptCheckView(await this.waitForAnswer(request.id, config.reversalWaitMs))
  }

  /** The newest receipt check of a payment, as the admin sees it. */
  async latest(transactionId: string): Promise<ReceiptCheckView | null> {
    const row = await this.ctx.requests.latestReceiptCheck(transactionId)
    return row ? toReceiptCheckView(row) : null
  }

  private async waitForAnswer(requestId: string, ms: number): Promise<DarajaRequestRow> {
    const deadline = Date.now() + ms
    for (;;) {
      const row = await this.ctx.requests.findById(requestId)
      if (!row) throw new MedusaError(MedusaError.Types.NOT_FOUND, `receipt check ${requestId} disappeared`)
      if (row.status === "answered" || row.status === "failed" || Date.now() >= deadline) return row
      await new Promise((r) => setTimeout(r, POLL_MS))
    }
  }
}

export function toReceiptCheckView(row: DarajaRequestRow): ReceiptCheckView {
  const status = row.outcome === "verified" ? "verified" : row.status === "answered" || row.status === "failed" ? "rejected" : "checking"
  return {
    receipt: row.receipt ?? "",
    status,
    reason: status === "rejected" ? (row.outcome ? row.reason : (row.reason ?? "M-Pesa did not answer the check; add the receipt again.")) : null,
    checked_at: row.answered_at ? new Date(row.answered_at).toISOString() : null,
  }
}
