import { Module } from "@medusajs/framework/utils"
import validateOptionsLoader from "./loaders/validate-options"
import MpesaModuleService from "./service"

import { MPESA_MODULE } from "./module-name"

export { MPESA_MODULE }

export default Module(MPESA_MODULE, {
  service: MpesaModuleService,
  loaders: [validateOptionsLoader],
})

/*
 * The module's one public face. Code outside src/modules/mpesa imports from
 * here (or, for types only, from ./types); `scripts/check-module-boundary.js`
 * fails CI when it reaches into any other file of the module.
 */
export * from "./types"
export type { MpesaClock } from "./service-base"
export { MPESA_CALLBACK_RECEIVED, MPESA_PAYMENT_CAPTURED, MPESA_PAYMENT_FAILED, MPESA_REFUND_SETTLED } from "./events"

// Options: the one schema (the loader validates with it; the provider's validateOptions reuses it).
export { mpesaOptionsSchema, parseMpesaOptions, mpesaOptionsFromEnv, SAFARICOM_CALLBACK_IPS, CALLBACK_ROUTE_PREFIX } from "./options"

// The reconcile job's schedule: the validated pollIntervalMs (the job cannot be handed the container).
export { reconcileIntervalMs } from "./loaders/loaded-options"

// Money rules the provider and workflows call rather than repeat.
export { toWholeShillings, roundToShillings, assertKes, MIN_KES, MAX_KES } from "./amount"
export { MESSAGES as SHOPPER_MESSAGES } from "./customer-messages"

// The signed token naming a session's payment collection, kept in the session's data under this key.
export { COLLECTION_TOKEN_KEY } from "./callbacks/collection-token"

// The signed callback and result URLs, for the routes Daraja posts to.
export { callbackSignature, callbackUrlPattern, callbackUrlForPush, verifyCallbackPath } from "./callbacks/callback-url"
export { resultUrl, verifyResultPath, RESULT_ROUTE_PREFIX } from "./callbacks/result-url"

// Prompt limits, for the store middleware in front of Medusa's payment-session route.
export { pickClientAddress } from "./prompt-limits/client-address"
export { promptLimitMessage } from "./prompt-limits/messages"
export { withPromptRequest, type PromptRequest } from "./prompt-limits/prompt-request"
export { promptLimitsSchema } from "./prompt-limits/options"

// Settings, for tests and tooling that seal secrets the way the admin does.
export { SecretBox } from "./settings/secret-box"
export { PAUSED_SHOPPER_MESSAGE } from "./settings/pause-notice"
