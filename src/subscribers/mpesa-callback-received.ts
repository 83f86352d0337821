import type { SubscriberArgs, SubscriberConfig } from "@medusajs/framework"
import { MPESA_MODULE, type IMpesaModuleService } from "../modules/mpesa"
import { MPESA_CALLBACK_RECEIVED } from "../modules/mpesa"

/** Applies a persisted Daraja callback to the ledger (idempotent; see IMpesaModuleService.processCallback). */
export default async function mpesaCallbackReceived({ event, container }: SubscriberArgs<{ id: string }>) {
  await container.resolve<IMpesaModuleService>(MPESA_MODULE).processCallback(event.data.id)
}

export const config: SubscriberConfig = {
  event: MPESA_CALLBACK_RECEIVED,
  context: { subscriberId: "mpesa-callback-received" },
}
