// The dev stack's child processes: long-running services in their own process group, one-shot
// Medusa CLI commands, and how both are stopped so nothing they forked is left behind.
"use strict"
const { spawn } = require("child_process")
const path = require("path")
const { ROOT } = require("./database")
const { IS_WINDOWS } = require("./dev-config")
const { logger, eachLine, stripAnsi, seconds, sleep } = require("./dev-output")

/** [node, path to the Medusa CLI] — no npx, so no npm start-up cost or warnings. */
function medusaCommand() {
  const pkg = require.resolve("@medusajs/cli/package.json", { paths: [ROOT] })
  return [process.execPath, path.join(path.dirname(pkg), "cli.js")]
}

/**
 * Spawns a long-running child in its own process group (POSIX) so that stopping it also stops what
 * it forks (`medusa develop` forks the server). Lines go to `onLine`.
 */
function spawnService(tag, command, args, { env, onLine, cwd = ROOT } = {}) {
  const log = logger(tag)
  const child = spawn(command, args, {
    cwd,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: !IS_WINDOWS,
    windowsHide: true,
  })
  const print = onLine || ((line) => log(line))
  eachLine(child.stdout, print)
  eachLine(child.stderr, print)
  let exitInfo = null
  const exited = new Promise((resolve) => {
    child.once("exit", (code, signal) => {
      exitInfo = { code, signal }
      resolve(exitInfo)
    })
    child.once("error", (error) => {
      exitInfo = { code: null, signal: null, error }
      resolve(exitInfo)
    })
  })
  let stopping = false
  return {
    tag,
    child,
    exited,
    get running() {
      return exitInfo === null
    },
    get stopping() {
      return stopping
    },
    /** SIGTERM to the group, SIGKILL after `graceMs`. */
    async stop(graceMs = 15_000) {
      stopping = true
      // Signal the group even when its leader is gone: what it forked may still run.
      if (exitInfo === null || (!IS_WINDOWS && groupAlive(child.pid))) signalGroup(child, "SIGTERM")
      const done = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)])
      if (!done) {
        log(`did not stop within ${seconds(graceMs)}: killing it`)
        signalGroup(child, "SIGKILL")
        await Promise.race([exited, sleep(2000)])
      }
      // The group may outlive its leader (a forked server still shutting down).
      if (!IS_WINDOWS) {
        const deadline = Date.now() + graceMs
        while (groupAlive(child.pid) && Date.now() < deadline) await sleep(100)
        if (groupAlive(child.pid)) signalGroup(child, "SIGKILL")
      }
    },
  }
}

function signalGroup(child, signal) {
  if (!child.pid) return
  try {
    if (IS_WINDOWS) {
      spawn("taskkill", ["/pid", String(child.pid), "/t", "/f"], { stdio: "ignore" })
    } else {
      process.kill(-child.pid, signal)
    }
  } catch {
    try {
      child.kill(signal)
    } catch {
      /* already gone */
    }
  }
}

function groupAlive(pid) {
  try {
    process.kill(-pid, 0)
    return true
  } catch (e) {
    return e.code === "EPERM"
  }
}

/** One-shot Medusa commands still running (migrate, seed, user), so a stop can end them. */
const inFlight = new Set()

/**
 * Runs a Medusa CLI command to completion. Its output is kept and shown in full only on failure
 * (or with MPESA_DEV_VERBOSE=1); `show(line)` picks the lines worth printing meanwhile.
 */
function runMedusa(tag, args, { env, show = () => false, verbose = process.env.MPESA_DEV_VERBOSE === "1" } = {}) {
  const log = logger(tag)
  const [node, cli] = medusaCommand()
  const started = Date.now()
  return new Promise((resolve, reject) => {
    const child = spawn(node, [cli, ...args], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: !IS_WINDOWS, // its own process group: `db:migrate` forks helpers a stop must reach too
      windowsHide: true,
    })
    inFlight.add(child)
    child.once("close", () => inFlight.delete(child))
    const lines = []
    const onLine = (line) => {
      lines.push(line)
      if (verbose || show(stripAnsi(line))) log(line)
    }
    eachLine(child.stdout, onLine)
    eachLine(child.stderr, onLine)
    child.once("error", reject)
    child.once("close", (code, signal) => {
      const result = { code, signal, lines, ms: Date.now() - started }
      if (code === 0) return resolve(result)
      if (!verbose) lines.slice(-60).forEach((l) => log(l))
      const err = new Error(`medusa ${args[0]} failed (${signal || `exit code ${code}`})`)
      err.result = result
      reject(err)
    })
  })
}

module.exports = { medusaCommand, spawnService, signalGroup, groupAlive, inFlight, runMedusa }
