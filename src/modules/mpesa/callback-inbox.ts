import { parseResultCallback, parseStkCallback, type StkCallback } from "../../lib/daraja"
import type { CallbackApplication } from "./callback-application"
import type { ResultInboxKind } from "./callbacks/result-url"
import type { RefundResultApplication } from "./refunds/result-application"
import type { SettlementContext } from "./settlement-context"
import type { CallbackOutcome } from "./types"

/**
 * The callback inbox: every callback is stored raw before it is
 * acknowledged, bound to the push its signed URL names, then applied under a
 * lease (the subscriber and the reconcile sweep never apply one twice at
 * once); a callback Daraja cannot confirm yet is re-checked later, a bounded
 * number of times.
 */
export class CallbackInbox {
  constructor(
    private readonly ctx: SettlementContext,
    private readonly application: CallbackApplication,
    private readonly results: RefundResultApplication
  ) {}

  /**
   * `id` is null when the callback was not stored: its URL already holds
   * maxCallbacksPerUrl callbacks (replays of a leaked URL). It is still
   * acknowledged, so Daraja stops retrying, and counted on the push.
   */
  async record(input: { payload: unknown; sourceIp: string | null; transactionId: string }): Promise<{ id: string | null; valid: boolean }> {
    let parsed: StkCallback | null = null
    let note: string | null = null
    try {
      parsed = parseStkCallback(input.payload)
    } catch (e) {
      note = e instanceof Error ? e.message : "unreadable callback"
    }
    const row = await this.ctx.callbacks.insertWithinLimit({
      payload: input.payload,
      source_ip: input.sourceIp,
      transaction_id: input.transactionId,
      checkout_request_id: parsed?.checkoutRequestId ?? null,
      merchant_request_id: parsed?.merchantRequestId ?? null,
      result_code: parsed?.resultCode ?? null,
      status: parsed ? "received" : "invalid",
      note,
      now: this.ctx.now(),
    }, this.ctx.config().maxCallbacksPerUrl)
    if (!row) await this.dropped(input.transactionId, "STK callback")
    return { id: row?.id ?? null, valid: !!parsed }
  }

  /**
   * Stores Daraja's asynchronous answer to one of our requests (Reversal or
   * Transaction Status result, or a queue timeout) before it is
   * acknowledged, bound to the request its signed Result URL names.
   */
  async recordResult(input: {
    payload: unknown
    sourceIp: string | null
    requestId: string
    kind: ResultInboxKind
  }): Promise<{ id: string | null; valid: boolean }> {
    let resultCode: string | null = null
    let note: string | null = null
    try {
      resultCode = parseResultCallback(input.payload).resultCode
    } catch (e) {
      note = e instanceof Error ? e.message : "unreadable result"
    }
    const request = await this.ctx.requests.findById(input.requestId)
    const row = await this.ctx.callbacks.insertWithinLimit({
      kind: input.kind,
      request_id: input.requestId,
      refund_id: request?.refund_id ?? null,
      payload: input.payload,
      source_ip: input.sourceIp,
      transaction_id: request?.transaction_id ?? null,
      checkout_request_id: null,
      merchant_request_id: null,
      result_code: resultCode,
      status: note ? "invalid" : "received",
      note,
      now: this.ctx.now(),
    }, this.ctx.config().maxCallbacksPerUrl)
    if (!row) await this.dropped(request?.transaction_id ?? null, `${input.kind} result for request ${input.requestId}`)
    return { id: row?.id ?? null, valid: !note }
  }

  /** Counts a callback dropped beyond maxCallbacksPerUrl; warns once per push (its first drop), never with the body. */
  private async dropped(transactionId: string | null, what: string): Promise<void> {
    const count = transactionId ? await this.ctx.ledger.countDroppedReplay(transactionId, this.ctx.now()) : null
    if (count === null || count === 1) {
      this.ctx.logger.warn(
        `M-Pesa: ${what} for ${transactionId ?? "an unknown push"} acknowledged but not stored: its URL already holds ` +
          `${this.ctx.config().maxCallbacksPerUrl} callbacks (maxCallbacksPerUrl), so it looks like a replay of a leaked URL. ` +
          "Further drops for this push are only counted (replays_dropped)."
      )
    }
  }

  /** Applies one stored callback; null when it is already processed or leased elsewhere. */
  async process(callbackId: string): Promise<CallbackOutcome | null> {
    const config = this.ctx.config()
    const decision = await this.ctx.callbacks.withLease(callbackId, this.ctx.now(), config.callbackLeaseMs, async (cb) => {
      const d = cb.kind === "stk" ? await this.application.apply(cb) : await this.results.apply(cb)
      const now = this.ctx.now()
      if (d.final) {
        await this.ctx.callbacks.finish(cb.id, d.status, d.note, now)
        if (d.status === "suspicious" || d.status === "unconfirmed") {
          this.ctx.logger.warn(`M-Pesa: ${d.status} callback ${cb.id}: ${d.note}`)
        }
      } else {
        // Bounded re-checks, spaced out: 1x, 2x, 3x … callbackRecheckMs.
        await this.ctx.callbacks.defer(cb.id, d.note, new Date(now.getTime() + config.callbackRecheckMs * (cb.attempts + 1)), now)
      }
      return d
    })
    if (!decision) {
      return null
    }
    return decision.final
      ? { status: decision.status, note: decision.note, transaction_id: decision.transaction_id, captured: decision.captured }
      : { status: "received", note: decision.note, transaction_id: decision.transaction_id, captured: false }
  }

  /** Applies what is still unprocessed for a push (e.g. a callback that beat the push's own answer). */
  async processPendingFor(transactionId: string): Promise<void> {
    const stored = await this.ctx.callbacks.list({ transactionId }, { take: 10, skip: 0 })
    for (const cb of stored.filter((c) => !c.processed_at)) {
      await this.process(cb.id)
    }
  }

  /** The sweep: callbacks due for a (re)check — restart recovery and deferred confirmations. */
  async processDue(limit: number): Promise<number> {
    const due = await this.ctx.callbacks.findDue(new Date(this.ctx.now().getTime() - 1_000), limit)
    let processed = 0
    for (const cb of due) {
      // null: another process took the lease between the read and now; not ours to count.
      if (await this.process(cb.id)) processed++
    }
    return processed
  }
}
