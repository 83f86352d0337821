import type { MedusaContainer } from "@medusajs/framework/types"
import { reconcileIntervalMs } from "../modules/mpesa"
import { reconcileMpesaPaymentsWorkflow } from "../workflows/reconcile-mpesa-payments"

/** Runs the reconcile workflow every `pollIntervalMs` (MPESA_POLL_INTERVAL_MS, default 5 s); all state is in the database. */
export default async function mpesaReconcile(container: MedusaContainer): Promise<void> {
  const logger = container.resolve("logger")
  try {
    const { result } = await reconcileMpesaPaymentsWorkflow(container).run()
    const { polled, completions, refundsChecked, lateReversalsRecorded } = result
    if (polled.queried || polled.expired || polled.callbacksRetried || Object.keys(completions).length || refundsChecked || lateReversalsRecorded) {
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
