/**
 * A success callback in Daraja's exact shape (numeric ResultCode, metadata
 * items), for tests that forge or replay callbacks by hand.
 */
export function successCallbackBody(input: {
  checkoutRequestId: string
  amount: number
  receipt: string
  phone?: number
  merchantRequestId?: string
}) {
  return {
    Body: {
      stkCallback: {
        MerchantRequestID: input.merchantRequestId ?? "forged-merchant-request",
        CheckoutRequestID: input.checkoutRequestId,
        ResultCode: 0,
        ResultDesc: "The service request is processed successfully.",
        CallbackMetadata: {
          Item: [
            { Name: "Amount", Value: input.amount },
            { Name: "MpesaReceiptNumber", Value: input.receipt },
            { Name: "TransactionDate", Value: 20261124120000 },
            { Name: "PhoneNumber", Value: input.phone ?? 254722000111 },
          ],
        },
      },
    },
  }
}
