import { z } from "zod"
import type { LedgerRow } from "./types"
import type { SessionReadiness } from "./types"

/**
 * Medusa writes our answer onto its payment session right after our
 * provider's initiatePayment returns (PaymentModuleService.createPaymentSession:
 * insert the session, call the provider, then `update({ data, status })`).
 * That trailing write replaces the session's status and data. If the order
 * flow authorizes the session before it lands (a callback that beat a slow
 * session POST), the write puts the status back to pending/captured under
 * Medusa's own completeCartWorkflow, whose authorizePaymentSessionStep then
 * fails ("Payment authorization failed") and rolls the order back, refund
 * included. So completion starts only once that write is in.
 */

/** After our answer, how long Medusa may take to write it (one UPDATE; generous for a loaded database). */
export const ANSWER_WRITE_MARGIN_MS = 3_000

/** Beyond the push's own time limits: a session POST still running after this has died. */
const POST_DEADLINE_MARGIN_MS = 5_000

/** What completion reads of Medusa's session; parsed, never trusted as typed. */
export const sessionSnapshotSchema = z.object({
  id: z.string(),
  data: z.record(z.string(), z.unknown()).nullish(),
  created_at: z.coerce.date(),
})

export type SessionSnapshot = z.infer<typeof sessionSnapshotSchema>


export function sessionReadiness(
  row: Pick<LedgerRow, "answered_session_id" | "session_answered_at">,
  session: SessionSnapshot,
  now: Date,
  requestTimeoutMs: number
): SessionReadiness {
  // Our answer carries the session's own id, which nobody knows before Medusa creates the row:
  // seeing it means Medusa's write (or a later authorization) is in.
  if (session.data?.session_id === session.id) {
    return { ready: true, why: "Medusa saved our answer for this session" }
  }
  if (row.answered_session_id === session.id && row.session_answered_at) {
    // Answered, but the data does not show it: Medusa died between our answer and its write
    // (its write will never come), or the write is still on its way.
    const by = new Date(new Date(row.session_answered_at).getTime() + ANSWER_WRITE_MARGIN_MS)
    return by <= now
      ? { ready: true, why: "our answer is older than Medusa's write can take" }
      : { ready: false, why: "Medusa has not yet written our answer onto the session", readyBy: by }
  }
  // Never answered for this session: the session POST is still inside our provider (the push's
  // HTTP answer is slow), or its process died there. Token + push are each bounded by requestTimeoutMs.
  const by = new Date(session.created_at.getTime() + 2 * requestTimeoutMs + POST_DEADLINE_MARGIN_MS)
  return by <= now
    ? { ready: true, why: "the session POST cannot still be running" }
    : { ready: false, why: "Medusa is still creating the payment session", readyBy: by }
}
