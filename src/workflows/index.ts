// What the plugin's `./workflows` export offers a store's own code.
export { completeMpesaPaymentWorkflow, completeMpesaPaymentWorkflowId, type CompletionResult } from "./complete-mpesa-payment"
export { recordMpesaFailureWorkflow, recordMpesaFailureWorkflowId } from "./record-mpesa-failure"
export { reconcileMpesaPaymentsWorkflow, reconcileMpesaPaymentsWorkflowId } from "./reconcile-mpesa-payments"
export { attachMpesaPaymentToCartWorkflow, attachMpesaPaymentToCartWorkflowId } from "./attach-mpesa-payment-to-cart"
export { recordMpesaOutsideRefundWorkflow, recordMpesaOutsideRefundWorkflowId } from "./record-mpesa-outside-refund"
export { reverseUnmatchedMpesaPaymentWorkflow, reverseUnmatchedMpesaPaymentWorkflowId } from "./reverse-unmatched-mpesa-payment"
export { recordLateMpesaReversalWorkflow, recordLateMpesaReversalWorkflowId, type LateMpesaReversalInput } from "./record-late-mpesa-reversal"
