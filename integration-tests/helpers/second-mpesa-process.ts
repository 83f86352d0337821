/**
 * A second process of the same deployment (think: the worker), for the HTTP
 * spec: it builds the `mpesa` module service against the same database with
 * the same boot options (MPESA_* from its environment) and sends STK Pushes on
 * request. Nothing in it knows about the admin: whatever settings it uses, it
 * read from the database itself.
 *
 * Protocol: one JSON command per stdin line ({"push": {...PushInput}}, or a
 * money-desk call: {"reverse": {transactionId, actor}}, {"checkRefunds": true}),
 * one JSON answer per stdout line ({"ok": true, "view": ...} or {"ok": false,
 * "error": "..."}). The money-conservation spec SIGKILLs it mid-work.
 * Started with `node -r ts-node/register` (swc).
 */
import knex from "knex"
import readline from "readline"
import { mpesaOptionsFromEnv } from "../../src/modules/mpesa/options"
import MpesaModuleService from "../../src/modules/mpesa/service"

const db = knex({ client: "pg", connection: process.env.SECOND_PROCESS_DB, pool: { min: 0, max: 2 } })
const quiet = () => {}
const logger = { info: quiet, debug: quiet, warn: quiet, error: (m: string) => process.stderr.write(`${m}\n`) }
const mpesa = new MpesaModuleService({ logger, __pg_connection__: db } as never, mpesaOptionsFromEnv())

const lines = readline.createInterface({ input: process.stdin })
lines.on("line", async (line) => {
  try {
    const cmd = JSON.parse(line)
    if (cmd.exit) {
      await db.destroy()
      process.exit(0)
    }
    const view = cmd.reverse
      ? await mpesa.reverseUnmatched(cmd.reverse.transactionId, cmd.reverse.actor, "from the worker")
      : cmd.checkRefunds
        ? await mpesa.checkRefundsDue()
        : await mpesa.initiateStkPush(cmd.push)
    process.stdout.write(JSON.stringify({ ok: true, view }) + "\n")
  } catch (e) {
    process.stdout.write(JSON.stringify({ ok: false, error: (e as Error).message }) + "\n")
  }
})
process.stdout.write(JSON.stringify({ ready: true }) + "\n")
