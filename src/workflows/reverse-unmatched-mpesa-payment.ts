import { createStep, createWorkflow, StepResponse, WorkflowResponse } from "@medusajs/framework/workflows-sdk"
import { MPESA_MODULE, type IMpesaModuleService } from "../modules/mpesa"

export type ReverseUnmatchedMpesaPaymentInput = { transaction_id: string; actor_id: string; note?: string | null }

const reverseStep = createStep("reverse-unmatched-mpesa-payment", async (input: ReverseUnmatchedMpesaPaymentInput, { container }) => {
  const mpesa = container.resolve<IMpesaModuleService>(MPESA_MODULE)
  return new StepResponse(await mpesa.reverseUnmatched(input.transaction_id, `admin:${input.actor_id}`, input.note ?? null))
})

export const reverseUnmatchedMpesaPaymentWorkflowId = "reverse-unmatched-mpesa-payment"

/**
 * Gives money that has no order back to the customer with a Daraja Reversal
 * of the whole payment. There is nothing to compensate: a reversal sent
 * cannot be recalled, and our ledger follows it to its result.
 */
export const reverseUnmatchedMpesaPaymentWorkflow = createWorkflow(
  reverseUnmatchedMpesaPaymentWorkflowId,
  (input: ReverseUnmatchedMpesaPaymentInput) => new WorkflowResponse(reverseStep(input))
)
