export const SOURCE_LABELS = { saved: "saved here", environment: "environment", default: "default" } as const

export function formatKes(amount: number): string {
  return `KES ${amount.toLocaleString("en-KE")}`
}

export function formatTime(iso: string | null): string {
  return iso ? new Date(iso).toLocaleString("en-KE", { dateStyle: "medium", timeStyle: "medium" }) : "-"
}

export type StatusColor = "green" | "red" | "orange" | "blue" | "grey" | "purple"

export function stateColor(p: { state: string; unmatched: boolean; needs_attention: string | null; completed_at: string | null }): StatusColor {
  if (p.unmatched || p.needs_attention) return "orange"
  if (p.state === "paid") return "green"
  if (p.state === "failed" || p.state === "canceled" || p.state === "expired") return "red"
  if (p.state === "indeterminate") return "purple"
  return "blue"
}
