import { createStep, StepResponse } from "@medusajs/framework/workflows-sdk"
import { MPESA_MODULE, type IMpesaModuleService } from "../../modules/mpesa"
import type { ClaimedCompletion } from "./claim-mpesa-completion"
import type { CartCompletionOutcome } from "./read-mpesa-completion-outcome"

export type CompletionResult = "completed" | "skipped" | "failed" | "rematched" | "deferred"

/**
 * Writes what the completion attempt achieved onto the ledger: done (only
 * when the order was read back from Medusa); a failure with its back-off
 * (retried for hours, flagged "needs attention" after a few tries); a
 * deferral that counts as nothing (Medusa was still writing the session, so
 * nothing was attempted); or, when the session vanished before its order was
 * made, a fresh decision on where the money belongs.
 */
export const recordMpesaCompletionStep = createStep(
  "record-mpesa-completion",
  async (input: { claimed: ClaimedCompletion; result: CartCompletionOutcome | null }, { container }) => {
    const { claimed, result } = input
    if (!claimed || !result) {
      return new StepResponse<CompletionResult>("skipped")
    }
    const mpesa = container.resolve<IMpesaModuleService>(MPESA_MODULE)
    switch (result.outcome) {
      case "completed":
        await mpesa.markCompleted(claimed.transaction_id)
        return new StepResponse<CompletionResult>("completed")
      case "not_ready":
        await mpesa.deferCompletion(claimed.transaction_id, new Date(result.retry_at))
        return new StepResponse<CompletionResult>("deferred")
      case "session_gone": {
        if (result.attempted) {
          // Medusa's flow ran and no order came of it: a failed attempt (back-off, and "needs attention"
          // if it keeps happening), whatever became of the session. Never a fast loop.
          await mpesa.markCompletionFailed(claimed.transaction_id, result.error ?? "no order")
        }
        const row = await mpesa.getLedgerRow(claimed.transaction_id)
        if (row?.status === "paid" && !row.unmatched && row.payment_session_id && row.payment_session_id !== claimed.session_id) {
          // A new session already took the money over (a second Pay, Medusa re-creating the
          // session): nothing to decide; complete with that session (now, unless this was a failed attempt).
          if (!result.attempted) await mpesa.retryCompletionNow(claimed.transaction_id)
          return new StepResponse<CompletionResult>(result.attempted ? "failed" : "rematched")
        }
        await mpesa.rematchPaid(claimed.transaction_id)
        return new StepResponse<CompletionResult>("rematched")
      }
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
