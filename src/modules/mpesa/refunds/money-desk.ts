import { MedusaError } from "@medusajs/framework/utils"
import type { LedgerDeskStore } from "../stores/ledger-desk-store"
import type { RefundResultPatch, RefundStore } from "../stores/refund-store"
import type { Knex, LedgerRow, RefundRow } from "../types"
import {
  attachInProgress,
  attachRule,
  liveReversal,
  medusaRefundRule,
  outsideRule,
  paidAmount,
  reverseRule,
  type DeskRefusal,
  type DeskState,
} from "./desk-rules"

export type RefundOpening =
  | { kind: "created"; refund: RefundRow; payment: LedgerRow }
  | { kind: "existing"; refund: RefundRow; payment: LedgerRow }

export type ReversalAsk =
  | { by: "admin"; actor: string; note: string | null }
  | { by: "medusa"; amount: number }

/**
 * One decision per shilling. Every action that spends a payment's money —
 * a reversal (admin or Medusa's Refund / Cancel), a refund recorded as made
 * outside, attaching unmatched money to a cart or an order, a refund's
 * completion — runs here in one transaction that locks the payment's ledger
 * row first and its refund rows second (always that order, so two decisions
 * never deadlock), then decides with desk-rules.ts from the rows as they are
 * at that moment and writes through each table's own store. Two admin tabs,
 * a retried request, a worker and a server at once are decided one after
 * the other; the loser gets what already happened, in words.
 */
export class MoneyDesk {
  constructor(
    private readonly db: () => Knex,
    private readonly ledger: LedgerDeskStore,
    private readonly refunds: RefundStore,
    private readonly now: () => Date
  ) {}

  /** Runs `decide` with the payment and its refunds locked; throws NOT_FOUND for an unknown payment. */
  private async locked<T>(transactionId: string, decide: (trx: Knex, state: DeskState) => Promise<T>): Promise<T> {
    return this.db().transaction(async (trx) => {
      const payment = await this.ledger.lockForDecision(trx, transactionId)
      if (!payment) throw new MedusaError(MedusaError.Types.NOT_FOUND, `M-Pesa payment ${transactionId} was not found`)
      const refunds = await this.refunds.lockForPayment(trx, transactionId)
      return decide(trx, { payment, refunds, now: this.now() })
    })
  }

  /**
   * Opens the payment's reversal, or returns the one already on its way or
   * done (Daraja reverses a receipt once; we never send a second). Refusals
   * throw with the reason.
   */
  async openReversal(transactionId: string, ask: ReversalAsk, checkAt: Date): Promise<RefundOpening> {
    return this.locked(transactionId, async (trx, state) => {
      const amount = ask.by === "medusa" ? ask.amount : paidAmount(state.payment)
      refuse(ask.by === "medusa" ? medusaRefundRule(state, amount) : reverseRule(state))
      const existing = liveReversal(state.refunds)
      if (existing) return { kind: "existing", refund: existing, payment: state.payment }
      const refund = await this.refunds.insert(
        trx,
        {
          transactionId,
          kind: "reversal",
          status: "sending",
          amount,
          requestedBy: ask.by === "medusa" ? "medusa" : ask.actor,
          note: ask.by === "admin" ? ask.note : null,
          medusaPaymentId: null,
          checkAt,
        },
        state.now
      )
      await this.ledger.holdForRefund(trx, transactionId, state.now)
      return { kind: "created", refund, payment: state.payment }
    })
  }

  /**
   * Records money the merchant returned outside the plugin. `viaMedusa`: the
   * row waits in `sending` until Medusa's refund flow records it on the order
   * (the provider completes it); otherwise it is completed at once.
   */
  async openOutside(input: {
    transactionId: string
    amount: number
    note: string
    requestedBy: string
    viaMedusa: boolean
    medusaPaymentId: string | null
  }): Promise<RefundRow> {
    return this.locked(input.transactionId, async (trx, state) => {
      refuse(outsideRule(state, input.amount, input.note))
      const refund = await this.refunds.insert(
        trx,
        {
          transactionId: input.transactionId,
          kind: "outside",
          status: input.viaMedusa ? "sending" : "completed",
          amount: input.amount,
          requestedBy: input.requestedBy,
          note: input.note,
          medusaPaymentId: input.medusaPaymentId,
        },
        state.now
      )
      if (!input.viaMedusa) await this.ledger.addRefunded(trx, input.transactionId, input.amount, state.now)
      await this.ledger.holdForRefund(trx, input.transactionId, state.now)
      return refund
    })
  }

  /** Settles a refund as done and adds it to the payment's refunded amount, once (a guarded transition). */
  async completeRefund(refundId: string, patch: RefundResultPatch, at?: Date): Promise<RefundRow | null> {
    const refund = await this.refunds.findById(refundId)
    if (!refund) return null
    return this.locked(refund.transaction_id, async (trx, state) => {
      const now = at ?? state.now
      const done = await this.refunds.markCompleted(trx, refundId, patch, now)
      if (done) await this.ledger.addRefunded(trx, done.transaction_id, done.amount, now)
      return done
    })
  }

  /** An admin asks to attach unmatched money to a payment collection; the next session created there takes it. */
  async requestAttach(transactionId: string, collectionId: string, actor: string): Promise<LedgerRow> {
    return this.locked(transactionId, async (trx, state) => {
      refuse(attachRule(state, collectionId))
      return this.ledger.setAttachRequest(trx, transactionId, collectionId, actor, state.now)
    })
  }

  /**
   * A new payment session of a collection an admin attached money to takes
   * that money instead of sending a prompt — only if, under the lock, the
   * request still holds and nothing of the money went back meanwhile.
   */
  async takeAttached(collectionId: string, sessionId: string, amount: number): Promise<LedgerRow | null> {
    const candidate = await this.ledger.findAttachedTo(collectionId, amount)
    if (!candidate) return null
    return this.locked(candidate.id, async (trx, state) => {
      const { payment } = state
      if (payment.attach_collection_id !== collectionId || !attachInProgress(payment, state.now)) return null
      if (attachRule(state, collectionId) || payment.amount !== amount || payment.refunded_amount !== 0) return null
      return this.ledger.takeAttachedLocked(trx, payment.id, sessionId, state.now)
    })
  }
}

/**
 * Every refusal is NOT_ALLOWED (HTTP 400) with our words: Medusa's error
 * handler answers a CONFLICT with a generic "conflicted with another request"
 * and drops the message, and the admin needs to read what already happened.
 */
function refuse(refusal: DeskRefusal | null): void {
  if (refusal) throw new MedusaError(MedusaError.Types.NOT_ALLOWED, refusal.refused)
}
