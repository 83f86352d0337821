// Waiting on the dev stack over HTTP and TCP: a service is up when it answers 200, and a port
// must be free before the stack starts (a second stack would otherwise talk to the first).
"use strict"
const http = require("http")
const { canConnect } = require("./database")
const { seconds, sleep } = require("./dev-output")

/** Resolves when `url` answers 200; rejects on timeout or when `shouldAbort()` returns a reason. */
async function waitForHttp(url, { timeoutMs = 240_000, intervalMs = 500, shouldAbort = () => null } = {}) {
  const deadline = Date.now() + timeoutMs
  let last = "no answer"
  while (Date.now() < deadline) {
    const reason = shouldAbort()
    if (reason) throw new Error(reason)
    const status = await httpStatus(url).catch((e) => {
      last = e.code || e.message
      return 0
    })
    if (status === 200) return
    if (status) last = `HTTP ${status}`
    await sleep(intervalMs)
  }
  throw new Error(`${url} did not answer 200 within ${seconds(timeoutMs)} (last: ${last})`)
}

function httpStatus(url, timeoutMs = 3000) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      res.resume()
      resolve(res.statusCode)
    })
    req.on("timeout", () => req.destroy(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })))
    req.on("error", reject)
  })
}

async function assertPortFree(port, what) {
  if ((await canConnect("127.0.0.1", port, 500)) || (await canConnect("::1", port, 500))) {
    throw new Error(`port ${port} is already in use: stop whatever listens there (another ${what}?) and try again`)
  }
}

module.exports = { waitForHttp, httpStatus, assertPortFree }
