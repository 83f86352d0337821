// The bench's data: N settled ledger rows and N processed callbacks (a year of history), the few
// hundred open rows the reconcile job and the callback path look for, the prompt-limit counters,
// and the ids of those rows (the queries name them too).
"use strict"
const { Client } = require("pg")
const { log, secs, pad } = require("./format")

// Open rows: k = 1..OPEN_LEDGER in the ledger, 1..OPEN_CALLBACKS in the inbox.
const OPEN_LEDGER = 200
const OPEN_CALLBACKS = 50
const oid = (k) => `mpesatx_o${pad(k, 6)}`
const osession = (k) => `payses_o${pad(k, 6)}`
const ocheckout = (k) => `ws_CO_o${pad(k, 6)}`
const hid = (i) => `mpesatx_h${pad(i, 10)}`
const hsession = (i) => `payses_h${pad(i, 10)}`
const hcheckout = (i) => `ws_CO_h${pad(i, 12)}`
const hcollection = (i) => `pay_col_h${pad(Math.floor((i * 4) / 5), 10)}`
const hphone = (i) => `2547${pad((i * 7919) % 100000000, 8)}`
const hamount = (i) => 10 + ((i * 37) % 20000)
const cbid = (i) => `mpesacb_h${pad(i, 10)}`
// A historical row in bucket 86 (failed) for open row k: the open push is the shopper's retry on that cart.
const retriedRow = (k, n) => ((k * 7) % Math.floor(n / 100)) * 100 + 86

/** SQL expressions shared by the history load (i = row number 1..N). */
const H = {
  id: `'mpesatx_h' || lpad(i::text, 10, '0')`,
  session: `'payses_h' || lpad(i::text, 10, '0')`,
  checkout: `'ws_CO_h' || lpad(i::text, 12, '0')`,
  collection: `'pay_col_h' || lpad((i * 4 / 5)::text, 10, '0')`,
  phone: `'2547' || lpad(((i::bigint * 7919) % 100000000)::text, 8, '0')`,
  amount: `(10 + (i::bigint * 37) % 20000)::int`,
}

function historyLedgerSql(n) {
  // b = i % 100: 0-84 paid (1 in 1000 paid rows unmatched), 85-91 failed, 92-96 canceled, 97-99 expired.
  // Row i was created (365 days * (n - i) / n + 1 hour) ago: the newest settled row is an hour old.
  return `
    insert into "mpesa_transaction" (
      "id", "payment_session_id", "initiated_session_id", "payment_collection_id", "checkout_request_id",
      "merchant_request_id", "phone", "amount", "medusa_amount", "currency_code", "account_reference", "status",
      "result_code", "result_desc", "customer_message", "mpesa_receipt_number", "paid_amount", "paid_phone",
      "transaction_date", "confirmed_by", "callback_received_at", "settled_at", "query_attempts", "next_query_at",
      "last_queried_at", "expires_at", "session_closed_at", "unmatched", "completed_at", "completion_attempts",
      "completion_error", "created_at", "updated_at", "deleted_at", "completion_locked_until", "next_completion_at",
      "attention_reason", "attention_at")
    select
      id, case when um then null else session end, session, collection, checkout,
      'mr-' || i::text || '-' || (i % 97)::text, phone, amount, amount::text || '.00', 'kes', 'CART' || lpad((i % 1000000)::text, 6, '0'), st,
      case st when 'paid' then '0' when 'failed' then '1' when 'canceled' then '1032' else null end,
      case st when 'paid' then 'The service request is processed successfully.' when 'failed' then 'The balance is insufficient for the transaction.'
              when 'canceled' then 'Request cancelled by user' else null end,
      case st when 'paid' then 'Payment received' when 'expired' then 'The M-Pesa prompt expired' else 'The payment did not go through' end,
      case when st = 'paid' then 'RH' || lpad(i::text, 10, '0') end,
      case when st = 'paid' then amount end,
      case when st = 'paid' then phone end,
      case when st = 'paid' then to_char(t + interval '20 seconds', 'YYYYMMDDHH24MISS') end,
      case when st = 'expired' then null when i % 10 = 3 then 'query' else 'callback' end,
      case when st <> 'expired' and i % 10 <> 3 then t + interval '20 seconds' end,
      t + interval '20 seconds', (i % 3), null,
      case when i % 3 > 0 then t + interval '15 seconds' end,
      t + interval '90 seconds',
      case when um then t + interval '30 seconds' when st <> 'paid' and i % 2 = 0 then t + interval '2 minutes' end,
      um,
      case when st = 'paid' and not um then t + interval '25 seconds' end,
      case when st = 'paid' and not um then 1 else 0 end,
      null, t, t + interval '25 seconds', null, null, null,
      case when um then 'money arrived for a closed session' end,
      case when um then t + interval '20 seconds' end
    from (
      select i, ${H.id} as id, ${H.session} as session, ${H.checkout} as checkout, ${H.collection} as collection,
             ${H.phone} as phone, ${H.amount} as amount, t,
             case when b < 85 then 'paid' when b < 92 then 'failed' when b < 97 then 'canceled' else 'expired' end as st,
             (b < 85 and i % 1000 = 7) as um
      from (select i, i % 100 as b,
                   now() - interval '1 hour' - make_interval(secs => (${n} - i) * 31536000.0 / ${n}) as t
            from generate_series(1, ${n}) as i) g
    ) h`
}

