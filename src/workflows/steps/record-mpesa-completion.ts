import { createStep, StepResponse } from "@medusajs/framework/workflows-sdk"
import type MpesaModuleService from "../../modules/mpesa/service"
import type { ClaimedCompletion } from "./claim-mpesa-completion"
import type { CartCompletionOutcome } from "./complete-cart-for-mpesa-payment"

export type CompletionResult = "completed" | "skipped" | "failed" | "rematched"

/**
 * Writes what the completion attempt achieved onto the ledger: done; a
 * failure with its back-off (retried for hours, flagged "needs attention"
 * after a few tries); or, when the session vanished before its order was
 * made, a fresh decision on where the money belongs.
 */
export const recordMpesaCompletionStep = createStep(
  "record-mpesa-completion",
  async (input: { claimed: ClaimedCompletion; result: CartCompletionOutcome | null }, { container }) => {
    const { claimed, result } = input
    if (!claimed || !result) {
      return new StepResponse<CompletionResult>("skipped")
    }
    const mpesa = container.resolve<MpesaModuleService>("mpesa")
    switch (result.outcome) {
      case "completed":
        await mpesa.markCompleted(claimed.transaction_id)
        return new StepResponse<CompletionResult>("completed")
      case "session_gone":
        await mpesa.rematchPaid(claimed.transaction_id)
        return new StepResponse<CompletionResult>("rematched")
      case "failed": {
        const logger = container.resolve("logger")
        const r = await mpesa.markCompletionFailed(claimed.transaction_id, result.error)
        logger.warn(
          `M-Pesa: completing payment ${claimed.transaction_id} failed (${result.error}); next try ${r?.nextAttemptAt ?? "only by hand"}`
        )
        return new StepResponse<CompletionResult>("failed")
      }
    }
  }
)
