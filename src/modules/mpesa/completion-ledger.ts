import type { SettlementContext } from "./settlement-context"
import type { PaidSettlement } from "./stores/ledger-store"
import type { LedgerRow } from "./types"

/**
 * The module's side of turning paid money into a Medusa order: who may run
 * the completion now (a lease), when to try again (exponential back-off for
 * hours, never a fixed small number of tries), and when a person should look.
 */
export class CompletionLedger {
  constructor(private readonly ctx: SettlementContext) {}

  claim(transactionId: string): Promise<LedgerRow | null> {
    const now = this.ctx.now()
    return this.ctx.ledger.claimCompletion(transactionId, now, this.ctx.config().completionLeaseMs)
  }

  due(limit: number): Promise<LedgerRow[]> {
    return this.ctx.ledger.findDueForCompletion(this.ctx.now(), limit)
  }

  async completed(transactionId: string): Promise<void> {
    await this.ctx.ledger.markCompleted(transactionId, this.ctx.now())
  }

  /** Records a failed attempt and schedules the next one: base × 2^(n-1), capped, until the give-up horizon. */
  async failed(row: LedgerRow, error: string): Promise<{ nextAttemptAt: Date | null; needsAttention: boolean }> {
    const config = this.ctx.config()
    const now = this.ctx.now()
    const attempts = row.completion_attempts + 1
    const delay = Math.min(config.completionRetryBaseMs * 2 ** Math.min(attempts - 1, 20), config.completionRetryMaxMs)
    const settledAt = row.settled_at ? new Date(row.settled_at).getTime() : now.getTime()
    const giveUp = now.getTime() + delay > settledAt + config.completionGiveUpMs
    const nextAttemptAt = giveUp ? null : new Date(now.getTime() + delay)
    const needsAttention = giveUp || attempts >= config.completionAttentionAfter
    await this.ctx.ledger.patch(
      row.id,
      {
        completion_attempts: attempts,
        completion_error: error.slice(0, 500),
        completion_locked_until: null,
        next_completion_at: nextAttemptAt,
        ...(needsAttention
          ? {
              attention_reason: giveUp
                ? `paid, but no order after ${attempts} attempts; automatic retries stopped: ${error}`.slice(0, 500)
                : `paid, but no order yet after ${attempts} attempts (retrying): ${error}`.slice(0, 500),
              attention_at: row.attention_at ?? now,
            }
          : {}),
      },
      now
    )
    return { nextAttemptAt, needsAttention }
  }

  /** The paid push's session is gone: move the money to the cart's current session, or keep it unmatched. */
  rematch(transactionId: string): Promise<PaidSettlement | null> {
    return this.ctx.ledger.rematchPaid(transactionId, this.ctx.now())
  }
}
