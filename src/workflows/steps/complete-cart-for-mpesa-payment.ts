import type { IPaymentModuleService } from "@medusajs/framework/types"
import { Modules } from "@medusajs/framework/utils"
import { createStep, StepResponse } from "@medusajs/framework/workflows-sdk"
import { processPaymentWorkflow } from "@medusajs/medusa/core-flows"
import { MPESA_MODULE, type IMpesaModuleService } from "../../modules/mpesa"
import { findOrderForMpesaPayment } from "../../queries/order-for-mpesa-payment"
import type { ClaimedCompletion } from "./claim-mpesa-completion"
import { deleteStrayPaymentSessions } from "./delete-stray-payment-sessions"
import { voidOrphanedMedusaPayments } from "./void-orphaned-mpesa-payments"

export type CartCompletionOutcome =
  | { outcome: "completed"; order_id: string | null }
  /** the session is gone; `attempted`: Medusa's flow ran first (and its rollback may have deleted it) */
  | { outcome: "session_gone"; attempted: boolean; error?: string }
  /** Medusa is still writing the session: nothing was attempted, try again at `retry_at` */
  | { outcome: "not_ready"; why: string; retry_at: string }
  | { outcome: "failed"; error: string }

/** How long one attempt waits in place for Medusa's session write before handing back to the sweep. */
const READY_WAIT_MS = 2_000
const READY_POLL_MS = 200
/** A deferred completion is looked at again this soon (the write usually lands within milliseconds). */
const NOT_READY_RECHECK_MS = 1_000

/**
 * Hands confirmed money to Medusa's own webhook flow (processPaymentWorkflow
 * with a `captured` action): it authorizes the session through our provider
 * (which answers `captured` from the ledger), captures the payment and
 * completes the cart into an order — even if the shopper closed the browser.
 *
 * Two rules keep Medusa's rollbacks from passing for success:
 * - it starts only once Medusa has written our answer onto the session
 *   (session-readiness.ts); before that, authorizing races the session
 *   POST's own write and Medusa rolls its order back;
 * - "completed" means the order exists now, read back from Medusa's links.
 *   processPaymentWorkflow returning says nothing: it continues past a cart
 *   completion that failed and was compensated (continueOnPermanentFailure).
 * A failure is an outcome, not a throw: the next step records it.
 */
export const completeCartForMpesaPaymentStep = createStep(
  "complete-cart-for-mpesa-payment",
  async (claimed: ClaimedCompletion, { container }) => {
    if (!claimed) {
      return new StepResponse<CartCompletionOutcome | null>(null)
    }
    const payments = container.resolve<IPaymentModuleService>(Modules.PAYMENT)
    const mpesa = container.resolve<IMpesaModuleService>(MPESA_MODULE)
    const readSession = async () =>
      (await payments.listPaymentSessions({ id: claimed.session_id }, { select: ["id", "data", "created_at"] }))[0]

    let workflowError: string | null = null
    try {
      const deadline = Date.now() + READY_WAIT_MS
      for (;;) {
        const session = await readSession()
        if (!session) {
          return new StepResponse<CartCompletionOutcome | null>({ outcome: "session_gone", attempted: false })
        }
        const readiness = await mpesa.completionReadiness(claimed.transaction_id, session)
        if (!readiness || readiness.ready) break
        if (Date.now() >= deadline) {
          const retryAt = new Date(Math.min(readiness.readyBy.getTime(), Date.now() + NOT_READY_RECHECK_MS))
          return new StepResponse<CartCompletionOutcome | null>({ outcome: "not_ready", why: readiness.why, retry_at: retryAt.toISOString() })
        }
        await new Promise((r) => setTimeout(r, READY_POLL_MS))
      }
      // Medusa completes with the collection's first open session: ours must be the only one.
      await deleteStrayPaymentSessions(container, claimed)
      await voidOrphanedMedusaPayments(container, claimed)
      await processPaymentWorkflow(container).run({
        input: { action: "captured", data: { session_id: claimed.session_id, amount: claimed.amount } },
      })
    } catch (e) {
      workflowError = e instanceof Error ? e.message : String(e)
    }

    try {
      const { cartId, orderId } = await findOrderForMpesaPayment(container, {
        paymentCollectionId: claimed.payment_collection_id,
        sessionId: claimed.session_id,
      })
      // A cart's order may also come from a concurrent storefront completion; an order's own
      // payment collection (an attach to an order) is done only when our capture went through.
      if (orderId && (cartId || !workflowError)) {
        return new StepResponse<CartCompletionOutcome | null>({ outcome: "completed", order_id: orderId })
      }
      if (!(await readSession())) {
        // Medusa deleted the session during the attempt (a rollback re-creating it, a second Pay).
        return new StepResponse<CartCompletionOutcome | null>({
          outcome: "session_gone",
          attempted: true,
          error: workflowError ?? "Medusa did not complete the cart into an order and its payment session was deleted meanwhile",
        })
      }
      return new StepResponse<CartCompletionOutcome | null>({
        outcome: "failed",
        error: workflowError ?? (cartId ? "Medusa did not complete the cart into an order (or rolled the order back)" : "no order for this payment"),
      })
    } catch (e) {
      return new StepResponse<CartCompletionOutcome | null>({ outcome: "failed", error: e instanceof Error ? e.message : String(e) })
    }
  }
)
