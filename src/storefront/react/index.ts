/**
 * medusa-payment-mpesa-express/storefront/react — the M-Pesa checkout step for React 18 and 19, on top of
 * the framework-free client (medusa-payment-mpesa-express/storefront).
 */
export { MpesaPhonePrompt } from "./mpesa-phone-prompt"
export type { MpesaPaidResult, MpesaPhonePromptProps } from "./mpesa-phone-prompt"
export { useMpesaCheckout, useRemaining } from "./use-mpesa-checkout"
