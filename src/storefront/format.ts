/** "KES 1,700": whole shillings, rounded half up as the plugin rounds what it pushes. */
export function formatKes(amount: number): string {
  return `KES ${Math.floor(amount + 0.5).toLocaleString("en-KE")}`
}

/** "0:45", "1:05" for a countdown; never negative. */
export function formatCountdown(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000))
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`
}
