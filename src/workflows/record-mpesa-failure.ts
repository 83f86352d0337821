import type { IPaymentModuleService, MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, Modules, PaymentSessionStatus } from "@medusajs/framework/utils"
import type MpesaModuleService from "../modules/mpesa/service"

/**
 * Medusa core ignores `failed`/`canceled` webhook actions, so a declined,
 * cancelled or expired prompt is mirrored onto the payment session here: its
 * status becomes `canceled` or `error` and its data carries the reason, for
 * storefronts that read the cart's payment session rather than our route.
 */
export async function recordMpesaFailure(container: MedusaContainer, transactionId: string): Promise<"recorded" | "skipped"> {
  const mpesa = container.resolve<MpesaModuleService>("mpesa")
  const payments = container.resolve<IPaymentModuleService>(Modules.PAYMENT)
  const logger = container.resolve(ContainerRegistrationKeys.LOGGER)
  const view = await mpesa.getPaymentForCompletion(transactionId)
  if (!view || !["failed", "canceled", "expired"].includes(view.state)) {
    return "skipped"
  }
  try {
    const [session] = await payments.listPaymentSessions({ id: view.session_id })
    if (!session) {
      return "skipped" // Medusa already deleted it (e.g. the shopper started a new session)
    }
    await payments.updatePaymentSession({
      id: session.id,
      amount: session.amount,
      currency_code: session.currency_code,
      data: session.data ?? {},
      status: view.state === "canceled" ? PaymentSessionStatus.CANCELED : PaymentSessionStatus.ERROR,
    })
    return "recorded"
  } catch (e) {
    logger.warn(`M-Pesa: could not record the failure of ${transactionId} on its payment session: ${(e as Error).message}`)
    return "skipped"
  }
}
