import type { MedusaContainer } from "@medusajs/framework/types"
import { reconcileMpesaPaymentsWorkflow } from "../workflows/reconcile-mpesa-payments"

/** Runs the reconcile workflow every MPESA_POLL_INTERVAL_MS (default 5 s); all state is in the database. */
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
  schedule: { interval: Number(process.env.MPESA_POLL_INTERVAL_MS || 5_000) },
}