function historyCallbackSql(n) {
  return `
    insert into "mpesa_callback" (
      "id", "checkout_request_id", "merchant_request_id", "result_code", "payload", "source_ip", "status", "note",
      "transaction_id", "processed_at", "attempts", "locked_until", "created_at", "updated_at", "deleted_at", "next_check_at")
    select
      'mpesacb_h' || lpad(i::text, 10, '0'), checkout, mr, rc,
      jsonb_build_object('Body', jsonb_build_object('stkCallback', jsonb_build_object(
        'MerchantRequestID', mr, 'CheckoutRequestID', checkout, 'ResultCode', rc::int,
        'ResultDesc', case when rc = '0' then 'The service request is processed successfully.' else 'Request cancelled by user' end,
        'CallbackMetadata', case when rc = '0' then jsonb_build_object('Item', jsonb_build_array(
          jsonb_build_object('Name', 'Amount', 'Value', amount),
          jsonb_build_object('Name', 'MpesaReceiptNumber', 'Value', 'RH' || lpad(i::text, 10, '0')),
          jsonb_build_object('Name', 'PhoneNumber', 'Value', phone::bigint))) end))),
      '196.201.214.' || (i % 256)::text,
      case when i % 50 = 0 then 'duplicate' else 'applied' end,
      case when i % 50 = 0 then 'already paid with this receipt' else 'applied' end,
      ${H.id}, t + interval '21 seconds', (i % 2), null, t + interval '20 seconds', t + interval '21 seconds', null, null
    from (
      select i, ${H.checkout} as checkout, 'mr-' || i::text || '-' || (i % 97)::text as mr,
             ${H.phone} as phone, ${H.amount} as amount,
             case when i % 100 < 85 then '0' when i % 100 < 92 then '1' when i % 100 < 97 then '1032' else '1037' end as rc,
             now() - interval '1 hour' - make_interval(secs => (${n} - i) * 31536000.0 / ${n}) as t
      from generate_series(1, ${n}) as i
    ) g`
}

