import type { MedusaContainer } from "@medusajs/framework/types"
import type MpesaModuleService from "../modules/mpesa/service"
import { completeMpesaPayment } from "../workflows/complete-mpesa-payment"

/**
 * The fallback for everything a callback can fail to do: queries pushes whose
 * callback is overdue (first no earlier than firstQueryDelayMs after the push,
 * then backing off, one worker per row), expires what cannot be settled,
 * re-applies callbacks left unprocessed by a crash, and completes paid carts
 * whose completion did not finish.
 */
export default async function mpesaReconcile(container: MedusaContainer): Promise<void> {
  const mpesa = container.resolve<MpesaModuleService>("mpesa")
  const logger = container.resolve("logger")
  try {
    mpesa.getConfig()
  } catch {
    return // not configured: the provider already failed the boot loudly
  }
  try {
    const summary = await mpesa.pollDue()
    if (summary.queried || summary.expired || summary.callbacksRetried) {
      logger.info(`M-Pesa reconcile: ${JSON.stringify(summary)}`)
    }
    for (const payment of await mpesa.listAwaitingCompletion({ olderThanMs: 10_000 })) {
      await completeMpesaPayment(container, payment.transaction_id)
    }
  } catch (e) {
    // The next run retries everything: all state is in the database.
    logger.warn(`M-Pesa reconcile run failed: ${(e as Error).message}`)
  }
}

export const config = {
  name: "mpesa-reconcile",
  schedule: { interval: Number(process.env.MPESA_POLL_INTERVAL_MS || 5_000) },
}
