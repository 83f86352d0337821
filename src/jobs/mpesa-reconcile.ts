import type { MedusaContainer } from "@medusajs/framework/types"
import { reconcileIntervalMs } from "../modules/mpesa"
import { completeMpesaPaymentWorkflow } from "../workflows/complete-mpesa-payment"
import { reconcileMpesaPaymentsWorkflow } from "../workflows/reconcile-mpesa-payments"
import { recordLateMpesaReversalWorkflow } from "../workflows/record-late-mpesa-reversal"

/**
 * Every `pollIntervalMs` (MPESA_POLL_INTERVAL_MS, default 5 s): the reconcile
 * workflow, then one workflow per row it found due — each paid cart's
 * completion, each late reversal's record in Medusa — so one row's failure
 * neither blocks nor rolls back the others. All state is in the database:
 * whatever fails here is due again on the next run.
 */
export default async function mpesaReconcile(container: MedusaContainer): Promise<void> {
  const logger = container.resolve("logger")
  try {
    const { result } = await reconcileMpesaPaymentsWorkflow(container).run()
    const { polled, refundsChecked, dueCompletions, lateReversals } = result
    const completions: Record<string, number> = {}
    for (const transactionId of dueCompletions) {
      const outcome = await completeMpesaPaymentWorkflow(container)
        .run({ input: { transaction_id: transactionId } })
        .then(({ result }) => result)
        .catch((e: unknown) => {
          logger.warn(`M-Pesa: completing payment ${transactionId} failed: ${(e as Error).message}`)
          return "failed" as const
        })
      completions[outcome] = (completions[outcome] ?? 0) + 1
    }
    let lateReversalsRecorded = 0
    for (const late of lateReversals) {
      try {
        const { result: recorded } = await recordLateMpesaReversalWorkflow(container).run({ input: late })
        if (recorded) lateReversalsRecorded++
      } catch (e) {
        logger.warn(`M-Pesa: recording reversal ${late.refund_id} in Medusa failed: ${(e as Error).message}`)
      }
    }
    if (polled.queried || polled.expired || polled.callbacksRetried || dueCompletions.length || refundsChecked || lateReversalsRecorded) {
      logger.info(`M-Pesa reconcile: ${JSON.stringify({ ...polled, completions, refundsChecked, lateReversalsRecorded })}`)
    }
  } catch (e) {
    // The next run retries everything.
    logger.warn(`M-Pesa reconcile run failed: ${(e as Error).message}`)
  }
}

export const config = {
  name: "mpesa-reconcile",
  // Read when Medusa loads this job, which is after the module validated its options.
  get schedule() {
    return { interval: reconcileIntervalMs() }
  },
}
