// `npm run bench:plans`: proves that the reconcile job's and the callback
// path's queries stay flat as history grows. Builds a scratch database from
// the module's migrations, loads N settled ledger rows and N processed
// callbacks (default 1,000,000 each) plus ~200 open rows, and runs
// EXPLAIN (ANALYZE, BUFFERS) on the SQL each store method sends, 5 times.
//
// Usage: node scripts/bench-query-plans.js [--rows N] [--keep] [--strict] [--verbose]
//   --rows N    settled rows per table (env MPESA_PLAN_ROWS; default 1000000)
//   --keep      keep the scratch database mpesa_plan_bench afterwards
//   --strict    also fail when a query that scans open rows is served by an index
//               that holds settled history too (marked HISTORY otherwise)
//   --verbose   print every plan (text form)
//   --fail-ms N fail only above N ms (default: the 2 ms goal). CI uses a wider margin so a busy
//               machine cannot fail it, while a seq scan over 1M rows (tens of ms) still does.
// Server: DATABASE_URL's, else postgres://postgres@127.0.0.1:5432, else (or
// with MPESA_EMBEDDED_PG=1) an embedded PostgreSQL (scripts/lib/database.js).
//
// Exit code 1 when any query seq-scans mpesa_transaction / mpesa_callback, or
// its median planning or execution time is above 2 ms.
"use strict"
const fs = require("fs")
const path = require("path")
const { Client } = require("pg")
const { ensurePostgres, databaseUrl, ROOT } = require("./lib/database")

const DB_NAME = "mpesa_plan_bench"
const MIGRATIONS_DIR = path.join(ROOT, "src", "modules", "mpesa", "migrations")
const RUNS = 5
const GOAL_MS = 2
const BIG_TABLES = new Set(["mpesa_transaction", "mpesa_callback"])

// ------------------------------------------------------------------ arguments

function parseArgs(argv) {
  const opts = { rows: Number(process.env.MPESA_PLAN_ROWS || 1_000_000), keep: false, strict: false, verbose: false, failMs: GOAL_MS }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === "--rows") opts.rows = Number(argv[++i])
    else if (a.startsWith("--rows=")) opts.rows = Number(a.slice(7))
    else if (a === "--keep") opts.keep = true
    else if (a === "--strict") opts.strict = true
    else if (a === "--verbose") opts.verbose = true
    else if (a === "--fail-ms") opts.failMs = Number(argv[++i])
    else if (a === "--help" || a === "-h") {
      console.log(fs.readFileSync(__filename, "utf8").split("\n").slice(0, 18).join("\n"))
      process.exit(0)
    } else throw new Error(`unknown argument ${a}`)
  }
  if (!Number.isInteger(opts.rows) || opts.rows < 1000) throw new Error("--rows must be a whole number >= 1000")
  return opts
}

const log = (m) => console.log(`[plans] ${m}`)
const secs = (t0) => `${((Date.now() - t0) / 1000).toFixed(1)} s`
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const pad = (n, w) => String(n).padStart(w, "0")

// ------------------------------------------------------------------ server

async function canQuery(url) {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 3000 })
  try {
    await c.connect()
    await c.query("select 1")
    return true
  } catch {
    return false
  } finally {
    await c.end().catch(() => {})
  }
}

function withDatabase(url, name) {
  const u = new URL(url)
  u.pathname = `/${name}`
  return u.toString()
}

async function findServer() {
  const candidates =
    process.env.MPESA_EMBEDDED_PG === "1" ? [] : [process.env.DATABASE_URL, "postgres://postgres@127.0.0.1:5432/postgres"].filter(Boolean)
  for (const url of candidates) {
    const adminUrl = withDatabase(url, "postgres")
    if (await canQuery(adminUrl)) {
      return { kind: "server", adminUrl, benchUrl: withDatabase(url, DB_NAME), stop: async () => {} }
    }
  }
  const db = await ensurePostgres({ purpose: "bench", log })
  return { kind: db.kind, adminUrl: databaseUrl(db, "postgres"), benchUrl: databaseUrl(db, DB_NAME), stop: db.stop }
}

// ------------------------------------------------------------------ schema

