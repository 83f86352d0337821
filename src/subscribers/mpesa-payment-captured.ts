import type { SubscriberArgs, SubscriberConfig } from "@medusajs/framework"
import { MPESA_PAYMENT_CAPTURED } from "../modules/mpesa"
import { completeMpesaPaymentWorkflow } from "../workflows/complete-mpesa-payment"

/** A push just became paid: complete the cart into an order through Medusa's own flow. */
export default async function mpesaPaymentCaptured({ event, container }: SubscriberArgs<{ id: string }>) {
  await completeMpesaPaymentWorkflow(container).run({ input: { transaction_id: event.data.id } })
}

export const config: SubscriberConfig = {
  event: MPESA_PAYMENT_CAPTURED,
  context: { subscriberId: "mpesa-payment-captured" },
}
