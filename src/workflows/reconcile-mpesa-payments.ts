import { createStep, createWorkflow, StepResponse, WorkflowResponse } from "@medusajs/framework/workflows-sdk"
import { MPESA_MODULE, type IMpesaModuleService } from "../modules/mpesa"
import type { LateMpesaReversalInput } from "./record-late-mpesa-reversal"

const pollDarajaStep = createStep("poll-mpesa-payments", async (_: undefined, { container }) => {
  return new StepResponse(await container.resolve<IMpesaModuleService>(MPESA_MODULE).pollDue())
})

/** Reversals whose result is late or doubtful: Transaction Status, or the request sent again. */
const checkRefundsStep = createStep("check-mpesa-refunds", async (_: undefined, { container }) => {
  return new StepResponse(await container.resolve<IMpesaModuleService>(MPESA_MODULE).checkRefundsDue())
})

/** Paid payments whose order is due (first try or a retry after back-off): the job completes each in its own workflow. */
const listDueCompletionsStep = createStep("list-due-mpesa-completions", async (_: undefined, { container }) => {
  const due = await container.resolve<IMpesaModuleService>(MPESA_MODULE).listDueForCompletion()
  return new StepResponse(due.map((p) => p.transaction_id))
})

/** Reversals M-Pesa confirmed after Medusa stopped waiting: the job records each in Medusa in its own workflow. */
const listLateReversalsStep = createStep("list-late-mpesa-reversals", async (_: undefined, { container }) => {
  const late = await container.resolve<IMpesaModuleService>(MPESA_MODULE).listUnrecordedMedusaReversals()
  return new StepResponse<LateMpesaReversalInput[]>(
    late.map((l) => ({
      refund_id: l.refund.id,
      reversal_receipt: l.refund.reversal_receipt,
      payment_session_id: l.payment_session_id,
      medusa_amount: l.medusa_amount,
    }))
  )
})

export const reconcileMpesaPaymentsWorkflowId = "reconcile-mpesa-payments"

/**
 * The fallback for everything a callback can fail to do: status queries for
 * overdue pushes (bounded per push), expiry, bounded re-checks of stored
 * callbacks (restart recovery), and reversals whose result is late or
 * doubtful. It also names what is due per row — paid carts whose order is
 * still missing, reversals confirmed after Medusa's refund call stopped
 * waiting — which the scheduled job then runs one workflow each for
 * (completeMpesaPaymentWorkflow, recordLateMpesaReversalWorkflow).
 */
export const reconcileMpesaPaymentsWorkflow = createWorkflow(reconcileMpesaPaymentsWorkflowId, () => {
  const polled = pollDarajaStep()
  const refundsChecked = checkRefundsStep()
  const dueCompletions = listDueCompletionsStep()
  const lateReversals = listLateReversalsStep()
  return new WorkflowResponse({ polled, refundsChecked, dueCompletions, lateReversals })
})