/** The SQL of every migration's up(), in file-name order, exactly as addSql receives it. */
function migrationSql() {
  const files = fs
    .readdirSync(MIGRATIONS_DIR)
    .filter((f) => /^Migration\d+\.(ts|js)$/.test(f))
    .sort()
  const out = []
  for (const file of files) {
    const text = fs.readFileSync(path.join(MIGRATIONS_DIR, file), "utf8")
    const start = text.search(/async\s+up\s*\(/)
    if (start < 0) throw new Error(`${file}: no up()`)
    const end = text.slice(start).search(/async\s+down\s*\(/)
    const body = (end < 0 ? text.slice(start) : text.slice(start, start + end))
      .split("\n")
      .filter((l) => !/^\s*\/\//.test(l))
      .join("\n")
    const re = /this\.addSql\(\s*(`(?:[^`\\]|\\.)*`|'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")\s*\)/g
    let m
    let n = 0
    while ((m = re.exec(body))) {
      const lit = m[1]
      if (lit[0] === "`" && lit.includes("${")) throw new Error(`${file}: addSql with an interpolated template is not supported`)
      out.push({ file, sql: lit.slice(1, -1).replace(/\\(.)/g, "$1") })
      n++
    }
    if (!n) throw new Error(`${file}: up() has no this.addSql(...) literal`)
  }
  return { files, statements: out }
}

// ------------------------------------------------------------------ data

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

// ------------------------------------------------------------------ the queries

/**
 * The queries. Each has the SQL its store method sends (`sql`, as knex compiles
 * it: same columns, same order of conditions, parameters bound) with realistic
 * parameters, and `call`, which runs the method itself: the SQL the code really
 * sends is captured and explained instead whenever the stores load (see
 * captureFromCode), so the copy here only stands in when they do not, and a
 * difference between the two is reported (the copy is then out of date).
 * expect: "open"  -> a scan for work that must touch open rows only;
 *         "range" -> a range at the old end of an index (the prompt limiter's cleanup);
 *         "key"   -> a point lookup by a unique key / primary key / owning id
 *                    (it must also find settled rows, e.g. a late or duplicate callback).
 * setup: SQL run first (rolled back with the call); pick: which captured
 * statement it is (index, or a substring of its SQL; default the first).
 */
function queries(n, now) {
  const at = (ms) => new Date(now.getTime() + ms)
  const LIMIT = 25 // pollDue's default
  const mid = Math.floor(n / 2)
  const histRow = mid - (mid % 100) + 1 // a paid, completed row mid-history (i % 100 = 1)
  const histFailed = histRow + 85 // a failed push of an abandoned cart (i % 100 = 86)
  const retriedK = 5 // open pending push k = 5 retries the cart of historical row j
  const j = retriedRow(retriedK, n)
  const L = "ledger-store.ts"
  const C = "callback-store.ts"
  const P = "prompt-limiter.ts"
  const T = '"mpesa_transaction"'
  const limits = {
    enabled: true,
    phone: { max: 3, windowSeconds: 600 },
    paymentCollection: { max: 5, windowSeconds: 86_400 },
    client: { max: 20, windowSeconds: 600 },
  }
  const prompt = { phone: "254708374149", paymentCollectionId: hcollection(j), clientIp: "10.1.2.3" }
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
    // ---------------------------------------------------------------- the prompt limiter (push path)
    {
      name: "promptLimiter.consume upsert",
      src: P,
      expect: "key",
      call: (s) => s.limiter(limits).consume(prompt, now),
      pick: "on conflict",
      sql: `insert into "mpesa_prompt_limit" ("id", "window_started_at", "hits", "created_at", "updated_at")
           values ($1, $2, 0, $3, $4)
           on conflict ("id") do update set "updated_at" = excluded."updated_at", "deleted_at" = null
           returning "id", "window_started_at", "hits", (xmax = 0) as "inserted"`,
      params: [`pc:${hcollection(j)}`, now, now, now],
    },
    {
      name: "promptLimiter.consume update",
      src: P,
      expect: "key",
      call: (s) => s.limiter(limits).consume(prompt, now),
      pick: 'update "mpesa_prompt_limit"',
      sql: `update "mpesa_prompt_limit" set "hits" = $1, "window_started_at" = $2, "updated_at" = $3 where "id" = $4`,
      params: [1, now, now, `pc:${hcollection(j)}`],
    },
    {
      // The collection's counter is at its max: the phone and client counters just created are removed.
      name: "promptLimiter.consume refused",
      src: P,
      expect: "key",
      setup: [
        `insert into "mpesa_prompt_limit" ("id", "window_started_at", "hits") values ('pc:${hcollection(j)}', now(), ${limits.paymentCollection.max}) on conflict ("id") do update set "hits" = ${limits.paymentCollection.max}, "window_started_at" = now()`,
      ],
      call: (s) => s.limiter(limits).consume(prompt, now),
      pick: 'delete from "mpesa_prompt_limit" where "id" in (',
      sql: `delete from "mpesa_prompt_limit" where "id" in ($1, $2)`,
      params: ["phone:0000000000000000000000000000000000000000", "ip:0000000000000000000000000000000000000000"],
    },
    {
      name: "promptLimiter.cleanup",
      src: P,
      // Reads only counters whose window ended (the oldest end of the window_started_at index);
      // the table itself stays bounded because this cleanup runs after each allowed prompt.
      expect: "range",
      call: (s) => s.limiter(limits).cleanup(now),
      sql: `delete from "mpesa_prompt_limit" where "id" in (
         select "id" from "mpesa_prompt_limit"
         where "window_started_at" < $1 and "deleted_at" is null
         limit $2 for update skip locked)`,
      params: [at(-86_400_000), 200],
    },
  ]
}

// ------------------------------------------------------------------ the SQL the code sends

const norm = (sql) => sql.replace(/\s+/g, " ").trim()
const TX_CONTROL = /^(begin|commit|rollback|savepoint|release savepoint)\b/i

/**
 * Runs every query's store method against the scratch database, each in a
 * savepoint that is rolled back, and records the statements knex sends. Sets
 * q.code = { sql, params } for the statement it picks. Returns null, or why
 * the stores could not be used (then the copies in queries() are explained).
 */
async function captureFromCode(benchUrl, list) {
  let stores
  try {
    require("ts-node").register({ transpileOnly: true, swc: true, project: path.join(ROOT, "tsconfig.json") })
    const mpesa = path.join(ROOT, "src", "modules", "mpesa")
    const { LedgerStore } = require(path.join(mpesa, "stores", "ledger-store.ts"))
    const { CallbackStore } = require(path.join(mpesa, "stores", "callback-store.ts"))
    const { PromptLimiter } = require(path.join(mpesa, "prompt-limits", "prompt-limiter.ts"))
    stores = { LedgerStore, CallbackStore, PromptLimiter }
  } catch (e) {
    return `could not load the stores (${String(e.message).split("\n")[0]})`
  }
  const knex = require("knex")({ client: "pg", connection: benchUrl, pool: { min: 1, max: 1 } })
  const seen = []
  let recording = false
  knex.on("query", (q) => {
    if (recording && !TX_CONTROL.test(q.sql.trim())) seen.push({ sql: q.sql, params: q.bindings || [] })
  })
  try {
    const outer = await knex.transaction()
    let current = outer
    const db = () => current
    const s = {
      ledger: new stores.LedgerStore(db),
      callbacks: new stores.CallbackStore(db),
      limiter: (limits) => new stores.PromptLimiter({ db, limits, keySecret: null }),
    }
    for (const q of list) {
      const sp = await outer.transaction()
      current = sp
      seen.length = 0
      try {
        for (const sql of q.setup || []) await sp.raw(sql)
        recording = true
        await q.call(s)
      } catch (e) {
        q.callError = String(e.message).split("\n")[0]
      } finally {
        recording = false
        await sp.rollback().catch(() => {})
      }
      const pick = q.pick ?? 0
      const at = typeof pick === "number" ? pick : seen.findIndex((x) => x.sql.includes(pick))
      const hit = seen[at]
      // `before`: what the method sent ahead of it (replayed before each EXPLAIN, so the state matches).
      if (hit) q.code = { sql: hit.sql, params: hit.params, before: seen.slice(0, at) }
      else q.callError = q.callError ?? `no statement matching ${JSON.stringify(pick)} among ${seen.length} sent`
    }
    await outer.rollback().catch(() => {})
  } finally {
    await knex.destroy()
  }
  return null
}

// ------------------------------------------------------------------ plan analysis

function walk(node, visit, depth = 0) {
  visit(node, depth)
  for (const child of node.Plans || []) walk(child, visit, depth + 1)
}

function summarise(plan) {
  const scans = []
  walk(plan.Plan, (node) => {
    // Scans only: a ModifyTable node (the INSERT/UPDATE/DELETE itself) names its table too.
    if ((node["Relation Name"] || node["Index Name"]) && node["Node Type"] !== "ModifyTable") {
      const removed = (node["Rows Removed by Filter"] || 0) + (node["Rows Removed by Index Recheck"] || 0)
      scans.push({
        type: node["Node Type"],
        relation: node["Relation Name"] || null,
        index: node["Index Name"] || null,
        perLoop: (node["Actual Rows"] || 0) + removed,
        read: ((node["Actual Rows"] || 0) + removed) * (node["Actual Loops"] || 1),
      })
    }
    for (const arbiter of node["Conflict Arbiter Indexes"] || []) {
      scans.push({ type: "Conflict Arbiter", relation: node["Relation Name"], index: arbiter, perLoop: 0, read: 0 })
    }
  })
  const top = plan.Plan
  return {
    planning: plan["Planning Time"],
    execution: plan["Execution Time"],
    scans,
    buffers: (top["Shared Hit Blocks"] || 0) + (top["Shared Read Blocks"] || 0),
  }
}

// ------------------------------------------------------------------ main

async function main() {
  const opts = parseArgs(process.argv.slice(2))
  const started = Date.now()
  const n = opts.rows
  const server = await findServer()
  const admin = new Client({ connectionString: server.adminUrl })
  await admin.connect()
  let failed = false
  let db
  try {
    await admin.query(`drop database if exists ${DB_NAME} with (force)`)
    await admin.query(`create database ${DB_NAME}`)
    log(`scratch database ${DB_NAME} on ${server.kind === "server" ? new URL(server.adminUrl).host : `${server.kind} PostgreSQL`}`)

    // ---------------------------------------------------------------- schema
    const { files, statements } = migrationSql()
    db = new Client({ connectionString: server.benchUrl })
    await db.connect()
    const serverVersion = (await db.query("show server_version")).rows[0].server_version
    for (const s of statements) {
      try {
        await db.query(s.sql)
      } catch (e) {
        throw new Error(`${s.file}: ${e.message}\n${s.sql}`)
      }
    }
    log(`applied ${statements.length} statements from ${files.length} migrations (${files.join(", ")}); PostgreSQL ${serverVersion}`)

    // ---------------------------------------------------------------- data
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

    // ---------------------------------------------------------------- sizes
    const sizes = (
      await db.query(`
        select c.relname, c.reltuples::bigint as rows, pg_relation_size(c.oid) as heap,
               pg_indexes_size(c.oid) as idx, pg_total_relation_size(c.oid) as total
        from pg_class c where c.relname in ('mpesa_transaction', 'mpesa_callback', 'mpesa_prompt_limit') order by c.relname`)
    ).rows
    const mb = (b) => `${(Number(b) / 1048576).toFixed(0)} MB`
    console.log("")
    console.log("Table sizes")
    for (const s of sizes) {
      console.log(`  ${s.relname.padEnd(20)} ${String(Number(s.rows).toLocaleString("en")).padStart(11)} rows   heap ${mb(s.heap).padStart(7)}   indexes ${mb(s.idx).padStart(7)}   total ${mb(s.total).padStart(7)}`)
    }

    // Entries in every index of the three tables (its predicate counted exactly).
    const indexRows = (
      await db.query(`
        select c.relname as index, t.relname as tbl, pg_get_expr(i.indpred, i.indrelid) as pred, i.indisunique or i.indisprimary as uniq
        from pg_index i join pg_class c on c.oid = i.indexrelid join pg_class t on t.oid = i.indrelid
        where t.relname in ('mpesa_transaction', 'mpesa_callback', 'mpesa_prompt_limit') order by t.relname, c.relname`)
    ).rows
    const tableRows = {}
    for (const s of sizes) tableRows[s.relname] = Number((await db.query(`select count(*) n from "${s.relname}"`)).rows[0].n)
    // "Open rows only": the index holds none of the settled history loaded above.
    const HISTORY_IDS = { mpesa_transaction: "mpesatx_h%", mpesa_callback: "mpesacb_h%" }
    const indexes = {}
    for (const ix of indexRows) {
      const like = HISTORY_IDS[ix.tbl]
      const { n: entries, hist } = (
        await db.query(
          `select count(*)::int as n, ${like ? `count(*) filter (where "id" like '${like}')::int` : "null"} as hist from "${ix.tbl}"${ix.pred ? ` where ${ix.pred}` : ""}`
        )
      ).rows[0]
      indexes[ix.index] = { ...ix, entries, history: hist, openOnly: like ? hist === 0 : null }
    }
    console.log("")
    console.log("Indexes (entries = rows matching the index predicate; settled = of those, rows of the loaded history)")
    for (const ix of Object.values(indexes)) {
      const what = ix.openOnly === null ? "n/a (counters)" : ix.openOnly ? "open rows only" : `${ix.history.toLocaleString("en")} settled`
      console.log(`  ${ix.index.padEnd(52)} ${String(ix.entries.toLocaleString("en")).padStart(11)}  ${what.padEnd(17)}${ix.pred ? `  WHERE ${ix.pred}` : ""}`)
    }

    // ---------------------------------------------------------------- the SQL
    const now = new Date()
    const list = queries(n, now)
    const tCapture = Date.now()
    const unavailable = await captureFromCode(server.benchUrl, list)
    if (unavailable) {
      log(`${unavailable}: explaining the copies of the stores' SQL kept in this script`)
    } else {
      log(`captured the SQL the stores send (each method run once in a rolled-back savepoint) in ${secs(tCapture)}`)
    }

    // ---------------------------------------------------------------- plans
    const results = []
    for (const q of list) {
      const sql = q.code ? q.code.sql : q.sql
      const params = q.code ? q.code.params : q.params
      const origin = !q.code ? "copy" : norm(q.code.sql) === norm(q.sql) ? "code" : "code*"
      const prelude = [...(q.setup || []).map((x) => ({ sql: x, params: [] })), ...(q.code ? q.code.before : [])]
      const runs = []
      let textPlan = null
      for (let r = 0; r < RUNS; r++) {
        await db.query("begin")
        try {
          for (const p of prelude) await db.query(p.sql, p.params)
          const res = await db.query(`explain (analyze, buffers, format json) ${sql}`, params)
          runs.push(summarise(res.rows[0]["QUERY PLAN"][0]))
        } finally {
          await db.query("rollback")
        }
      }
      if (opts.verbose) {
        await db.query("begin")
        try {
          for (const p of prelude) await db.query(p.sql, p.params)
          textPlan = (await db.query(`explain (analyze, buffers) ${sql}`, params)).rows.map((x) => x["QUERY PLAN"]).join("\n")
        } finally {
          await db.query("rollback")
        }
      }
      const last = runs[runs.length - 1]
      const tableOf = (s) => s.relation || indexes[s.index]?.tbl
      const big = last.scans.filter((s) => BIG_TABLES.has(tableOf(s)))
      const seqBig = big.filter((s) => s.type === "Seq Scan").map((s) => s.relation)
      const seqAny = last.scans.filter((s) => s.type === "Seq Scan").map((s) => s.relation)
      const used = [...new Set(last.scans.map((s) => s.index).filter(Boolean))]
      const planning = median(runs.map((x) => x.planning))
      const execution = median(runs.map((x) => x.execution))
      const notes = []
      if (seqBig.length) notes.push(`FAIL seq scan on ${[...new Set(seqBig)].join(", ")}`)
      if (execution > opts.failMs) notes.push(`FAIL execution ${execution.toFixed(3)} ms > ${opts.failMs} ms`)
      if (planning > opts.failMs) notes.push(`FAIL planning ${planning.toFixed(3)} ms > ${opts.failMs} ms`)
      // A scan for open work is history-bound when it walks an index over a big table that also holds
      // settled rows; a unique-key probe (<= 1 row per loop, e.g. "id in (subquery)") is not a walk.
      const history =
        q.expect === "open" &&
        big.some((s) => s.index && s.type !== "Conflict Arbiter" && indexes[s.index]?.openOnly === false && !(indexes[s.index].uniq && s.perLoop <= 1))
      if (history) notes.push(opts.strict ? "FAIL index holds settled history (--strict)" : "HISTORY: index holds settled rows")
      const seqSmall = [...new Set(seqAny.filter((t) => !BIG_TABLES.has(t)))]
      if (seqSmall.length) notes.push(`WARN seq scan on ${seqSmall.join(", ")} (not a history table: its cost grows with that table's live rows)`)
      const verdict = notes.some((x) => x.startsWith("FAIL"))
        ? "FAIL"
        : history
          ? "HISTORY"
          : seqSmall.length
            ? "WARN"
            : q.expect === "open"
            ? "ok open-only"
            : q.expect === "range"
              ? "ok stale range"
              : "ok key lookup"
      if (verdict === "FAIL") failed = true
      if (origin === "code*") notes.push("NOTE the SQL the code sends differs from this script's copy (explained the code's; update the copy)")
      if (origin === "copy" && !unavailable) notes.push(`NOTE explained this script's copy: running the store method failed (${q.callError})`)
      results.push({ q, sql, params, origin, planning, execution, runs, seqBig, seqAny, used, read: last.scans.reduce((a, s) => a + s.read, 0), buffers: last.buffers, verdict, notes, textPlan })
    }

    // ---------------------------------------------------------------- report
    console.log("")
    console.log(`Query plans: ${n.toLocaleString("en")} settled rows per table, median of ${RUNS} EXPLAIN ANALYZE runs (DML rolled back); goal <= ${GOAL_MS} ms`)
    const head = ["#", "query", "sql", "plan ms", "exec ms", "seq scan big", "rows read", "bufs", "index used (entries)", "verdict"]
    const rows = results.map((r, i) => [
      String(i + 1),
      r.q.name,
      r.origin,
      r.planning.toFixed(3),
      r.execution.toFixed(3),
      r.seqBig.length ? `YES ${[...new Set(r.seqBig)].join(",")}` : r.seqAny.length ? `no (${[...new Set(r.seqAny)].join(",")})` : "no",
      String(r.read),
      String(r.buffers),
      r.used.length ? r.used.map((ix) => `${ix} (${indexes[ix] ? indexes[ix].entries.toLocaleString("en") : "?"})`).join(", ") : "-",
      r.verdict,
    ])
    const widths = head.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c].length)))
    const right = new Set([0, 3, 4, 6, 7])
    const line = (cells) => "  " + cells.map((x, c) => (right.has(c) ? x.padStart(widths[c]) : x.padEnd(widths[c]))).join("  ")
    console.log(line(head))
    console.log("  " + widths.map((w) => "-".repeat(w)).join("  "))
    for (const row of rows) console.log(line(row))
    console.log(
      "  sql: code = the statement the store method sent (captured), code* = it differs from this script's copy, copy = this script's copy." +
        "\n  rows read: index/heap rows the scans visited (incl. rows removed by filters); bufs: shared buffers touched; entries: rows in the index." +
        "\n  ok open-only: served by an index holding open rows only; ok key lookup: unique-key/owner probe (must find settled rows too, O(log n));" +
        "\n  HISTORY: a scan for open work walks an index that also holds settled rows; WARN: seq scan of a small, non-history table."
    )

    const flagged = results.filter((r) => !r.verdict.startsWith("ok") || r.notes.length)
    if (flagged.length) {
      console.log("")
      console.log("Flagged")
      for (const r of flagged) {
        console.log(`  ${r.q.name} (${r.q.src}): ${r.notes.join("; ")}`)
        if (r.q.fix) {
          console.log(`    would be served over open rows only by: ${r.q.fix}`)
          if (r.q.fixNote) console.log(`    (${r.q.fixNote})`)
        }
      }
    }
    if (opts.verbose) {
      for (const r of results) {
        console.log(`\n--- ${r.q.name}: planning ${r.runs.map((x) => x.planning.toFixed(3)).join(" ")} ms; execution ${r.runs.map((x) => x.execution.toFixed(3)).join(" ")} ms`)
        console.log(`${r.sql}\n${r.params.map((v, i) => `$${i + 1}=${v instanceof Date ? v.toISOString() : JSON.stringify(v)}`).join(" ")}\n${r.textPlan}`)
      }
    }
    console.log("")
    console.log(`${failed ? "FAILED" : "PASSED"}: ${results.filter((r) => r.verdict === "FAIL").length} of ${results.length} queries fail the goal, ${results.filter((r) => r.verdict === "HISTORY").length} served by an index that also holds settled rows; total ${secs(started)}`)
  } finally {
    if (db) await db.end().catch(() => {})
    if (opts.keep) {
      log(`kept database ${DB_NAME} (${server.benchUrl})`)
    } else {
      await admin.query(`drop database if exists ${DB_NAME} with (force)`).catch((e) => log(`could not drop ${DB_NAME}: ${e.message}`))
    }
    await admin.end().catch(() => {})
    await server.stop()
  }
  return failed ? 1 : 0
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e)
    process.exit(1)
  }
)
