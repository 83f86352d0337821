import type { SubscriberArgs, SubscriberConfig } from "@medusajs/framework"
import { MPESA_PAYMENT_CAPTURED } from "../modules/mpesa/events"
import { completeMpesaPayment } from "../workflows/complete-mpesa-payment"

/** A push just became paid: complete the cart into an order through Medusa's own flow. */
export default async function mpesaPaymentCaptured({ event, container }: SubscriberArgs<{ id: string }>) {
  await completeMpesaPayment(container, event.data.id)
}

export const config: SubscriberConfig = {
  event: MPESA_PAYMENT_CAPTURED,
  context: { subscriberId: "mpesa-payment-captured" },
}
