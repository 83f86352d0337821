import { Module } from "@medusajs/framework/utils"
import validateOptionsLoader from "./loaders/validate-options"
import MpesaModuleService from "./service"

export const MPESA_MODULE = "mpesa"

export default Module(MPESA_MODULE, {
  service: MpesaModuleService,
  loaders: [validateOptionsLoader],
})

export { MpesaModuleService }
export * from "./options"
export * from "./events"
export { callbackUrlPattern } from "./callbacks/callback-url"
export type { MpesaClock } from "./service"
export type { MpesaPaymentView, LedgerStatus, CallbackOutcome } from "./types"
