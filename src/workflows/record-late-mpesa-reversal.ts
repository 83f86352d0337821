import { createStep, createWorkflow, StepResponse, transform, when, WorkflowResponse } from "@medusajs/framework/workflows-sdk"
import { refundPaymentWorkflow } from "@medusajs/medusa/core-flows"
import { findMedusaPaymentForSession, type MedusaPaymentForMpesa } from "../queries/medusa-payment-for-session"

/** One reversal M-Pesa confirmed after Medusa's refund call stopped waiting (the module's listUnrecordedMedusaReversals). */
export type LateMpesaReversalInput = {
  refund_id: string
  reversal_receipt: string | null
  payment_session_id: string | null
  medusa_amount: string
}

const findPaymentStep = createStep("find-medusa-payment-for-late-mpesa-reversal", async (input: LateMpesaReversalInput, { container }) => {
  return new StepResponse<MedusaPaymentForMpesa | null>(await findMedusaPaymentForSession(container, input.payment_session_id))
})

export const recordLateMpesaReversalWorkflowId = "record-late-mpesa-reversal"

/**
 * A refund from Medusa gave up waiting for M-Pesa (and so recorded nothing),
 * then M-Pesa confirmed the reversal: record that refund on the order now,
 * through Medusa's own refund flow (our provider sees the completed reversal
 * and returns without calling Daraja again). One reversal per run: the
 * reconcile job runs it for each one it finds, so one failure blocks nothing.
 */
export const recordLateMpesaReversalWorkflow = createWorkflow(recordLateMpesaReversalWorkflowId, (input: LateMpesaReversalInput) => {
  const payment = findPaymentStep(input)
  const recorded = when("medusa-payment-found", { payment }, ({ payment }) => !!payment).then(() => {
    refundPaymentWorkflow.runAsStep({
      input: transform({ input, payment }, ({ input, payment }) => ({
        payment_id: payment!.id,
        amount: Math.min(payment!.amount - payment!.refunded, Number(input.medusa_amount)),
        note: `M-Pesa reversal ${input.reversal_receipt ?? input.refund_id} confirmed after the refund request`,
      })),
    })
    return true
  })
  return new WorkflowResponse(transform({ recorded }, ({ recorded }) => !!recorded))
})
