import { describeResultCode, DarajaApiError, type StkQueryOutcome } from "../../lib/daraja"
import { MESSAGES } from "./customer-messages"
import { errorSummary } from "./error-mapping"
import { MPESA_PAYMENT_CAPTURED, MPESA_PAYMENT_FAILED } from "./events"
import type { SettlementContext } from "./settlement-context"
import type { LedgerRow } from "./types"
import { OPEN_STATUSES } from "./types"

/**
 * Daraja's STK Push Query and what follows from its answer: the one place a
 * final result (from a query, or a callback confirmed by one) is written to
 * the ledger, and the poller's back-off and expiry.
 */
export class QuerySettlement {
  constructor(private readonly ctx: SettlementContext) {}

  async queryDaraja(tx: LedgerRow): Promise<StkQueryOutcome> {
    const config = this.ctx.config()
    if (!tx.checkout_request_id) {
      return { status: "pending", description: "no CheckoutRequestID to query" }
    }
    const now = this.ctx.now()
    await this.ctx.ledger.patch(
      tx.id,
      { query_attempts: tx.query_attempts + 1, last_queried_at: now },
      now
    )
    return this.ctx.daraja().stkQuery({
      shortcode: config.shortcode,
      passkey: config.passkey,
      checkoutRequestId: tx.checkout_request_id,
    })
  }

  /**
   * Applies Daraja's final verdict for a push (from a callback or a query).
   * A success learnt from a query carries no receipt; the callback, if it
   * ever arrives, fills it in.
   */
  async applyFinalResult(
    tx: LedgerRow,
    resultCode: string,
    resultDesc: string,
    confirmedBy: string
  ): Promise<{ row: LedgerRow; captured: boolean } | null> {
    const now = this.ctx.now()
    const info = describeResultCode(resultCode)
    if (info.state === "paid") {
      const won = await this.ctx.ledger.transition(
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
        await this.ctx.emit(MPESA_PAYMENT_CAPTURED, won.id)
      }
      return won ? { row: won, captured: !won.unmatched } : null
    }
    const won = await this.ctx.ledger.transition(
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
      await this.ctx.emit(MPESA_PAYMENT_FAILED, won.id)
    }
    return won ? { row: won, captured: false } : null
  }

  async settleByQuery(row: LedgerRow): Promise<"settled" | "pending" | "expired" | "rate_limited" | "error"> {
    const config = this.ctx.config()
    const now = this.ctx.now()
    let outcome: StkQueryOutcome
    try {
      outcome = await this.queryDaraja(row)
    } catch (e) {
      const rateLimited =
        e instanceof DarajaApiError && (e.info.meaning === "rate_limited" || e.info.meaning === "system_busy")
      await this.ctx.ledger.patch(
        row.id,
        { next_query_at: new Date(now.getTime() + (rateLimited ? 60_000 : config.queryBackoffMs)) },
        now
      )
      this.ctx.logger.warn(`M-Pesa: status query for ${row.checkout_request_id} failed: ${errorSummary(e)}`)
      return rateLimited ? "rate_limited" : "error"
    }
    if (outcome.status === "completed") {
      const settled = await this.applyFinalResult(row, outcome.resultCode, outcome.resultDesc, "query")
      return settled ? "settled" : "pending"
    }
    if (now >= new Date(row.expires_at)) {
      const expired = await this.ctx.ledger.transition(
        row.id,
        ["pending"],
        { status: "expired", customer_message: MESSAGES.expiredByTimer, settled_at: now, next_query_at: null },
        now
      )
      if (expired) {
        await this.ctx.emit(MPESA_PAYMENT_FAILED, expired.id)
      }
      return expired ? "expired" : "pending"
    }
    // Back off: 1x, 2x, 3x … the configured step, never past expiry.
    const step = config.queryBackoffMs * Math.max(1, row.query_attempts + 1)
    const next = Math.min(now.getTime() + step, new Date(row.expires_at).getTime())
    await this.ctx.ledger.patch(row.id, { next_query_at: new Date(next) }, now)
    return "pending"
  }
}
