/** Named steps of a browser test, timed, so a run prints where its time went (the note's figures). */
export function stepTimer() {
  const timings: [string, number][] = []
  async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const t0 = Date.now()
    try {
      return await fn()
    } finally {
      timings.push([name, Date.now() - t0])
    }
  }
  const report = (title: string) => `${title}:\n${timings.map(([n, ms]) => `  ${n}: ${(ms / 1000).toFixed(1)} s`).join("\n")}`
  return { step, report }
}
