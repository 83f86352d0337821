// Boots the `npm run dev` stack without a terminal, checks that Medusa's /health and the
// simulator's virtual phone answer, runs one real M-Pesa checkout and checks the server's log
// output for the callback secret (scripts/lib/smoke-checkout.js), stops everything and exits 0
// (1 with the reason otherwise).
//
//   node scripts/dev-smoke.js                       # the machine's PostgreSQL, or embedded
//   MPESA_EMBEDDED_PG=1 node scripts/dev-smoke.js   # always the embedded PostgreSQL (CI)
//
// MPESA_SMOKE_TIMEOUT_S (default 240) bounds the whole run, boot included.
"use strict"
const { createStack, waitForHttp, printBanner, logger, SIMULATOR_PORT, MEDUSA_PORT } = require("./dev")
const { smokeCheckout } = require("./lib/smoke-checkout")

// Everything this process prints, Medusa's own lines included (the stack relays them).
const printed = []
for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream)
  stream.write = (chunk, ...rest) => {
    printed.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"))
    return write(chunk, ...rest)
  }
}

async function main() {
  const log = logger("smoke")
  const timeoutS = Number(process.env.MPESA_SMOKE_TIMEOUT_S || 240)
  const started = Date.now()
  let failure = null
  let finishing = null

  const finish = (reason) => {
    if (reason && !failure) failure = reason
    if (!finishing) {
      finishing = (async () => {
        clearTimeout(timer)
        await stack.stop()
        const total = ((Date.now() - started) / 1000).toFixed(1)
        if (failure) {
          log(`FAILED after ${total} s: ${failure}`)
          process.exit(1)
        }
        log(`OK in ${total} s`)
        process.exit(0)
      })()
    }
    return finishing
  }

  const stack = createStack({
    healthTimeoutMs: timeoutS * 1000,
    onUnexpectedExit: (service, info) =>
      finish(`${service} exited unexpectedly (${info.error ? info.error.message : info.signal || `exit code ${info.code}`})`),
  })
  const timer = setTimeout(() => finish(`timed out after ${timeoutS} s`), timeoutS * 1000)
  process.on("SIGINT", () => finish("interrupted"))
  process.on("SIGTERM", () => finish("terminated"))

  try {
    await stack.start()
    await waitForHttp(`http://localhost:${MEDUSA_PORT}/health`, { timeoutMs: 10_000 })
    await waitForHttp(`http://127.0.0.1:${SIMULATOR_PORT}/`, { timeoutMs: 10_000 })
    printBanner(stack)
    const t = stack.timings
    const s = (ms) => `${((ms || 0) / 1000).toFixed(1)} s`
    log(
      `database ${stack.db.kind}: database ${s(t.database)}, migrate ${s(t.migrate)}, seed ${s(t.seed)}, ` +
        `admin user ${s(t.user)}, medusa develop to /health ${s(t.boot)}`
    )
    if (!stack.publishableKey) failure = failure || "the seed printed no publishable API key"
    if (!failure) {
      const t0 = Date.now()
      const r = await smokeCheckout({
        publishableKey: stack.publishableKey,
        callbackSecret: stack.env.MPESA_CALLBACK_SECRET,
        output: () => printed.join(""),
      })
      log(
        `checkout: order ${r.orderId}, receipt ${r.receipt}, in ${((Date.now() - t0) / 1000).toFixed(1)} s; ` +
          `callback secret in the server log: 0 times; ${r.loggedCallbackPaths} logged callback URL(s) replayed with a forged body: nothing changed`
      )
    }
  } catch (e) {
    if (!failure) failure = e.message
  }
  await finish()
}

main()
