import { generateEntityId } from "@medusajs/framework/utils"
import type { DarajaRequestPurpose, DarajaRequestRow, Knex } from "../types"
import { requestTable } from "./tables"


/**
 * The only SQL that writes mpesa_daraja_request: our asynchronous Daraja
 * requests and the conversation ids Daraja gave them. Each change is a
 * guarded update from the state it expects, so a late acknowledgement or a
 * duplicate answer changes nothing.
 */
export class RequestStore {
  constructor(private readonly db: () => Knex) {}

  private table(trx?: Knex) {
    return requestTable(trx ?? this.db()).whereNull("deleted_at")
  }

  /** Written before the call, so the Result URL that names it exists before Daraja can use it. */
  async open(input: {
    purpose: DarajaRequestPurpose
    transactionId: string
    refundId?: string | null
    receipt?: string | null
    requestedBy?: string | null
    now: Date
  }): Promise<DarajaRequestRow> {
    const [row] = await requestTable(this.db())
      .insert({
        id: generateEntityId(undefined, "mpesarq"),
        purpose: input.purpose,
        status: "sent",
        transaction_id: input.transactionId,
        refund_id: input.refundId ?? null,
        receipt: input.receipt ?? null,
        requested_by: input.requestedBy ?? null,
        created_at: input.now,
        updated_at: input.now,
      })
      .returning("*")
    return row
  }

  async findById(id: string): Promise<DarajaRequestRow | null> {
    return ((await this.table().where({ id }).first())) ?? null
  }

  /** The newest receipt check of a payment (the admin's "Add receipt"). */
  async latestReceiptCheck(transactionId: string): Promise<DarajaRequestRow | null> {
    return (
      ((await this.table()
        .where({ transaction_id: transactionId, purpose: "receipt_status" })
        .orderBy("created_at", "desc")
        .first())) ?? null
    )
  }

  /** Daraja accepted the request: the ids its answer must carry. */
  async accept(id: string, ids: { originator_conversation_id: string; conversation_id: string }, now: Date): Promise<DarajaRequestRow | null> {
    const rows = await requestTable(this.db())
      .where({ id, status: "sent" })
      .update({ ...ids, status: "accepted", updated_at: now })
      .returning("*")
    return (rows[0]) ?? null
  }

  /** Refused by Daraja, or its answer lost: no result for it will ever be applied. */
  async fail(id: string, reason: string, now: Date): Promise<DarajaRequestRow | null> {
    const rows = await requestTable(this.db())
      .where({ id })
      .whereIn("status", ["sent", "accepted"])
      .update({ status: "failed", reason: reason.slice(0, 500), answered_at: now, updated_at: now })
      .returning("*")
    return (rows[0]) ?? null
  }

  /** The first matching answer; a later one finds the row answered and changes nothing. */
  async answer(
    id: string,
    patch: Partial<Pick<DarajaRequestRow, "result_code" | "result_desc" | "outcome" | "reason">>,
    now: Date
  ): Promise<DarajaRequestRow | null> {
    const rows = await requestTable(this.db())
      .where({ id, status: "accepted" })
      .update({ ...patch, reason: patch.reason?.slice(0, 500) ?? null, status: "answered", answered_at: now, updated_at: now })
      .returning("*")
    return (rows[0]) ?? null
  }
}
