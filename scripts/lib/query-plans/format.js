// The bench's console output and arithmetic: its `[plans]` log lines, elapsed seconds, the median
// of the EXPLAIN runs and zero-padded ids (the ids the data load and the queries both build).
"use strict"

const log = (m) => console.log(`[plans] ${m}`)
const secs = (t0) => `${((Date.now() - t0) / 1000).toFixed(1)} s`
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const pad = (n, w) => String(n).padStart(w, "0")

module.exports = { log, secs, median, pad }
