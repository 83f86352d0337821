import { MPESA_PAYMENT_CAPTURED } from "./events"
import type { SettlementContext } from "./settlement-context"
import type { PaidSettlement } from "./stores/ledger-settlement"
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
    return this.ctx.leases.claimCompletion(transactionId, now, this.ctx.config().completionLeaseMs)
  }

  due(limit: number): Promise<LedgerRow[]> {
    return this.ctx.leases.findDueForCompletion(this.ctx.now(), limit)
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

  /** Records a failed attempt of a payment by id (null: no such payment); warns when a person must look. */
  async failedById(transactionId: string, error: string): Promise<{ nextAttemptAt: string | null; needsAttention: boolean } | null> {
    const row = await this.ctx.ledger.findById(transactionId)
    if (!row) return null
    const r = await this.failed(row, error)
    if (r.needsAttention) {
      this.ctx.logger.warn(`M-Pesa: payment ${transactionId} is paid but has no order yet (needs attention): ${error}`)
    }
    return { nextAttemptAt: r.nextAttemptAt?.toISOString() ?? null, needsAttention: r.needsAttention }
  }

  /** Gives the completion lease back and makes the payment due at `at`, without counting an attempt. */
  async release(transactionId: string, at: Date): Promise<void> {
    await this.ctx.ledger.patch(transactionId, { completion_locked_until: null, next_completion_at: at }, this.ctx.now())
  }

  /** The paid push's session is gone: move the money to the cart's current session, or keep it unmatched. */
  rematch(transactionId: string): Promise<PaidSettlement | null> {
    return this.ctx.settlements.rematchPaid(transactionId, this.ctx.now())
  }

  /** `rematch`, then emits the capture again if the money moved to a session (its order is due). */
  async rematchAndAnnounce(transactionId: string): Promise<LedgerRow | null> {
    const settled = await this.rematch(transactionId)
    if (!settled) return null
    if (settled.captured) {
      await this.ctx.emit(MPESA_PAYMENT_CAPTURED, settled.row.id)
    } else {
      this.ctx.logger.warn(`M-Pesa: paid ${transactionId} lost its session before an order was created; kept as unmatched`)
    }
    return settled.row
  }
}
