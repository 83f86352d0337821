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
import path from "path"
import readline from "readline"
import { initModules } from "@medusajs/test-utils"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { MPESA_MODULE, mpesaOptionsFromEnv, type IMpesaModuleService } from "../../src/modules/mpesa"

// stdout carries the protocol: the module logs only errors, to stderr.
const quiet = () => {}
const logger = { info: quiet, debug: quiet, warn: quiet, log: quiet, activity: quiet, progress: quiet, error: (m: string) => process.stderr.write(`${m}\n`) }

async function main() {
  // The module loaded the way Medusa loads it (its loaders, its connection, Medusa's data layer), alone.
  const { medusaApp, shutdown } = await initModules({
    databaseConfig: { clientUrl: process.env.SECOND_PROCESS_DB ?? "", schema: "public" },
    injectedDependencies: { [ContainerRegistrationKeys.LOGGER]: logger },
    modulesConfig: { [MPESA_MODULE]: { resolve: path.join(__dirname, "../../src/modules/mpesa"), options: mpesaOptionsFromEnv() } },
  })
  const mpesa: IMpesaModuleService = medusaApp.sharedContainer!.resolve(MPESA_MODULE)
  serve(mpesa, shutdown)
}

function serve(mpesa: IMpesaModuleService, shutdown: () => Promise<void>) {
const lines = readline.createInterface({ input: process.stdin })
lines.on("line", async (line) => {
  try {
    const cmd = JSON.parse(line)
    if (cmd.exit) {
      await shutdown()
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
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`)
  process.exit(1)
})
