import type { IPaymentModuleService } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, Modules } from "@medusajs/framework/utils"
import { createStep, StepResponse } from "@medusajs/framework/workflows-sdk"
import { z } from "zod"
import { MPESA_MODULE, type IMpesaModuleService } from "../../modules/mpesa"
import { findOrderForMpesaPayment } from "../../queries/order-for-mpesa-payment"
import type { SessionGate } from "./await-mpesa-session-write"
import type { ClaimedCompletion } from "./claim-mpesa-completion"

const paymentSchema = z.object({
  id: z.string(),
  amount: z.union([z.number(), z.string()]),
  captured_at: z.coerce.date().nullable(),
  payment_session_id: z.string().nullable(),
  data: z.record(z.string(), z.unknown()).nullish(),
  refunds: z.array(z.object({ id: z.string() })).nullish(),
})

/** Captured Medusa payments left on deleted sessions for this M-Pesa money, and the cart lock to void them under. */
export type OrphanedPayments = { lock_key: string | null; payments: { id: string; amount: string | number }[] }

/*
 * M-Pesa money is paid once, but Medusa may already hold a captured payment
 * for it on a session it has since deleted: the first completion attempt
 * captured it, then a second Pay (or a rollback re-creating the session)
 * deleted that session before the order was made. Medusa's own rollback
 * (compensatePaymentIfNeededStep) would refund such a payment, but it looks
 * the payment up through its session and so skips it once the session is
 * gone. Completing with the new session then makes a second captured Medusa
 * payment for the same money, and the order would show it paid twice.
 *
 * Before completing with the new session, the workflow records Medusa's
 * refund of such an orphan, as Medusa's rollback would have: through
 * Medusa's payment module, which reaches our provider, whose
 * completion-rollback guard answers without moving money (the payment is
 * matched, not completed, its completion is running, no order exists).
 * Under Medusa's cart lock (acquireLockStep in the workflow), so no order
 * can appear between the check and the refund.
 */

/** Finds the orphans (no lock yet: most completions have none, and take no lock for nothing). */
export const findOrphanedMedusaPaymentsStep = createStep(
  "find-orphaned-medusa-payments",
  async (input: { claimed: ClaimedCompletion; gate: SessionGate }, { container }) => {
    const { claimed, gate } = input
    const none = new StepResponse<OrphanedPayments>({ lock_key: null, payments: [] })
    if (!claimed?.payment_collection_id || !gate.proceed) return none
    const row = await container.resolve<IMpesaModuleService>(MPESA_MODULE).getLedgerRow(claimed.transaction_id)
    if (!row?.checkout_request_id) return none
    const { data } = await container.resolve(ContainerRegistrationKeys.QUERY).graph({
      entity: "payment",
      fields: ["id", "amount", "captured_at", "payment_session_id", "data", "refunds.id"],
      filters: { payment_collection_id: claimed.payment_collection_id },
    })
    const candidates = z
      .array(paymentSchema)
      .parse(data)
      .filter(
        (p) => p.captured_at && !p.refunds?.length && p.payment_session_id !== claimed.session_id && p.data?.checkout_request_id === row.checkout_request_id
      )
    if (!candidates.length) return none
    const live = new Set(
      (
        await container
          .resolve<IPaymentModuleService>(Modules.PAYMENT)
          .listPaymentSessions({ id: candidates.map((p) => p.payment_session_id!).filter(Boolean) }, { select: ["id"] })
      ).map((s) => s.id)
    )
    const orphans = candidates.filter((p) => !p.payment_session_id || !live.has(p.payment_session_id))
    if (!orphans.length) return none
    const { cartId } = await findOrderForMpesaPayment(container, { paymentCollectionId: claimed.payment_collection_id, sessionId: claimed.session_id })
    return new StepResponse<OrphanedPayments>({
      lock_key: cartId ?? claimed.payment_collection_id,
      payments: orphans.map((p) => ({ id: p.id, amount: p.amount })),
    })
  }
)

/** Under the cart lock: voids the orphans if no order appeared meanwhile and our guard would move no money. */
export const voidOrphanedMedusaPaymentsStep = createStep(
  "void-orphaned-medusa-payments",
  async (input: { claimed: ClaimedCompletion; orphans: OrphanedPayments }, { container }) => {
    const { claimed, orphans } = input
    if (!claimed || !orphans.payments.length) return new StepResponse(0)
    const logger = container.resolve(ContainerRegistrationKeys.LOGGER)
    // An order made meanwhile keeps its payment: nothing to void then.
    const { orderId } = await findOrderForMpesaPayment(container, { paymentCollectionId: claimed.payment_collection_id, sessionId: claimed.session_id })
    if (orderId) return new StepResponse(0)
    const mpesa = container.resolve<IMpesaModuleService>(MPESA_MODULE)
    // Never a real Reversal from here: only if our refund guard would answer it without moving money.
    for (const p of orphans.payments) {
      if (!(await mpesa.refundWouldBeKeptForCompletion(claimed.transaction_id, p.amount))) {
        logger.warn(`M-Pesa: Medusa payment ${p.id} on a deleted session left as it is (${claimed.transaction_id} is not awaiting its order)`)
        return new StepResponse(0)
      }
    }
    const payments = container.resolve<IPaymentModuleService>(Modules.PAYMENT)
    for (const p of orphans.payments) {
      await payments.refundPayment({
        payment_id: p.id,
        amount: p.amount,
        note: "M-Pesa: this payment's session was deleted before its order; the money pays the cart's new session (nothing returned)",
      })
    }
    logger.info(`M-Pesa: voided ${orphans.payments.length} Medusa payment(s) left on a deleted session for ${claimed.transaction_id}`)
    return new StepResponse(orphans.payments.length)
  }
)
