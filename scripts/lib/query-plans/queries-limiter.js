// The prompt limiter's queries (the push path): its counters' upsert, update and refusal, and the
// cleanup of counters whose window ended. See queries.js for the fields of each query.
"use strict"
const { hcollection } = require("./data")

function limiterQueries({ now, at, j, P }) {
  const limits = {
    enabled: true,
    phone: { max: 3, windowSeconds: 600 },
    paymentCollection: { max: 5, windowSeconds: 86_400 },
    client: { max: 20, windowSeconds: 600 },
  }
  const prompt = { phone: "254708374149", paymentCollectionId: hcollection(j), clientIp: "10.1.2.3" }
  return [
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

module.exports = { limiterQueries }
