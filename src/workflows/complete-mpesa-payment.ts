import { createWorkflow, transform, when, WorkflowResponse } from "@medusajs/framework/workflows-sdk"
import { acquireLockStep, processPaymentWorkflow, releaseLockStep } from "@medusajs/medusa/core-flows"
import { awaitMpesaSessionWriteStep } from "./steps/await-mpesa-session-write"
import { claimMpesaCompletionStep } from "./steps/claim-mpesa-completion"
import { deleteStrayPaymentSessionsStep } from "./steps/delete-stray-payment-sessions"
import { readMpesaCompletionOutcomeStep } from "./steps/read-mpesa-completion-outcome"
import { recordMpesaCompletionStep } from "./steps/record-mpesa-completion"
import { findOrphanedMedusaPaymentsStep, voidOrphanedMedusaPaymentsStep } from "./steps/void-orphaned-mpesa-payments"

export type { CompletionResult } from "./steps/record-mpesa-completion"

export const completeMpesaPaymentWorkflowId = "complete-mpesa-payment"

/**
 * Confirmed M-Pesa money -> Medusa order, exactly once: claim the payment
 * (lease), wait for Medusa's write of our session answer, make our session
 * the collection's only open one, void any Medusa payment left on a deleted
 * session for the same money (under the cart lock), then hand the money to
 * Medusa's own webhook flow (processPaymentWorkflow, `captured`), which
 * authorizes the session through our provider, captures and completes the
 * cart — even if the shopper closed the browser. What came of it is read
 * back from Medusa and recorded (done / retry with back-off / money moved or
 * unmatched because its session is gone). Run by the capture subscriber and,
 * one payment per run, by the reconcile job.
 */
export const completeMpesaPaymentWorkflow = createWorkflow(completeMpesaPaymentWorkflowId, (input: { transaction_id: string }) => {
  const claimed = claimMpesaCompletionStep(input)
  const gate = awaitMpesaSessionWriteStep(claimed)
  deleteStrayPaymentSessionsStep({ claimed, gate })

  const orphans = findOrphanedMedusaPaymentsStep({ claimed, gate })
  when("orphaned-medusa-payments", { orphans }, ({ orphans }) => orphans.payments.length > 0).then(() => {
    acquireLockStep(transform({ orphans }, ({ orphans }) => ({ key: orphans.lock_key!, timeout: 30, ttl: 120 }))).config({
      name: "lock-cart-for-orphaned-mpesa-payments",
    })
    voidOrphanedMedusaPaymentsStep({ claimed, orphans })
    releaseLockStep(transform({ orphans }, ({ orphans }) => ({ key: orphans.lock_key! }))).config({ name: "unlock-cart-for-orphaned-mpesa-payments" })
  })

  when("mpesa-session-ready", { gate }, ({ gate }) => gate.proceed).then(() => {
    processPaymentWorkflow
      .runAsStep({
        input: transform({ claimed }, ({ claimed }) => ({
          action: "captured" as const,
          data: { session_id: claimed!.session_id, amount: claimed!.amount },
        })),
      })
      // A failure is an outcome, read back from Medusa next, not a reason to stop; and an order
      // Medusa made is never undone because something of ours after it failed.
      .config({ name: "process-mpesa-payment", continueOnPermanentFailure: true, noCompensation: true })
  })

  const result = readMpesaCompletionOutcomeStep({ claimed, gate })
  return new WorkflowResponse(recordMpesaCompletionStep({ claimed, result }))
})
