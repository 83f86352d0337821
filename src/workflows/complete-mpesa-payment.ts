import { createWorkflow, WorkflowResponse } from "@medusajs/framework/workflows-sdk"
import { claimMpesaCompletionStep } from "./steps/claim-mpesa-completion"
import { completeCartForMpesaPaymentStep } from "./steps/complete-cart-for-mpesa-payment"
import { recordMpesaCompletionStep } from "./steps/record-mpesa-completion"

export type { CompletionResult } from "./steps/record-mpesa-completion"

export const completeMpesaPaymentWorkflowId = "complete-mpesa-payment"

/**
 * Confirmed M-Pesa money -> Medusa order, exactly once: claim the payment
 * (lease), complete its cart through Medusa's own payment flow, record the
 * outcome (done / retry with back-off / money moved or unmatched because its
 * session is gone). Run by the capture subscriber and the reconcile job.
 */
export const completeMpesaPaymentWorkflow = createWorkflow(
  completeMpesaPaymentWorkflowId,
  (input: { transaction_id: string }) => {
    const claimed = claimMpesaCompletionStep(input)
    const result = completeCartForMpesaPaymentStep(claimed)
    const recorded = recordMpesaCompletionStep({ claimed, result })
    return new WorkflowResponse(recorded)
  }
)
