import { describeResultCode, DarajaApiError, type StkQueryOutcome } from "../../lib/daraja"
import { MESSAGES } from "./customer-messages"
import { errorSummary } from "./error-mapping"
import { MPESA_PAYMENT_CAPTURED, MPESA_PAYMENT_FAILED } from "./events"
import type { SettlementContext } from "./settlement-context"
import type { PaidSettlement, SettlementPatch } from "./stores/ledger-settlement"
import type { LedgerRow } from "./types"

/** Daraja's answer to a status query when it does not know the CheckoutRequestID: asking again will not help. */
const UNKNOWN_CHECKOUT_REQUEST_ID = "400.002.02"

export type QueryAnswer =
  | Extract<StkQueryOutcome, { status: "completed" }>
  | { status: "pending" }
  | { status: "failed"; note: string; retryable: boolean; rateLimited: boolean }
  | { status: "budget_spent" }

/**
 * Daraja's STK Push Query and what follows from its answer: the one place a
 * final result (from a query, or a callback confirmed by one) is written to
 * the ledger, and the poller's bounded back-off and expiry.
 */
export class QuerySettlement {
  constructor(private readonly ctx: SettlementContext) {}

  /**
   * One status query for a push, counted against its budget
   * (maxQueriesPerPush; confirming a callback may use maxCallbackChecks more).
   * `checkoutRequestId` defaults to the row's; a callback for a push whose
   * answer we never saw brings its own.
   */
  async query(
    tx: LedgerRow,
    checkoutRequestId = tx.checkout_request_id,
    options: { forCallback?: boolean } = {}
  ): Promise<QueryAnswer> {
    const config = this.ctx.config()
    if (!checkoutRequestId) {
      return { status: "pending" }
    }
    const budget = config.maxQueriesPerPush + (options.forCallback ? config.maxCallbackChecks : 0)
    const spent = await this.ctx.leases.spendQuery(tx.id, budget, this.ctx.now())
    if (!spent) {
      return { status: "budget_spent" }
    }
    try {
      const outcome = await this.ctx.daraja().stkQuery({
        shortcode: config.shortcode,
        passkey: config.passkey,
        checkoutRequestId,
      })
      return outcome.status === "completed" ? outcome : { status: "pending" }
    } catch (e) {
      const code = e instanceof DarajaApiError ? e.errorCode : null
      const rateLimited =
        e instanceof DarajaApiError && (e.info.meaning === "rate_limited" || e.info.meaning === "system_busy")
      this.ctx.logger.warn(`M-Pesa: status query for ${checkoutRequestId} failed: ${errorSummary(e)}`)
      return { status: "failed", note: errorSummary(e), retryable: code !== UNKNOWN_CHECKOUT_REQUEST_ID, rateLimited }
    }
  }

  /** Writes Daraja's final verdict for a push (from a query, or a callback confirmed by one). */
  async applyFinalResult(
    tx: LedgerRow,
    result: { resultCode: string; resultDesc: string; confirmedBy: string; checkoutRequestId?: string },
    paid: Omit<SettlementPatch, "result_code" | "result_desc" | "confirmed_by"> = {}
  ): Promise<{ row: LedgerRow; captured: boolean } | null> {
    const now = this.ctx.now()
    const info = describeResultCode(result.resultCode)
    const ids = result.checkoutRequestId && !tx.checkout_request_id ? { checkout_request_id: result.checkoutRequestId } : {}
    if (info.state === "paid") {
      const settled = await this.settlePaid(tx, {
        ...ids,
        customer_message: MESSAGES.paid(paid.mpesa_receipt_number ?? null),
        paid_amount: tx.amount,
        ...paid,
        result_code: info.code,
        result_desc: result.resultDesc,
        confirmed_by: result.confirmedBy,
      })
      return settled ? { row: settled.row, captured: settled.captured } : null
    }
    const won = await this.ctx.settlements.transition(
      tx.id,
      info.state,
      {
        ...ids,
        result_code: info.code,
        result_desc: result.resultDesc,
        customer_message: info.customerMessage,
        confirmed_by: result.confirmedBy,
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

  private async settlePaid(tx: LedgerRow, patch: SettlementPatch): Promise<PaidSettlement | null> {
    const settled = await this.ctx.settlements.settlePaid(tx.id, patch, this.ctx.now())
    if (!settled) {
      return null
    }
    if (settled.superseded) {
      this.ctx.logger.info(
        `M-Pesa: payment on an earlier prompt (${tx.id}) took over session ${settled.row.payment_session_id} from ${settled.superseded.id}, whose cart still costs KES ${tx.amount}`
      )
    }
    if (settled.captured) {
      await this.ctx.emit(MPESA_PAYMENT_CAPTURED, settled.row.id)
    } else {
      this.ctx.logger.warn(
        `M-Pesa: KES ${tx.amount} paid on ${tx.id} with no open session of a cart costing that amount; kept as an unmatched payment`
      )
    }
    return settled
  }

  /**
   * The poller's work on one claimed pending row: query, settle, or plan the
   * next query (bounded back-off, never past expiry, never beyond the budget),
   * or expire it once its time is up.
   */
  async settleByQuery(row: LedgerRow): Promise<"settled" | "pending" | "expired" | "rate_limited" | "error"> {
    const config = this.ctx.config()
    const now = this.ctx.now()
    const answer = await this.query(row)
    if (answer.status === "completed") {
      const settled = await this.applyFinalResult(row, { ...answer, confirmedBy: "query" })
      return settled ? "settled" : "pending"
    }
    const expired = now >= new Date(row.expires_at)
    const noMoreQueries =
      answer.status === "budget_spent" ||
      (answer.status === "failed" && !answer.retryable) ||
      row.query_attempts + 1 >= config.maxQueriesPerPush
    if (expired) {
      const won = await this.ctx.settlements.transition(
        row.id,
        "expired",
        { customer_message: MESSAGES.expiredByTimer, settled_at: now, next_query_at: null },
        now
      )
      if (won) {
        await this.ctx.emit(MPESA_PAYMENT_FAILED, won.id)
      }
      return won ? "expired" : "pending"
    }
    let next: number | null
    if (noMoreQueries) {
      // No query left (or Daraja does not know the id): the expiry sweep ends it; a callback still can.
      next = null
    } else if (answer.status === "failed" && answer.rateLimited) {
      next = now.getTime() + config.rateLimitBackoffMs
    } else {
      // Back off 1x, 2x, 3x … the configured step; the last query lands at expiry.
      next = now.getTime() + config.queryBackoffMs * Math.max(1, row.query_attempts + 1)
    }
    const expiry = new Date(row.expires_at).getTime()
    await this.ctx.ledger.patch(row.id, { next_query_at: next === null ? null : new Date(Math.min(next, expiry)) }, now)
    if (answer.status === "failed") {
      return answer.rateLimited ? "rate_limited" : "error"
    }
    return "pending"
  }
}
