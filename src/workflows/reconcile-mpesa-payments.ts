import { createStep, createWorkflow, StepResponse, WorkflowResponse } from "@medusajs/framework/workflows-sdk"
import { MPESA_MODULE, type IMpesaModuleService } from "../modules/mpesa"
import { completeMpesaPaymentWorkflow } from "./complete-mpesa-payment"
import { recordLateMpesaReversalsWorkflow } from "./record-late-mpesa-reversals"

const pollDarajaStep = createStep("poll-mpesa-payments", async (_: undefined, { container }) => {
  return new StepResponse(await container.resolve<IMpesaModuleService>(MPESA_MODULE).pollDue())
})

/** Runs the completion workflow for every paid payment whose (re)try is due; one failure never blocks the rest. */
const completeDuePaymentsStep = createStep("complete-due-mpesa-payments", async (_: undefined, { container }) => {
  const mpesa = container.resolve<IMpesaModuleService>(MPESA_MODULE)
  const results: Record<string, number> = {}
  for (const payment of await mpesa.listDueForCompletion()) {
    const { result } = await completeMpesaPaymentWorkflow(container).run({
      input: { transaction_id: payment.transaction_id },
    })
    results[result] = (results[result] ?? 0) + 1
  }
  return new StepResponse(results)
})

/** Reversals whose result is late or doubtful: Transaction Status, or the request sent again. */
const checkRefundsStep = createStep("check-mpesa-refunds", async (_: undefined, { container }) => {
  return new StepResponse(await container.resolve<IMpesaModuleService>(MPESA_MODULE).checkRefundsDue())
})

const recordLateReversalsStep = createStep("record-late-mpesa-reversals-in-medusa", async (_: undefined, { container }) => {
  const { result } = await recordLateMpesaReversalsWorkflow(container).run()
  return new StepResponse(result)
})

export const reconcileMpesaPaymentsWorkflowId = "reconcile-mpesa-payments"

/**
 * The fallback for everything a callback can fail to do: status queries for
 * overdue pushes (bounded per push), expiry, bounded re-checks of stored
 * callbacks (restart recovery), completion of paid carts whose order is
 * still missing (with back-off), reversals whose result is late or doubtful,
 * and reversals confirmed after Medusa's refund call stopped waiting.
 */
export const reconcileMpesaPaymentsWorkflow = createWorkflow(reconcileMpesaPaymentsWorkflowId, () => {
  const polled = pollDarajaStep()
  const completions = completeDuePaymentsStep()
  const refundsChecked = checkRefundsStep()
  const lateReversalsRecorded = recordLateReversalsStep()
  return new WorkflowResponse({ polled, completions, refundsChecked, lateReversalsRecorded })
})
