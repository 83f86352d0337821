// What the plugin's `./workflows` export offers a store's own code.
export { completeMpesaPaymentWorkflow, completeMpesaPaymentWorkflowId, type CompletionResult } from "./complete-mpesa-payment"
export { recordMpesaFailureWorkflow, recordMpesaFailureWorkflowId } from "./record-mpesa-failure"
export { reconcileMpesaPaymentsWorkflow, reconcileMpesaPaymentsWorkflowId } from "./reconcile-mpesa-payments"
