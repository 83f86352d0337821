// The reconcile job's queries (pollDue + completions): the scans for open work and the writes that
// settle one push. See queries.js for the fields of each query.
"use strict"
const { oid, hcollection, hamount } = require("./data")

function reconcileQueries({ now, at, LIMIT, retriedK, j, L, T }) {
  return [
    // ---------------------------------------------------------------- the reconcile job (pollDue + completions)
    {
      name: "claimDue",
      src: L,
      expect: "open",
      call: (s) => s.ledger.claimDue(now, LIMIT, 30_000),
      sql: `update ${T} set "next_query_at" = $1, "updated_at" = $2 where "id" in (select "id" from ${T} where "deleted_at" is null and "status" = $3 and "next_query_at" is not null and "next_query_at" <= $4 order by "next_query_at" asc limit $5 for update skip locked) returning *`,
      params: [at(30_000), now, "pending", now, LIMIT],
    },
    {
      name: "expireDue",
      src: L,
      expect: "open",
      call: (s) => s.ledger.expireDue(now, "The M-Pesa prompt expired", LIMIT * 4),
      sql: `update ${T} set "status" = $1, "customer_message" = $2, "settled_at" = $3, "next_query_at" = $4, "updated_at" = $5 where "id" in (select "id" from ${T} where "deleted_at" is null and "status" in ($6, $7, $8) and "expires_at" <= $9 and (not "status" = $10 or "next_query_at" is null) limit $11) and "status" in ($12, $13, $14) returning *`,
      params: ["expired", "The M-Pesa prompt expired", now, null, now, "initiating", "pending", "indeterminate", now, "pending", LIMIT * 4, "initiating", "pending", "indeterminate"],
    },
    {
      name: "markStaleInitiating",
      src: L,
      expect: "open",
      call: (s) => s.ledger.markStaleInitiating(at(-45_000), now),
      sql: `update ${T} set "status" = $1, "updated_at" = $2 where "deleted_at" is null and "status" = $3 and "updated_at" < $4`,
      params: ["indeterminate", now, "initiating", at(-45_000)],
    },
    {
      name: "findDueForCompletion",
      src: L,
      expect: "open",
      call: (s) => s.ledger.findDueForCompletion(now, LIMIT),
      sql: `select * from ${T} where "deleted_at" is null and "status" = $1 and "unmatched" = $2 and "completed_at" is null and "next_completion_at" is not null and "next_completion_at" <= $3 order by "next_completion_at" asc limit $4`,
      params: ["paid", false, now, LIMIT],
    },
    {
      name: "claimCompletion",
      src: L,
      expect: "key",
      call: (s) => s.ledger.claimCompletion(oid(115), now, 120_000),
      sql: `update ${T} set "completion_locked_until" = $1, "next_completion_at" = $2 where "id" = $3 and "status" = $4 and "unmatched" = $5 and "deleted_at" is null and "completed_at" is null and "payment_session_id" is not null and ("completion_locked_until" is null or "completion_locked_until" < $6) returning *`,
      params: [at(120_000), at(120_000), oid(115), "paid", false, now],
    },
    {
      name: "claimForQuery",
      src: L,
      expect: "key",
      call: (s) => s.ledger.claimForQuery(oid(5), now, 30_000),
      sql: `update ${T} set "next_query_at" = $1, "updated_at" = $2 where "id" = $3 and "status" = $4 and "deleted_at" is null and "next_query_at" is not null and "next_query_at" <= $5 returning *`,
      params: [at(30_000), now, oid(5), "pending", now],
    },
    {
      name: "spendQuery",
      src: L,
      expect: "key",
      call: (s) => s.ledger.spendQuery(oid(5), 6, now),
      sql: `update ${T} set "query_attempts" = query_attempts + 1, "last_queried_at" = $1, "updated_at" = $2 where "id" = $3 and "query_attempts" < $4 returning *`,
      params: [now, now, oid(5), 6],
    },
    {
      name: "transition (-> canceled)",
      src: L,
      expect: "key",
      call: (s) =>
        s.ledger.transition(oid(5), "canceled", { result_code: "1032", result_desc: "Request cancelled by user", customer_message: "You cancelled the M-Pesa prompt", settled_at: now, next_query_at: null }, now),
      sql: `update ${T} set "result_code" = $1, "result_desc" = $2, "customer_message" = $3, "settled_at" = $4, "next_query_at" = $5, "status" = $6, "updated_at" = $7 where "id" = $8 and "deleted_at" is null and (("status" = $9) or ("status" = $10) or ("status" = $11)) returning *`,
      params: ["1032", "Request cancelled by user", "You cancelled the M-Pesa prompt", now, null, "canceled", now, oid(5), "initiating", "pending", "indeterminate"],
    },
    {
      name: "patch (bookkeeping)",
      src: L,
      expect: "key",
      call: (s) => s.ledger.patch(oid(5), { next_query_at: at(20_000) }, now),
      sql: `update ${T} set "next_query_at" = $1, "updated_at" = $2 where "id" = $3 returning *`,
      params: [at(20_000), now, oid(5)],
    },
    // settlePaid on a push whose session Medusa closed: the money looks for the collection's current session.
    {
      name: "settlePaid: lock row",
      src: L,
      expect: "key",
      setup: [`update ${T} set "session_closed_at" = now() where "id" = '${oid(retriedK)}'`],
      call: (s) => s.ledger.settlePaid(oid(retriedK), { mpesa_receipt_number: "RX00000001", paid_amount: hamount(j) }, now),
      pick: "for update",
      sql: `select * from ${T} where "id" = $1 and "deleted_at" is null limit $2 for update`,
      params: [oid(retriedK), 1],
    },
    {
      name: "settlePaid: ownerForMoney successor",
      src: L,
      expect: "open",
      setup: [`update ${T} set "session_closed_at" = now() where "id" = '${oid(retriedK)}'`],
      call: (s) => s.ledger.settlePaid(oid(retriedK), { mpesa_receipt_number: "RX00000001", paid_amount: hamount(j) }, now),
      pick: '"payment_collection_id" =',
      sql: `select * from ${T} where "payment_collection_id" = $1 and "amount" = $2 and not "id" = $3 and not "status" = $4 and "payment_session_id" is not null and "session_closed_at" is null and "completed_at" is null and "deleted_at" is null order by "created_at" desc limit $5 for update`,
      params: [hcollection(j), hamount(j), oid(retriedK), "paid", 1],
      fix: `CREATE INDEX IF NOT EXISTS "IDX_mpesa_transaction_successor" ON "mpesa_transaction" ("payment_collection_id", "amount") WHERE status in ('initiating', 'pending', 'indeterminate') and payment_session_id is not null and session_closed_at is null and deleted_at is null;`,
      fixNote:
        "open rows only if ownerForMoney also requires status in ('initiating','pending','indeterminate'): as written, a failed/canceled/expired push whose session is still open (an abandoned cart's last push) is a candidate, and those accumulate with history. For the query as written the tightest index is " +
        `CREATE INDEX IF NOT EXISTS "IDX_mpesa_transaction_successor" ON "mpesa_transaction" ("payment_collection_id", "amount") WHERE status <> 'paid' and payment_session_id is not null and session_closed_at is null and completed_at is null and deleted_at is null;` +
        " (it drops paid and session-closed history but keeps abandoned carts' last pushes)",
    },
    {
      name: "settlePaid: final write",
      src: L,
      expect: "key",
      setup: [`update ${T} set "session_closed_at" = now() where "id" = '${oid(retriedK)}'`],
      call: (s) => s.ledger.settlePaid(oid(retriedK), { mpesa_receipt_number: "RX00000001", paid_amount: hamount(j) }, now),
      pick: '"unmatched" =',
      sql: `update ${T} set "mpesa_receipt_number" = $1, "paid_amount" = $2, "status" = $3, "payment_session_id" = $4, "session_closed_at" = $5, "unmatched" = $6, "settled_at" = $7, "next_query_at" = $8, "next_completion_at" = $9, "updated_at" = $10 where "id" = $11 returning *`,
      params: ["RX00000001", hamount(j), "paid", null, now, true, now, null, null, now, oid(retriedK)],
    },
    {
      name: "recordReceipt",
      src: L,
      expect: "key",
      call: (s) =>
        s.ledger.recordReceipt(oid(115), { mpesa_receipt_number: "RX00000002", paid_phone: "254708374149", transaction_date: "20261129120000", customer_message: "Payment received" }, now),
      sql: `update ${T} set "mpesa_receipt_number" = $1, "paid_phone" = $2, "transaction_date" = $3, "customer_message" = $4, "updated_at" = $5 where "id" = $6 and "status" = $7 and "mpesa_receipt_number" is null returning *`,
      params: ["RX00000002", "254708374149", "20261129120000", "Payment received", now, oid(115), "paid"],
    },
    {
      name: "flag",
      src: L,
      expect: "key",
      call: (s) => s.ledger.flag(oid(115), "a second, different receipt was reported for this payment", now),
      sql: `update ${T} set "attention_reason" = $1, "attention_at" = coalesce(attention_at, $2), "updated_at" = $3 where "id" = $4`,
      params: ["a second, different receipt was reported for this payment", now, now, oid(115)],
    },
  ]
}

module.exports = { reconcileQueries }
