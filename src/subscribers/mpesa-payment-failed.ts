import type { SubscriberArgs, SubscriberConfig } from "@medusajs/framework"
import { MPESA_PAYMENT_FAILED } from "../modules/mpesa"
import { recordMpesaFailureWorkflow } from "../workflows/record-mpesa-failure"

/** A push ended without money: show the reason on Medusa's payment session too. */
export default async function mpesaPaymentFailed({ event, container }: SubscriberArgs<{ id: string }>) {
  await recordMpesaFailureWorkflow(container).run({ input: { transaction_id: event.data.id } })
}

export const config: SubscriberConfig = {
  event: MPESA_PAYMENT_FAILED,
  context: { subscriberId: "mpesa-payment-failed" },
}
