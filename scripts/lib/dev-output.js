// The dev stack's terminal output: every line tagged with the service it came from, so the
// interleaved output of PostgreSQL, the simulator and Medusa stays readable in one terminal.
"use strict"

const COLORS = { shop: 32, dev: 36, smoke: 36, postgres: 34, simulator: 35, migrate: 33, seed: 32, user: 32, medusa: 90 }
const useColor = process.stdout.isTTY && !process.env.NO_COLOR

function tagText(tag) {
  const padded = `[${tag}]`.padEnd(11)
  return useColor ? `\x1b[${COLORS[tag] || 37}m${padded}\x1b[0m` : padded
}

/** A logger that prefixes every line with `[tag]`. */
function logger(tag) {
  return (msg = "") => {
    for (const line of String(msg).split(/\r?\n/)) process.stdout.write(`${tagText(tag)} ${line}\n`)
  }
}

/** Calls onLine for each complete line of a readable stream. */
function eachLine(stream, onLine) {
  if (!stream) return
  let buf = ""
  stream.setEncoding("utf8")
  stream.on("data", (chunk) => {
    buf += chunk
    let i
    while ((i = buf.indexOf("\n")) >= 0) {
      onLine(buf.slice(0, i).replace(/\r$/, ""))
      buf = buf.slice(i + 1)
    }
  })
  stream.on("end", () => {
    if (buf) onLine(buf)
    buf = ""
  })
}

const stripAnsi = (s) => s.replace(/\x1b\[[0-9;]*m/g, "")
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

module.exports = { useColor, logger, eachLine, stripAnsi, seconds, sleep }
