import type { Knex, LedgerRow } from "../types"
import { ledgerTable } from "./tables"

/**
 * The ledger writes the money desk makes (refunds/money-desk.ts) inside its
 * transaction, under its row lock — refunded amounts, refund holds, attach
 * requests and their take-over — and the lookups its rules need.
 */
export class LedgerDeskStore {
  constructor(private readonly db: () => Knex) {}

  private table(trx?: Knex) {
    return ledgerTable(trx ?? this.db()).whereNull("deleted_at")
  }

  /**
   * Locks a payment's row for a decision about its money (the desk's first
   * lock; refund rows come second). Returns the row as it is now.
   */
  async lockForDecision(trx: Knex, id: string): Promise<LedgerRow | null> {
    return ((await ledgerTable(trx).where({ id }).whereNull("deleted_at").forUpdate().first())) ?? null
  }

  /** Adds a completed refund to the payment's refunded amount (inside the desk's transaction, once per refund). */
  async addRefunded(trx: Knex, id: string, amount: number, now: Date): Promise<void> {
    await ledgerTable(trx)
      .where({ id })
      .update({ refunded_amount: trx.raw("refunded_amount + ?", [amount]), updated_at: now })
  }

  /**
   * A refund was opened for money that has no order: no order may be made
   * from it any more (the completion sweep and claim skip held rows).
   */
  async holdForRefund(trx: Knex, id: string, now: Date): Promise<void> {
    await ledgerTable(trx)
      .where({ id })
      .whereNull("completed_at")
      .update({ refund_hold_at: trx.raw("coalesce(refund_hold_at, ?)", [now]), next_completion_at: null, updated_at: now })
  }

  /** Records an admin's request to attach unmatched money to a payment collection (the desk allowed it). */
  async setAttachRequest(trx: Knex, id: string, collectionId: string, actor: string, now: Date): Promise<LedgerRow> {
    const [row] = (await ledgerTable(trx)
      .where({ id })
      .update({ attach_collection_id: collectionId, attach_requested_by: actor, attach_requested_at: now, updated_at: now })
      .returning("*"))
    return row
  }

  /** The unmatched payment an admin attached to this collection, for a session of this amount (not locked; the desk re-checks). */
  async findAttachedTo(collectionId: string, amount: number): Promise<LedgerRow | null> {
    return (
      ((await this.table()
        .where({ attach_collection_id: collectionId, status: "paid", unmatched: true, amount })
        .whereNull("completed_at")
        .orderBy("attach_requested_at", "asc")
        .first())) ?? null
    )
  }

  /**
   * The new session takes the attached money: the row becomes the session's
   * paid payment and its order is due now (the desk checked, under the lock,
   * that nothing of it went back and the request still holds).
   */
  async takeAttachedLocked(trx: Knex, id: string, sessionId: string, now: Date): Promise<LedgerRow> {
    const [row] = (await ledgerTable(trx)
      .where({ id })
      .update({
        payment_session_id: sessionId,
        payment_collection_id: trx.raw("attach_collection_id"),
        unmatched: false,
        session_closed_at: null,
        attach_collection_id: null,
        attach_requested_at: null,
        attached_at: now,
        refund_hold_at: null,
        next_completion_at: now,
        completion_locked_until: null,
        completion_attempts: 0,
        updated_at: now,
      })
      .returning("*"))
    return row
  }

  /** Withdraws an attach request that did not go through (the session could not be created). */
  async cancelAttach(id: string, now: Date): Promise<void> {
    await ledgerTable(this.db())
      .where({ id })
      .whereNotNull("attach_collection_id")
      .update({ attach_collection_id: null, attach_requested_at: null, updated_at: now })
  }

  /**
   * The order Medusa made for a payment collection, if it exists now: through
   * its cart (cart_payment_collection -> order_cart) or the order it belongs
   * to (order_payment_collection). Reads Medusa's link tables directly: the
   * module has no access to Medusa's query, and links an order rollback
   * dismissed (or an order it deleted) do not count.
   */
  async medusaOrderForCollection(collectionId: string): Promise<string | null> {
    const db = this.db()
    const viaCart = await db("cart_payment_collection as cpc")
      .join("order_cart as oc", "oc.cart_id", "cpc.cart_id")
      .join("order as o", "o.id", "oc.order_id")
      .where("cpc.payment_collection_id", collectionId)
      .whereNull("cpc.deleted_at")
      .whereNull("oc.deleted_at")
      .whereNull("o.deleted_at")
      .first("o.id")
    if (viaCart) return (viaCart as { id: string }).id
    const viaOrder = await db("order_payment_collection as opc")
      .join("order as o", "o.id", "opc.order_id")
      .where("opc.payment_collection_id", collectionId)
      .whereNull("opc.deleted_at")
      .whereNull("o.deleted_at")
      .first("o.id")
    return (viaOrder as { id: string } | undefined)?.id ?? null
  }
}
