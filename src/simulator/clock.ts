/**
 * Time in the simulator: Daraja's Nairobi-time timestamps, and timers for simulated delays that
 * honour `timeScale` and can all be cancelled at once (reset / close).
 */

// Kenya has used EAT (UTC+3) without daylight saving since 1942, so a fixed offset is exact.
const NAIROBI_OFFSET_MS = 3 * 60 * 60 * 1000

/**
 * How far a request Timestamp may be from Nairobi "now" under the strict `timestampWindow` rule.
 * Safaricom does not publish a window; a few minutes tolerates clock drift while still catching clients
 * that send UTC (3 h off). Off by default: Safaricom's own sample library sends UTC (see README.md).
 */
export const TIMESTAMP_TOLERANCE_MS = 5 * 60 * 1000

/** `YYYYMMDDHHmmss` in Nairobi time, the format of Daraja's Timestamp and TransactionDate. */
export function nairobiTimestamp(at: Date = new Date()): string {
  const eat = new Date(at.getTime() + NAIROBI_OFFSET_MS)
  const pad = (n: number, width = 2) => String(n).padStart(width, "0")
  return (
    pad(eat.getUTCFullYear(), 4) +
    pad(eat.getUTCMonth() + 1) +
    pad(eat.getUTCDate()) +
    pad(eat.getUTCHours()) +
    pad(eat.getUTCMinutes()) +
    pad(eat.getUTCSeconds())
  )
}

/** Parses a Nairobi `YYYYMMDDHHmmss`; null unless it is 14 digits naming a real calendar instant. */
export function parseNairobiTimestamp(value: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(value)
  if (!m) return null
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number)
  const utcMs = Date.UTC(year, month - 1, day, hour, minute, second)
  const check = new Date(utcMs)
  // Date.UTC rolls 20240230 over to 1 March; a real Daraja timestamp never does.
  if (
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    check.getUTCHours() !== hour ||
    check.getUTCMinutes() !== minute ||
    check.getUTCSeconds() !== second
  ) {
    return null
  }
  return new Date(utcMs - NAIROBI_OFFSET_MS)
}

export function isFreshTimestamp(value: string, now: Date = new Date()): boolean {
  const at = parseNairobiTimestamp(value)
  return at !== null && Math.abs(now.getTime() - at.getTime()) <= TIMESTAMP_TOLERANCE_MS
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/**
 * Runs callbacks after simulated delays. Keeping every pending timer here lets `reset()` and
 * `close()` cancel them, so a closed simulator never fires a late callback into the next test.
 */
export class Scheduler {
  private readonly timers = new Set<NodeJS.Timeout>()

  constructor(private readonly timeScale: number) {}

  /** Converts a simulated duration to real milliseconds. */
  scale(simulatedMs: number): number {
    return Math.max(0, Math.round(simulatedMs * this.timeScale))
  }

  /** Runs `task` after `simulatedMs × timeScale`; returns a function that cancels it. */
  after(simulatedMs: number, task: () => void): () => void {
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      task()
    }, this.scale(simulatedMs))
    this.timers.add(timer)
    return () => {
      clearTimeout(timer)
      this.timers.delete(timer)
    }
  }

  cancelAll(): void {
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
  }
}
