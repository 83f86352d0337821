import type { IPaymentModuleService } from "@medusajs/framework/types"
import { Modules } from "@medusajs/framework/utils"
import { createStep, StepResponse } from "@medusajs/framework/workflows-sdk"
import { MPESA_MODULE, type IMpesaModuleService } from "../../modules/mpesa"
import type { ClaimedCompletion } from "./claim-mpesa-completion"
import type { CartCompletionOutcome } from "./read-mpesa-completion-outcome"

/** Whether the completion goes on to Medusa's flow; if not, the outcome to record (nothing was attempted). */
export type SessionGate = { proceed: boolean; outcome: CartCompletionOutcome | null }

/** How long one attempt waits in place for Medusa's session write before handing back to the sweep. */
const READY_WAIT_MS = 2_000
const READY_POLL_MS = 200
/** A deferred completion is looked at again this soon (the write usually lands within milliseconds). */
const NOT_READY_RECHECK_MS = 1_000

/**
 * The completion starts only once Medusa has written our answer onto the
 * session (session-readiness.ts): before that, authorizing races the session
 * POST's own write and Medusa rolls its order back. Waits a little in place,
 * then defers to the sweep; a session that is gone is an outcome too.
 */
export const awaitMpesaSessionWriteStep = createStep("await-mpesa-session-write", async (claimed: ClaimedCompletion, { container }) => {
  if (!claimed) return new StepResponse<SessionGate>({ proceed: false, outcome: null })
  const payments = container.resolve<IPaymentModuleService>(Modules.PAYMENT)
  const mpesa = container.resolve<IMpesaModuleService>(MPESA_MODULE)
  const deadline = Date.now() + READY_WAIT_MS
  for (;;) {
    const [session] = await payments.listPaymentSessions({ id: claimed.session_id }, { select: ["id", "data", "created_at"] })
    if (!session) {
      return new StepResponse<SessionGate>({ proceed: false, outcome: { outcome: "session_gone", attempted: false } })
    }
    const readiness = await mpesa.completionReadiness(claimed.transaction_id, session)
    if (!readiness || readiness.ready) return new StepResponse<SessionGate>({ proceed: true, outcome: null })
    if (Date.now() >= deadline) {
      const retryAt = new Date(Math.min(readiness.readyBy.getTime(), Date.now() + NOT_READY_RECHECK_MS))
      return new StepResponse<SessionGate>({ proceed: false, outcome: { outcome: "not_ready", why: readiness.why, retry_at: retryAt.toISOString() } })
    }
    await new Promise((r) => setTimeout(r, READY_POLL_MS))
  }
})
