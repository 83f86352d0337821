import { MedusaError } from "@medusajs/framework/utils"
import { createStep, createWorkflow, StepResponse, transform, when, WorkflowResponse } from "@medusajs/framework/workflows-sdk"
import { refundPaymentWorkflow } from "@medusajs/medusa/core-flows"
import { MPESA_MODULE, type IMpesaModuleService } from "../modules/mpesa"
import type { RefundView } from "../modules/mpesa"
import { findMedusaPaymentForSession } from "../queries/medusa-payment-for-session"

export type RecordMpesaOutsideRefundInput = {
  transaction_id: string
  /** whole shillings */
  amount: number
  /** the merchant's reference for the refund (e.g. the Org portal's transaction id) */
  note: string
  /** Medusa user id of the admin */
  actor_id: string
}

const findPaymentStep = createStep("find-medusa-payment-for-mpesa-refund", async (input: RecordMpesaOutsideRefundInput, { container }) => {
  const mpesa = container.resolve<IMpesaModuleService>(MPESA_MODULE)
  const row = await mpesa.getLedgerRow(input.transaction_id)
  if (!row) throw new MedusaError(MedusaError.Types.NOT_FOUND, `M-Pesa payment ${input.transaction_id} was not found`)
  // Only an order's payment is recorded in Medusa too; money without an order (unmatched, or a cart whose
  // order could not be created) lives on our ledger alone. The desk decides whether it may be refunded now.
  const payment = row.unmatched || !row.completed_at ? null : await findMedusaPaymentForSession(container, row.payment_session_id)
  return new StepResponse(payment?.id ?? null)
})

/** Writes the refund on our ledger; undone (marked "not recorded") if Medusa then refuses to record it. */
const openOutsideRefundStep = createStep(
  "open-mpesa-outside-refund",
  async (input: RecordMpesaOutsideRefundInput & { medusa_payment_id: string | null }, { container }) => {
    const refund = await container.resolve<IMpesaModuleService>(MPESA_MODULE).recordOutsideRefund({
      transactionId: input.transaction_id,
      amount: input.amount,
      note: input.note,
      actor: `admin:${input.actor_id}`,
      medusaPaymentId: input.medusa_payment_id,
    })
    return new StepResponse(refund, refund.id)
  },
  async (refundId, { container }) => {
    if (refundId) await container.resolve<IMpesaModuleService>(MPESA_MODULE).abandonOutsideRefund(refundId, "Medusa did not record the refund")
  }
)

const readRefundStep = createStep("read-mpesa-refund", async (refundId: string, { container }) => {
  return new StepResponse((await container.resolve<IMpesaModuleService>(MPESA_MODULE).getRefund(refundId)) as RefundView)
})

export const recordMpesaOutsideRefundWorkflowId = "record-mpesa-outside-refund"

/**
 * A refund the merchant already made outside the plugin (M-Pesa Org portal):
 * recorded on our ledger, audited with who and why, and — for an order's
 * payment — put on the order through Medusa's own refund flow, where our
 * provider completes it without any Daraja call. Nothing is half-written:
 * if Medusa refuses, our ledger marks it "not recorded".
 */
export const recordMpesaOutsideRefundWorkflow = createWorkflow(
  recordMpesaOutsideRefundWorkflowId,
  (input: RecordMpesaOutsideRefundInput) => {
    const medusaPaymentId = findPaymentStep(input)
    const opened = openOutsideRefundStep(
      transform({ input, medusaPaymentId }, ({ input, medusaPaymentId }) => ({ ...input, medusa_payment_id: medusaPaymentId }))
    )
    when({ medusaPaymentId }, ({ medusaPaymentId }) => !!medusaPaymentId).then(() => {
      refundPaymentWorkflow.runAsStep({
        input: transform({ input, medusaPaymentId }, ({ input, medusaPaymentId }) => ({
          payment_id: medusaPaymentId as string,
          amount: input.amount,
          note: `Refunded outside M-Pesa Express: ${input.note}`,
          created_by: input.actor_id,
        })),
      })
    })
    const refund = readRefundStep(transform({ opened }, ({ opened }) => opened.id))
    return new WorkflowResponse({ refund, medusa_payment_id: medusaPaymentId })
  }
)
