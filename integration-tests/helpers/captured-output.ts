/**
 * Everything this test process writes from now on — Medusa's own log lines included — so a spec can
 * prove that no secret is ever logged. Captures both the raw streams and console.* (with several spec
 * files, jest routes console output, e.g. Medusa's winston console transport, through its own buffer).
 */
export function captureProcessOutput(): string[] {
  const output: string[] = []
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      output.push(typeof chunk === "string" ? chunk : Buffer.isBuffer(chunk) ? chunk.toString("utf8") : String(chunk))
      return write(chunk, ...rest)
    }) as typeof stream.write
  }
  for (const level of ["log", "info", "warn", "error", "debug"] as const) {
    const original = console[level].bind(console)
    console[level] = (...args: unknown[]) => {
      output.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "))
      original(...args)
    }
  }
  return output
}

/**
 * Every line the app's logger (the one Medusa gives the module) writes from now on, calling through.
 * Process output capture misses Medusa's log lines when other spec files ran first in the same jest
 * process (winston keeps the first file's console), so specs that assert a log line read the logger.
 */
export function captureLogger(logger: Record<string, unknown>): string[] {
  const lines: string[] = []
  for (const level of ["debug", "info", "warn", "error"] as const) {
    const original = logger[level]
    if (typeof original !== "function") continue
    logger[level] = (...args: unknown[]) => {
      lines.push(args.map((a) => (typeof a === "string" ? a : a instanceof Error ? a.message : JSON.stringify(a))).join(" "))
      return (original as (...a: unknown[]) => unknown).apply(logger, args)
    }
  }
  return lines
}
