// The queries the bench measures, in three groups (one file each): the reconcile job, the callback
// path and session hooks, and the prompt limiter. This file holds what the groups share: the
// moment the bench runs at and the rows the queries point at.
"use strict"
const { retriedRow } = require("./data")
const { reconcileQueries } = require("./queries-reconcile")
const { callbackQueries } = require("./queries-callbacks")
const { limiterQueries } = require("./queries-limiter")

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
  const ctx = { now, at, LIMIT, histRow, histFailed, retriedK, j, L, C, P, T }
  return [...reconcileQueries(ctx), ...callbackQueries(ctx), ...limiterQueries(ctx)]
}

module.exports = { queries }
