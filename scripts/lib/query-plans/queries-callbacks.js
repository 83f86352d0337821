// The callback path's and the session hooks' queries: unique-key probes that must find settled rows
// too (a late or duplicate callback), the callback inbox, and a new session's lookups. See
// queries.js for the fields of each query.
"use strict"
const { oid, osession, ocheckout, hid, hsession, hcheckout, hcollection, hphone, hamount, cbid } = require("./data")

function callbackQueries({ now, at, LIMIT, histRow, histFailed, j, L, C, T }) {
  const reattachIndex = `CREATE INDEX IF NOT EXISTS "IDX_mpesa_transaction_reattach" ON "mpesa_transaction" ("payment_collection_id", "phone", "amount") WHERE status in ('pending', 'indeterminate') and deleted_at is null;`
  // A unique-key probe of the ledger (LedgerStore.findById / findBySession / findByCheckoutRequestId).
  const lookup = (name, method, column, value) => ({
    name,
    src: L,
    expect: "key",
    call: (s) => s.ledger[method](value),
    sql: `select * from ${T} where "deleted_at" is null and "${column}" = $1 limit $2`,
    params: [value, 1],
  })
  // A new session's one lookup: its own push, or an open push of the same cart to re-attach to.
  const initiationLookup = (name, row) => ({
    name,
    src: L,
    expect: "open",
    call: (s) =>
      s.ledger.findForInitiation({ sessionId: "payses_new_bench", paymentCollectionId: hcollection(row), phone: hphone(row), amount: hamount(row), now }),
    sql: `select * from ${T} where "deleted_at" is null and ("payment_session_id" = $1 or ("payment_collection_id" = $2 and "phone" = $3 and "amount" = $4 and "status" in ($5, $6) and "completed_at" is null and "expires_at" > $7)) order by "created_at" desc limit $8`,
    params: ["payses_new_bench", hcollection(row), hphone(row), hamount(row), "pending", "indeterminate", now, 5],
    fix: reattachIndex,
  })
  return [
    // ---------------------------------------------------------------- the callback path and session hooks
    lookup("findById (settled row)", "findById", "id", hid(histRow)),
    lookup("findById (open row)", "findById", "id", oid(5)),
    lookup("findByCheckoutRequestId", "findByCheckoutRequestId", "checkout_request_id", hcheckout(histRow)),
    lookup("findBySession (settled)", "findBySession", "payment_session_id", hsession(histRow)),
    lookup("findBySession (open)", "findBySession", "payment_session_id", osession(5)),
    initiationLookup("findForInitiation (own session, or open push to re-attach)", j),
    initiationLookup("findForInitiation (abandoned cart)", histFailed),
    {
      name: "reattach",
      src: L,
      expect: "key",
      call: (s) => s.ledger.reattach(oid(5), osession(5), "payses_new000001", now),
      sql: `update ${T} set "payment_session_id" = $1, "session_closed_at" = $2, "updated_at" = $3 where "id" = $4 and "deleted_at" is null and "status" in ($5, $6) and "payment_session_id" = $7 returning *`,
      params: ["payses_new000001", null, now, oid(5), "pending", "indeterminate", osession(5)],
    },
    {
      // Every new payment session asks whether an admin attached unmatched money to its collection.
      name: "takeAttached",
      src: L,
      expect: "key",
      call: (s) => s.ledger.takeAttached(hcollection(j), "payses_new00001", 1700, now),
      sql: `update ${T} set "payment_session_id" = $1, "payment_collection_id" = $2, "unmatched" = $3, "session_closed_at" = $4, "attach_collection_id" = $5, "attached_at" = $6, "next_completion_at" = $7, "completion_locked_until" = $8, "updated_at" = $9 where "attach_collection_id" = $10 and "status" = $11 and "unmatched" = $12 and "amount" = $13 and "refunded_amount" = $14 and "deleted_at" is null and "completed_at" is null returning *`,
      params: ["payses_new00001", hcollection(j), false, null, null, now, now, null, now, hcollection(j), "paid", true, 1700, 0],
    },
    {
      name: "closeSession",
      src: L,
      expect: "key",
      call: (s) => s.ledger.closeSession(osession(5), now),
      sql: `update ${T} set "session_closed_at" = $1, "updated_at" = $2 where "payment_session_id" = $3 and "deleted_at" is null and "session_closed_at" is null returning *`,
      params: [now, now, osession(5)],
    },
    {
      name: "insertInitiating",
      src: L,
      expect: "key",
      call: (s) =>
        s.ledger.insertInitiating({ phone: "254708374149", amount: 100, medusa_amount: "100.00", currency_code: "kes", account_reference: "CART1", expires_at: at(90_000), payment_collection_id: "pay_col_new0001", payment_session_id: "payses_new000001" }),
      sql: `insert into ${T} ("account_reference", "amount", "currency_code", "expires_at", "id", "initiated_session_id", "medusa_amount", "payment_collection_id", "payment_session_id", "phone", "status") values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) on conflict (payment_session_id) where deleted_at is null do nothing returning *`,
      params: ["CART1", 100, "kes", at(90_000), "mpesatx_new00001", "payses_new000001", "100.00", "pay_col_new0001", "payses_new000001", "254708374149", "initiating"],
    },
    {
      name: "callbacks.insert",
      src: C,
      expect: "key",
      call: (s) =>
        s.callbacks.insert({ payload: { Body: { stkCallback: { ResultCode: 0 } } }, source_ip: "196.201.214.200", transaction_id: oid(5), checkout_request_id: ocheckout(5), merchant_request_id: "mr-o5", result_code: "0", now }),
      sql: `insert into "mpesa_callback" ("checkout_request_id", "id", "merchant_request_id", "next_check_at", "payload", "processed_at", "result_code", "source_ip", "status", "transaction_id") values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning *`,
      params: [ocheckout(5), "mpesacb_new00001", "mr-o5", now, JSON.stringify({ Body: { stkCallback: { ResultCode: 0 } } }), null, "0", "196.201.214.200", "received", oid(5)],
    },
    {
      name: "callbacks.findDue",
      src: C,
      expect: "open",
      call: (s) => s.callbacks.findDue(at(-1_000), LIMIT * 2),
      sql: `select * from "mpesa_callback" where "processed_at" is null and "deleted_at" is null and "next_check_at" is not null and "next_check_at" <= $1 order by "next_check_at" asc limit $2`,
      params: [at(-1_000), LIMIT * 2],
    },
    {
      name: "callbacks.withLease (take)",
      src: C,
      expect: "key",
      call: (s) => s.callbacks.withLease("mpesacb_o000003", now, 60_000, async () => null),
      pick: 0,
      sql: `update "mpesa_callback" set "locked_until" = $1 where "id" = $2 and "processed_at" is null and ("locked_until" is null or "locked_until" < $3) returning *`,
      params: [at(60_000), "mpesacb_o000003", now],
    },
    {
      name: "callbacks.withLease (release)",
      src: C,
      expect: "key",
      call: (s) => s.callbacks.withLease("mpesacb_o000003", now, 60_000, async () => null),
      pick: 1,
      sql: `update "mpesa_callback" set "locked_until" = $1 where "id" = $2`,
      params: [null, "mpesacb_o000003"],
    },
    {
      name: "callbacks.finish",
      src: C,
      expect: "key",
      call: (s) => s.callbacks.finish("mpesacb_o000003", "applied", "applied", now),
      sql: `update "mpesa_callback" set "status" = $1, "note" = $2, "processed_at" = $3, "next_check_at" = $4, "updated_at" = $5 where "id" = $6`,
      params: ["applied", "applied", now, null, now, "mpesacb_o000003"],
    },
    {
      name: "callbacks.defer",
      src: C,
      expect: "key",
      call: (s) => s.callbacks.defer("mpesacb_o000003", "waiting for the status query", at(5_000), now),
      sql: `update "mpesa_callback" set "note" = $1, "attempts" = attempts + 1, "next_check_at" = $2, "updated_at" = $3 where "id" = $4`,
      params: ["waiting for the status query", at(5_000), now, "mpesacb_o000003"],
    },
    {
      name: "callbacks.findById",
      src: C,
      expect: "key",
      call: (s) => s.callbacks.findById(cbid(histRow)),
      sql: `select * from "mpesa_callback" where "id" = $1 limit $2`,
      params: [cbid(histRow), 1],
    },
    {
      name: "callbacks.list by transaction_id (settled)",
      src: C,
      expect: "key",
      call: (s) => s.callbacks.list({ transactionId: hid(histRow) }, { take: 10, skip: 0 }),
      sql: `select * from "mpesa_callback" where "deleted_at" is null and "transaction_id" = $1 order by "created_at" desc limit $2`,
      params: [hid(histRow), 10],
    },
    {
      name: "callbacks.list by transaction_id (open)",
      src: C,
      expect: "key",
      call: (s) => s.callbacks.list({ transactionId: oid(115) }, { take: 10, skip: 0 }),
      sql: `select * from "mpesa_callback" where "deleted_at" is null and "transaction_id" = $1 order by "created_at" desc limit $2`,
      params: [oid(115), 10],
    },
  ]
}

module.exports = { callbackQueries }
