// What the plugin's `./workflows` export offers a store's own code.
export { completeMpesaPayment, type CompletionResult } from "./complete-mpesa-payment"
export { recordMpesaFailure } from "./record-mpesa-failure"
export { findOrderForPaymentSession, type SessionOrderLookup } from "./queries/order-for-payment-session"
