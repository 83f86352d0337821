import type { LedgerStatus } from "../types"

/**
 * The one table of allowed ledger state changes. Every status change is a
 * conditional UPDATE built from it ("… WHERE status IN (allowed from-states)
 * AND guard"), so when a duplicate callback, the poller and a storefront
 * request race, exactly one of them wins and nothing moves backwards.
 */
export type Transition = {
  from: LedgerStatus
  to: LedgerStatus
  /** extra SQL condition on the row, for transitions that depend on more than the status */
  guard?: string
  why: string
}

export const LEDGER_TRANSITIONS: readonly Transition[] = [
  { from: "initiating", to: "pending", why: "Daraja accepted the push" },
  { from: "initiating", to: "indeterminate", why: "the push's HTTP answer never came (timeout, reset, 5xx)" },
  // A callback can beat the push's own HTTP answer, and a lost answer can be followed by a result.
  { from: "initiating", to: "paid", why: "a confirmed result arrived before the push's answer" },
  { from: "initiating", to: "failed", why: "a confirmed result arrived before the push's answer" },
  { from: "initiating", to: "canceled", why: "a confirmed result arrived before the push's answer" },
  { from: "initiating", to: "expired", why: "the process died mid-push and nothing ever settled it" },
  { from: "pending", to: "paid", why: "confirmed success" },
  { from: "pending", to: "failed", why: "confirmed failure result" },
  { from: "pending", to: "canceled", why: "the shopper cancelled (1032), confirmed" },
  { from: "pending", to: "expired", why: "no result before our expiry" },
  { from: "indeterminate", to: "paid", why: "a confirmed success for a push whose answer we never saw" },
  { from: "indeterminate", to: "failed", why: "a confirmed failure for a push whose answer we never saw" },
  { from: "indeterminate", to: "canceled", why: "a confirmed cancel for a push whose answer we never saw" },
  { from: "indeterminate", to: "expired", why: "no result before our expiry" },
  // Our expiry is a timer, not Daraja's verdict: money that really moved still counts.
  { from: "expired", to: "paid", guard: "result_code is null", why: "confirmed money after our own timer ran out" },
]

export function transitionsInto(to: LedgerStatus): Transition[] {
  return LEDGER_TRANSITIONS.filter((t) => t.to === to)
}

export function canTransition(row: { status: LedgerStatus; result_code: string | null }, to: LedgerStatus): boolean {
  return transitionsInto(to).some((t) => t.from === row.status && (!t.guard || guardHolds(t.guard, row)))
}

// The guards are SQL for the UPDATE; this mirrors the one guard for rows already read under a lock.
function guardHolds(guard: string, row: { result_code: string | null }): boolean {
  if (guard === "result_code is null") {
    return row.result_code === null
  }
  throw new Error(`unknown ledger transition guard: ${guard}`)
}