function openLedgerSql(n) {
  // k  1- 60 pending, next_query_at from 5 min ago to 5 min ahead (half due); every 10th already past expiry
  // k 61- 80 pending, no query planned, past expiry        -> expireDue
  // k 81-100 indeterminate, half past expiry, half without a CheckoutRequestID
  // k101-110 initiating, updated 10..100 s ago (the older half is stale)
  // k111-160 paid, matched, completion due from 2 min ago to 2 min ahead
  // k161-170 paid, unmatched (kept money)
  // k171-200 pending, next query in 1..2 min
  const retried = `((k * 7) % ${Math.floor(n / 100)}) * 100 + 86`
  return `
    insert into "mpesa_transaction" (
      "id", "payment_session_id", "initiated_session_id", "payment_collection_id", "checkout_request_id",
      "merchant_request_id", "phone", "amount", "medusa_amount", "currency_code", "account_reference", "status",
      "result_code", "mpesa_receipt_number", "paid_amount", "paid_phone", "settled_at", "query_attempts", "next_query_at",
      "expires_at", "session_closed_at", "unmatched", "completed_at", "completion_attempts", "created_at", "updated_at",
      "next_completion_at", "attention_reason", "attention_at")
    select
      'mpesatx_o' || lpad(k::text, 6, '0'),
      case when st = 'paid' and k > 160 then null else 'payses_o' || lpad(k::text, 6, '0') end,
      'payses_o' || lpad(k::text, 6, '0'),
      'pay_col_h' || lpad((j * 4 / 5)::text, 10, '0'),
      case when st = 'initiating' or (st = 'indeterminate' and k % 2 = 0) then null else 'ws_CO_o' || lpad(k::text, 6, '0') end,
      case when st = 'initiating' or (st = 'indeterminate' and k % 2 = 0) then null else 'mr-o' || k::text end,
      '2547' || lpad(((j::bigint * 7919) % 100000000)::text, 8, '0'),
      (10 + (j::bigint * 37) % 20000)::int, (10 + (j::bigint * 37) % 20000)::text || '.00', 'kes', 'CARTO' || k::text, st,
      case when st = 'paid' then '0' end,
      case when st = 'paid' then 'RO' || lpad(k::text, 10, '0') end,
      case when st = 'paid' then (10 + (j::bigint * 37) % 20000)::int end,
      case when st = 'paid' then '2547' || lpad(((j::bigint * 7919) % 100000000)::text, 8, '0') end,
      case when st = 'paid' then now() - interval '1 minute' end,
      case when st = 'pending' then k % 4 else 0 end,
      case when k <= 60 then now() + make_interval(secs => (k - 30) * 10)
           when k > 170 then now() + make_interval(secs => 60 + (k - 170) * 2) end,
      case when k <= 60 and k % 10 = 0 then now() - interval '10 seconds'
           when k between 61 and 80 then now() - make_interval(secs => k - 60)
           when k between 81 and 100 and k % 4 < 2 then now() - interval '5 seconds'
           else now() + interval '2 minutes' end,
      case when k > 160 then now() - interval '30 seconds' end,
      (k between 161 and 170),
      null, 0,
      now() - interval '2 minutes', case when st = 'initiating' then now() - make_interval(secs => (k - 100) * 10) else now() - interval '5 seconds' end,
      case when k between 111 and 160 then now() + make_interval(secs => (k - 135) * 5) end,
      case when k > 160 then 'money arrived for a closed session' end,
      case when k > 160 then now() - interval '30 seconds' end
    from (
      select k, ${retried} as j,
             case when k <= 80 or k > 170 then 'pending' when k <= 100 then 'indeterminate' when k <= 110 then 'initiating'
                  else 'paid' end as st
      from generate_series(1, ${OPEN_LEDGER}) as k
    ) o`
}

