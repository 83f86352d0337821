import type { Knex, LedgerRow, LedgerStatus } from "../types"
import { canTransition, transitionsInto } from "./ledger-transitions"
import { ledgerTable } from "./tables"

/** Fields a status change may set alongside the status. */
export type SettlementPatch = Partial<
  Pick<
    LedgerRow,
    | "checkout_request_id"
    | "merchant_request_id"
    | "result_code"
    | "result_desc"
    | "customer_message"
    | "mpesa_receipt_number"
    | "paid_amount"
    | "paid_phone"
    | "transaction_date"
    | "confirmed_by"
  >
>

export type PaidSettlement = {
  row: LedgerRow
  /** this call moved the row into `paid` for an open session (exactly one caller sees it) */
  captured: boolean
  /** the push whose session this money took over (its prompt may still be paid: then it is unmatched) */
  superseded: LedgerRow | null
}

/**
 * The ledger's status changes: every one through LEDGER_TRANSITIONS as a
 * conditional UPDATE, and the final "paid" write deciding matched / moved /
 * unmatched from the row as it is under a lock at that moment, never from a
 * copy read earlier.
 */
export class LedgerSettlement {
  constructor(private readonly db: () => Knex) {}

  private table(trx?: Knex) {
    return ledgerTable(trx ?? this.db()).whereNull("deleted_at")
  }

  /**
   * Moves a row into `to` if LEDGER_TRANSITIONS allows it from its current
   * status; returns the row only if this call won. Not for `paid`: see settlePaid.
   */
  async transition(
    id: string,
    to: Exclude<LedgerStatus, "paid" | "initiating">,
    patch: SettlementPatch & Pick<Partial<LedgerRow>, "settled_at" | "next_query_at">,
    now: Date
  ): Promise<LedgerRow | null> {
    const allowed = transitionsInto(to)
    const rows = await ledgerTable(this.db())
      .where({ id })
      .whereNull("deleted_at")
      .where((q) => {
        for (const t of allowed) {
          q.orWhere((w) => {
            w.where("status", t.from)
            if (t.guard) w.whereRaw(t.guard)
          })
        }
      })
      .update({ ...patch, status: to, updated_at: now })
      .returning("*")
    return (rows[0]) ?? null
  }

  /**
   * The final write for money that moved. Under a row lock, from the row as it
   * is now: an open session gets the payment; a push whose session is gone
   * moves onto the payment collection's current session if the cart still
   * costs exactly this amount and that session's own push is not paid (that
   * push is detached: if it is paid too, it becomes unmatched); otherwise the
   * money is kept as unmatched. Throws a unique violation if the receipt
   * already belongs to another push (nothing is written then).
   */
  async settlePaid(id: string, patch: SettlementPatch, now: Date): Promise<PaidSettlement | null> {
    return this.db().transaction(async (trx) => {
      const row = (await ledgerTable(trx).where({ id }).whereNull("deleted_at").forUpdate().first())
      if (!row || !canTransition(row, "paid")) {
        return null
      }
      const owner = await this.ownerForMoney(trx, row, now)
      const [won] = (await ledgerTable(trx)
        .where({ id })
        .update({
          ...patch,
          ...ownership(row, owner.sessionId, now),
          status: "paid",
          settled_at: now,
          next_query_at: null,
        })
        .returning("*"))
      return { row: won, captured: !!owner.sessionId, superseded: owner.superseded }
    })
  }

  /**
   * A paid push whose session vanished before its order was created (the cart
   * changed, Medusa deleted the session): decide again, like settlePaid, where
   * the money belongs — another open session of a cart that still costs it, or
   * unmatched.
   */
  async rematchPaid(id: string, now: Date): Promise<PaidSettlement | null> {
    return this.db().transaction(async (trx) => {
      const row = (await ledgerTable(trx).where({ id, status: "paid" }).whereNull("deleted_at").whereNull("completed_at").forUpdate().first())
      if (!row || row.unmatched) {
        return null
      }
      const owner = await this.ownerForMoney(trx, { ...row, session_closed_at: row.session_closed_at ?? now }, now)
      const [won] = (await ledgerTable(trx)
        .where({ id })
        .update({ ...ownership(row, owner.sessionId, now), completion_locked_until: null })
        .returning("*"))
      return { row: won, captured: !!owner.sessionId, superseded: owner.superseded }
    })
  }

  private async ownerForMoney(
    trx: Knex,
    row: LedgerRow,
    now: Date
  ): Promise<{ sessionId: string | null; superseded: LedgerRow | null }> {
    if (row.payment_session_id && !row.session_closed_at) {
      return { sessionId: row.payment_session_id, superseded: null }
    }
    if (!row.payment_collection_id) {
      return { sessionId: null, superseded: null }
    }
    const successor = (await ledgerTable(trx)
      .where({ payment_collection_id: row.payment_collection_id, amount: row.amount })
      .whereNot({ id: row.id })
      .whereNot("status", "paid")
      .whereNotNull("payment_session_id")
      .whereNull("session_closed_at")
      .whereNull("completed_at")
      .whereNull("deleted_at")
      .orderBy("created_at", "desc")
      .forUpdate()
      .first())
    if (!successor) {
      return { sessionId: null, superseded: null }
    }
    await ledgerTable(trx)
      .where({ id: successor.id })
      .update({ payment_session_id: null, session_closed_at: now, updated_at: now })
    return { sessionId: successor.payment_session_id, superseded: successor }
  }
}

/**
 * Who owns paid money after a decision: the session it goes to (its order is
 * due now), or nobody (unmatched, kept with the time its session closed).
 */
function ownership(row: LedgerRow, sessionId: string | null, now: Date) {
  return {
    payment_session_id: sessionId,
    session_closed_at: sessionId ? null : row.session_closed_at ?? now,
    unmatched: !sessionId,
    next_completion_at: sessionId ? now : null,
    updated_at: now,
  }
}
