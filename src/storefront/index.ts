/**
 * medusa-payment-mpesa-express/storefront — framework-free browser (and Node) client for the M-Pesa
 * checkout step. Imports nothing of the server: see src/storefront/__tests__/bundle.unit.spec.ts.
 */
export { createMpesaClient, DEFAULT_POLLING, MPESA_PROVIDER_ID } from "./client"
export type { FollowOptions, MpesaClient, MpesaClientOptions, PollingOptions } from "./client"
export { createMpesaCheckout, SAME_NUMBER_WAIT_MS } from "./checkout"
export type { MpesaCheckout, MpesaCheckoutOptions, MpesaCheckoutState } from "./checkout"
export { checkPhone, maskPhone, parseKenyanPhone } from "./phone"
export type { PhoneCheck } from "./phone"
export { formatCountdown, formatKes } from "./format"
export { fetchTransport, sdkTransport } from "./transport"
export type { FetchTransportOptions, MedusaSdkLike, StoreRequest, StoreResponse } from "./transport"
export type { MpesaOutcome, MpesaPayment, MpesaPaymentState, MpesaStartFailure, MpesaStartResult } from "./types"
