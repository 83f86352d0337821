import { createStep, createWorkflow, StepResponse, WorkflowResponse } from "@medusajs/framework/workflows-sdk"
import { refundPaymentWorkflow } from "@medusajs/medusa/core-flows"
import { MPESA_MODULE, type IMpesaModuleService } from "../modules/mpesa"
import { findMedusaPaymentForSession } from "./steps/find-medusa-payment-for-mpesa"

/**
 * A refund from Medusa gave up waiting for M-Pesa (and so recorded nothing),
 * then M-Pesa confirmed the reversal: record that refund on the order now,
 * through Medusa's own refund flow (our provider sees the completed reversal
 * and returns without calling Daraja again). One failure never blocks the rest.
 */
const recordLateReversalsStep = createStep("record-late-mpesa-reversals", async (_: undefined, { container }) => {
  const mpesa = container.resolve<IMpesaModuleService>(MPESA_MODULE)
  const logger = container.resolve("logger")
  let recorded = 0
  for (const late of await mpesa.listUnrecordedMedusaReversals()) {
    try {
      const payment = await findMedusaPaymentForSession(container, late.payment_session_id)
      if (!payment) continue
      await refundPaymentWorkflow(container).run({
        input: {
          payment_id: payment.id,
          amount: Math.min(payment.amount - payment.refunded, Number(late.medusa_amount)),
          note: `M-Pesa reversal ${late.refund.reversal_receipt ?? late.refund.id} confirmed after the refund request`,
        },
      })
      recorded++
    } catch (e) {
      logger.warn(`M-Pesa: recording reversal ${late.refund.id} in Medusa failed: ${(e as Error).message}`)
    }
  }
  return new StepResponse(recorded)
})

export const recordLateMpesaReversalsWorkflowId = "record-late-mpesa-reversals"

export const recordLateMpesaReversalsWorkflow = createWorkflow(recordLateMpesaReversalsWorkflowId, () => {
  return new WorkflowResponse(recordLateReversalsStep())
})
