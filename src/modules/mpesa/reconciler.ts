import { MESSAGES } from "./customer-messages"
import type { CallbackInbox } from "./callback-inbox"
import { MPESA_PAYMENT_FAILED } from "./events"
import type { QuerySettlement } from "./query-settlement"
import type { SettlementContext } from "./settlement-context"
import type { LedgerRow } from "./types"
import type { PollSummary } from "./types"


/**
 * The fallback for lost callbacks and crashes: status queries for overdue
 * pushes (one worker per row, bounded per push), expiry, and the callback
 * sweep. Every query it runs is served by a partial index over open rows, so
 * its cost does not grow with history.
 */
export class Reconciler {
  constructor(
    private readonly ctx: SettlementContext,
    private readonly settlement: QuerySettlement,
    private readonly inbox: CallbackInbox
  ) {}

  async pollDue(limit = 25): Promise<PollSummary> {
    const config = this.ctx.config()
    const now = this.ctx.now()
    const summary: PollSummary = { queried: 0, settled: 0, expired: 0, callbacksRetried: 0, rateLimited: false }

    await this.ctx.leases.markStaleInitiating(new Date(now.getTime() - config.requestTimeoutMs - 30_000), now)
    const expired = await this.ctx.leases.expireDue(now, MESSAGES.expiredByTimer, limit * 4)
    summary.expired += expired.length
    for (const row of expired) {
      await this.ctx.emit(MPESA_PAYMENT_FAILED, row.id)
    }

    summary.callbacksRetried = await this.inbox.processDue(limit * 2)

    for (const row of await this.ctx.leases.claimDue(now, limit, config.queryLeaseMs)) {
      const result = await this.settlement.settleByQuery(row)
      summary.queried++
      if (result === "settled") summary.settled++
      if (result === "expired") summary.expired++
      if (result === "rate_limited") {
        summary.rateLimited = true
        break // Spike arrest: leave the rest leased; they come back after the lease.
      }
    }
    return summary
  }

  /** One status query now for a pending push whose callback is overdue (authorizePayment); at most one per lease. */
  async refreshIfOverdue(row: LedgerRow): Promise<void> {
    if (row.status !== "pending") {
      return
    }
    const claimed = await this.ctx.leases.claimForQuery(row.id, this.ctx.now(), this.ctx.config().queryLeaseMs)
    if (claimed) {
      await this.settlement.settleByQuery(claimed)
    }
  }
}
