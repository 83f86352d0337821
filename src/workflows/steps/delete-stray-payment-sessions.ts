import type { IPaymentModuleService } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, Modules } from "@medusajs/framework/utils"
import { createStep, StepResponse } from "@medusajs/framework/workflows-sdk"
import type { SessionGate } from "./await-mpesa-session-write"
import type { ClaimedCompletion } from "./claim-mpesa-completion"

/**
 * Medusa keeps one payment session per payment collection by having each
 * create delete the sessions it saw when it started, without a lock: two
 * creates at once (a double click, two admin tabs attaching the same money,
 * a rollback re-creating the session while a second Pay creates one) each
 * miss the other's session, and both stay open. completeCartWorkflow then
 * authorizes the collection's *first* open session, not the one our money
 * belongs to; our provider rightly refuses it (it owns nothing), and the
 * order is rolled back and retried after a back-off, over and over while the
 * stray session is older.
 *
 * Before completing, this deletes the collection's other sessions the way
 * Medusa's own create would have (through the payment module, so each
 * provider is told: an M-Pesa session that still owned an open prompt is
 * closed, and money paid on it later is unmatched rather than a second
 * payment for a paid cart). Returns how many it deleted.
 */
export const deleteStrayPaymentSessionsStep = createStep(
  "delete-stray-payment-sessions",
  async (input: { claimed: ClaimedCompletion; gate: SessionGate }, { container }) => {
    const { claimed, gate } = input
    if (!claimed?.payment_collection_id || !gate.proceed) return new StepResponse(0)
    const payments = container.resolve<IPaymentModuleService>(Modules.PAYMENT)
    const sessions = await payments.listPaymentSessions({ payment_collection_id: claimed.payment_collection_id }, { select: ["id"] })
    const strays = sessions.filter((s) => s.id !== claimed.session_id)
    for (const stray of strays) {
      await payments.deletePaymentSession(stray.id)
    }
    if (strays.length) {
      container
        .resolve(ContainerRegistrationKeys.LOGGER)
        .info(`M-Pesa: deleted ${strays.length} other open payment session(s) of ${claimed.payment_collection_id} before completing ${claimed.transaction_id} with ${claimed.session_id}`)
    }
    // Not undone if a later step fails: Medusa's own create deletes them the same way.
    return new StepResponse(strays.length)
  }
)
