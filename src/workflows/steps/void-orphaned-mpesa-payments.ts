import type { ILockingModule, IPaymentModuleService, MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, Modules } from "@medusajs/framework/utils"
import { refundPaymentsWorkflow } from "@medusajs/medusa/core-flows"
import { z } from "zod"
import { MPESA_MODULE, type IMpesaModuleService } from "../../modules/mpesa"
import { findOrderForMpesaPayment } from "../../queries/order-for-mpesa-payment"
import type { ClaimedCompletion } from "./claim-mpesa-completion"

const paymentSchema = z.object({
  id: z.string(),
  amount: z.union([z.number(), z.string()]),
  captured_at: z.coerce.date().nullable(),
  payment_session_id: z.string().nullable(),
  data: z.record(z.string(), z.unknown()).nullish(),
  refunds: z.array(z.object({ id: z.string() })).nullish(),
})

/**
 * M-Pesa money is paid once, but Medusa may already hold a captured payment
 * for it on a session it has since deleted: the first completion attempt
 * captured it, then a second Pay (or a rollback re-creating the session)
 * deleted that session before the order was made. Medusa's own rollback
 * (compensatePaymentIfNeededStep) would refund such a payment, but it looks
 * the payment up through its session and so skips it once the session is
 * gone. Completing with the new session then makes a second captured Medusa
 * payment for the same money, and the order would show it paid twice.
 *
 * Before completing with the new session, this records Medusa's refund of
 * such an orphan, as Medusa's rollback would have: through Medusa's refund
 * flow, which reaches our provider, whose completion-rollback guard answers
 * without moving money (the payment is matched, not completed, its
 * completion is running, no order exists). Done under Medusa's cart lock, so
 * no order can appear between the check and the refund.
 */
export async function voidOrphanedMedusaPayments(container: MedusaContainer, claimed: NonNullable<ClaimedCompletion>): Promise<number> {
  if (!claimed.payment_collection_id) return 0
  const mpesa = container.resolve<IMpesaModuleService>(MPESA_MODULE)
  const row = await mpesa.getLedgerRow(claimed.transaction_id)
  if (!row?.checkout_request_id) return 0
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const { data } = await query.graph({
    entity: "payment",
    fields: ["id", "amount", "captured_at", "payment_session_id", "data", "refunds.id"],
    filters: { payment_collection_id: claimed.payment_collection_id },
  })
  const candidates = z
    .array(paymentSchema)
    .parse(data)
    .filter(
      (p) =>
        p.captured_at &&
        !p.refunds?.length &&
        p.payment_session_id !== claimed.session_id &&
        p.data?.checkout_request_id === row.checkout_request_id
    )
  if (!candidates.length) return 0
  const payments = container.resolve<IPaymentModuleService>(Modules.PAYMENT)
  const live = new Set(
    (await payments.listPaymentSessions({ id: candidates.map((p) => p.payment_session_id!).filter(Boolean) }, { select: ["id"] })).map((s) => s.id)
  )
  const orphans = candidates.filter((p) => !p.payment_session_id || !live.has(p.payment_session_id))
  if (!orphans.length) return 0

  const { cartId } = await findOrderForMpesaPayment(container, { paymentCollectionId: claimed.payment_collection_id, sessionId: claimed.session_id })
  const locking = container.resolve<ILockingModule>(Modules.LOCKING)
  const logger = container.resolve(ContainerRegistrationKeys.LOGGER)
  return locking.execute(
    cartId ?? claimed.payment_collection_id,
    async () => {
      // An order made meanwhile keeps its payment: nothing to void then.
      const { orderId } = await findOrderForMpesaPayment(container, { paymentCollectionId: claimed.payment_collection_id, sessionId: claimed.session_id })
      if (orderId) return 0
      // Never a real Reversal from here: only if our refund guard would answer it without moving money.
      for (const p of orphans) {
        if (!(await mpesa.refundWouldBeKeptForCompletion(claimed.transaction_id, p.amount))) {
          logger.warn(`M-Pesa: Medusa payment ${p.id} on a deleted session left as it is (${claimed.transaction_id} is not awaiting its order)`)
          return 0
        }
      }
      await refundPaymentsWorkflow(container).run({
        input: orphans.map((p) => ({
          payment_id: p.id,
          amount: p.amount,
          note: "M-Pesa: this payment's session was deleted before its order; the money pays the cart's new session (nothing returned)",
        })),
      })
      logger.info(`M-Pesa: voided ${orphans.length} Medusa payment(s) left on a deleted session for ${claimed.transaction_id}`)
      return orphans.length
    },
    { timeout: 30 }
  )
}
