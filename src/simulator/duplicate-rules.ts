/**
 * Daraja's two documented rules against repeated pushes. Both are on in the lenient and the strict
 * profile (they are documented behaviour, not folklore); the `duplicateRules: false` option turns them
 * off for load tests that push to one phone many times.
 *
 * 1. Subscriber lock. While a prompt is open on a phone (sent, not yet answered and not timed out),
 *    another push to that PhoneNumber, for any amount or shortcode, is refused at once with HTTP 500
 *    `500.001.1001` "Unable to lock subscriber, a transaction is already in process for the current
 *    subscriber" (the `subscriber_locked` rejection) and no second prompt is created.
 * 2. Rule limited. A push with the same PhoneNumber, Amount and BusinessShortCode as a push accepted less
 *    than 2 minutes earlier is accepted (HTTP 200) and then ends with callback ResultCode 17 "Rule
 *    limited." after the usual callback delay; the phone shows nothing. Every accepted push counts as
 *    "a previous one", whatever its result, including one that was itself rule-limited: Safaricom's
 *    mitigation is to wait 2 minutes between such requests.
 *
 * The lock is checked first, so while the earlier prompt is open the client sees the lock; once it has
 * been answered (or timed out), a repeat within the window gets 17. The window is simulated time: like
 * the callback delay and the prompt timeout it is multiplied by `timeScale`.
 */
import type { PromptStore, StkPrompt } from "./prompts"

/** "Transactions were initiated in succession (within 2 minutes) for the same amount to the same customer." */
export const DUPLICATE_WINDOW_MS = 120_000

/** ResultCode for a push inside the duplicate window. */
export const RULE_LIMITED_RESULT_CODE = 17

export type DuplicateCheck =
  | { kind: "clear" }
  /** Refuse the push: `open` is the prompt still waiting on that phone. */
  | { kind: "locked"; open: StkPrompt }
  /** Accept the push and end it with ResultCode 17: `previous` is the push it repeats. */
  | { kind: "rule_limited"; previous: StkPrompt }

export function checkDuplicateRules(
  prompts: PromptStore,
  push: { phoneNumber: string; amount: number; shortcode: string },
  now: number = Date.now(),
): DuplicateCheck {
  const open = prompts.awaitingCustomer(push.phoneNumber)
  if (open) return { kind: "locked", open }
  const previous = prompts.latestSimilar(push, DUPLICATE_WINDOW_MS, now)
  if (previous) return { kind: "rule_limited", previous }
  return { kind: "clear" }
}