function openCallbackSql() {
  // Unprocessed: k 1-25 received (due: next check up to 50 s ago), 26-50 waiting (re-check 2..50 s ahead).
  return `
    insert into "mpesa_callback" (
      "id", "checkout_request_id", "merchant_request_id", "result_code", "payload", "source_ip", "status", "note",
      "transaction_id", "processed_at", "attempts", "created_at", "updated_at", "next_check_at")
    select
      'mpesacb_o' || lpad(k::text, 6, '0'), 'ws_CO_o' || lpad((k + 110)::text, 6, '0'), 'mr-o' || (k + 110)::text, '0',
      jsonb_build_object('Body', jsonb_build_object('stkCallback', jsonb_build_object(
        'CheckoutRequestID', 'ws_CO_o' || lpad((k + 110)::text, 6, '0'), 'ResultCode', 0))),
      '196.201.214.200', case when k <= 25 then 'received' else 'waiting' end,
      case when k > 25 then 'waiting for the status query to confirm it' end,
      'mpesatx_o' || lpad((k + 110)::text, 6, '0'), null, case when k > 25 then 1 else 0 end,
      now() - interval '1 minute', now() - interval '1 minute',
      now() + make_interval(secs => (k - 25) * 2)
    from generate_series(1, ${OPEN_CALLBACKS}) as k`
}

// The counters table holds what the last day (the longest default window) touched: 3 counters per
// prompt at the history's rate (N prompts a year), plus one cleanup batch (200) whose window ended.
const STALE_COUNTERS = 200
const counterRows = (n) => Math.max(1000, Math.ceil((3 * n) / 365)) + STALE_COUNTERS

function promptLimitSql(total) {
  return `
    insert into "mpesa_prompt_limit" ("id", "window_started_at", "hits", "created_at", "updated_at")
    select case i % 3 when 0 then 'phone:' when 1 then 'pc:pay_col_h' else 'ip:' end || md5(i::text),
           now() - make_interval(secs => case when i <= ${STALE_COUNTERS} then 172800 + i else (i * 7) % 86400 end),
           1 + i % 3, now() - interval '1 day', now() - make_interval(secs => (i * 7) % 86400)
    from generate_series(1, ${total}) as i`
}

async function loadData(server, db, n) {
  // The two big tables load in parallel (2 connections); the indexes are the migrations' own, maintained row by row.
  const tLoad = Date.now()
  const loadOne = async (label, sqls) => {
    const c = new Client({ connectionString: server.benchUrl })
    await c.connect()
    try {
      await c.query("set synchronous_commit = off")
      await c.query("set maintenance_work_mem = '256MB'")
      const t0 = Date.now()
      for (const sql of sqls) await c.query(sql)
      return `${label} ${secs(t0)}`
    } finally {
      await c.end()
    }
  }
  const timings = await Promise.all([
    loadOne(`mpesa_transaction ${n.toLocaleString("en")} settled + ${OPEN_LEDGER} open`, [historyLedgerSql(n), openLedgerSql(n)]),
    loadOne(`mpesa_callback ${n.toLocaleString("en")} processed + ${OPEN_CALLBACKS} unprocessed`, [historyCallbackSql(n), openCallbackSql()]),
    loadOne(`mpesa_prompt_limit ${counterRows(n).toLocaleString("en")}`, [promptLimitSql(counterRows(n))]),
  ])
  const loadTime = secs(tLoad)
  const tAnalyze = Date.now()
  await db.query("vacuum analyze mpesa_transaction, mpesa_callback, mpesa_prompt_limit")
  const analyzeTime = secs(tAnalyze)
  const tCheckpoint = Date.now()
  // Write the bulk load's dirty pages out now, so the timed statements do not pay for evicting them.
  const checkpoint = await db.query("checkpoint").then(() => `checkpoint ${secs(tCheckpoint)}`, () => "no checkpoint (not a superuser)")
  log(`loaded in ${loadTime} (${timings.join("; ")}); vacuum analyze ${analyzeTime}; ${checkpoint}`)
}

module.exports = {
  OPEN_LEDGER,
  OPEN_CALLBACKS,
  oid,
  osession,
  ocheckout,
  hid,
  hsession,
  hcheckout,
  hcollection,
  hphone,
  hamount,
  cbid,
  retriedRow,
  counterRows,
  historyLedgerSql,
  historyCallbackSql,
  openLedgerSql,
  openCallbackSql,
  promptLimitSql,
  loadData,
}
