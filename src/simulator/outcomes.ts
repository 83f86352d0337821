/**
 * The outcome table: which result a prompt to a given phone number ends with. Keyed by the
 * PhoneNumber field (the phone that receives the prompt), so a test or a demo picks an outcome just
 * by choosing the number. Documented in README.md; keep the two in step.
 */
import type { DefaultOutcome } from "./options"

/** ResultDesc per ResultCode, worded as Safaricom sends them in callbacks and STK query answers. */
export const RESULT_DESCRIPTIONS: Readonly<Record<number, string>> = Object.freeze({
  0: "The service request is processed successfully.",
  1: "The balance is insufficient for the transaction.",
  2: "Declined due to limit rule: less than the minimum transaction amount.",
  3: "Declined due to limit rule: greater than the maximum transaction amount.",
  4: "Declined due to limit rule: would exceed daily transfer limit.",
  8: "Declined due to limit rule: would exceed the maximum balance.",
  17: "Rule limited.",
  1001: "Unable to lock subscriber, a transaction is already in process for the current subscriber",
  1019: "Transaction has expired.",
  1025: "An error occurred while sending a push request.",
  1032: "Request cancelled by user",
  1037: "DS timeout user cannot be reached",
  2001: "The initiator information is invalid.",
  2028: "The request is not permitted according to product assignment.",
  8006: "The security credential is locked.",
})

export function resultDescription(resultCode: number): string {
  return RESULT_DESCRIPTIONS[resultCode] ?? "The transaction could not be completed."
}

export interface OutcomeRule {
  resultCode: number
  /** Why a developer would pick this number. */
  meaning: string
}

export const OUTCOME_TABLE: Readonly<Record<string, OutcomeRule>> = Object.freeze({
  "254708374149": { resultCode: 0, meaning: "Safaricom's sandbox test MSISDN: pays" },
  "254700000000": { resultCode: 0, meaning: "pays" },
  "254700000001": { resultCode: 1032, meaning: "customer cancels the prompt" },
  "254700000002": { resultCode: 1037, meaning: "phone unreachable (DS timeout)" },
  "254700000003": { resultCode: 1, meaning: "insufficient balance" },
  "254700000004": { resultCode: 2001, meaning: "wrong M-PESA PIN" },
  "254700000005": { resultCode: 1019, meaning: "transaction expired" },
  "254700000006": { resultCode: 17, meaning: "rule limited (same amount, same customer, within 2 min)" },
})

/** How a prompt's result gets decided. */
export type OutcomePlan =
  /** Decided at push time; the callback follows after the callback delay. */
  | { kind: "fixed"; resultCode: number; source: "table" | "default" | "product_assignment" | "rule_limited" }
  /** Waits for the virtual phone or control API; times out with 1037 after promptTimeoutMs. */
  | { kind: "manual" }

export function planOutcome(phone: string, defaultOutcome: DefaultOutcome): OutcomePlan {
  const rule = OUTCOME_TABLE[phone]
  if (rule) return { kind: "fixed", resultCode: rule.resultCode, source: "table" }
  return defaultOutcome === "success" ? { kind: "fixed", resultCode: 0, source: "default" } : { kind: "manual" }
}

/** The table as lines of text, for the CLI banner. */
export function describeOutcomeTable(defaultOutcome: DefaultOutcome): string[] {
  const lines = Object.entries(OUTCOME_TABLE).map(
    ([phone, rule]) => `  ${phone}  ${String(rule.resultCode).padStart(4)}  ${rule.meaning}`,
  )
  lines.push(
    defaultOutcome === "manual"
      ? "  any other        -   waits for the virtual phone; unanswered prompts end with 1037"
      : "  any other        0   pays",
  )
  return lines
}
