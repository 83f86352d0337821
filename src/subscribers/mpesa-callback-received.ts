import type { SubscriberArgs, SubscriberConfig } from "@medusajs/framework"
import type MpesaModuleService from "../modules/mpesa/service"
import { MPESA_CALLBACK_RECEIVED } from "../modules/mpesa/events"

/** Applies a persisted Daraja callback to the ledger (idempotent; see MpesaModuleService.processCallback). */
export default async function mpesaCallbackReceived({ event, container }: SubscriberArgs<{ id: string }>) {
  await container.resolve<MpesaModuleService>("mpesa").processCallback(event.data.id)
}

export const config: SubscriberConfig = {
  event: MPESA_CALLBACK_RECEIVED,
  context: { subscriberId: "mpesa-callback-received" },
}
