/**
 * The STK result callback, exactly as Daraja sends it: ResultCode is a number, and CallbackMetadata
 * is present only on success (failure callbacks have none at all, not an empty list).
 */
import type { StkPrompt } from "./prompts"

export interface StkCallbackItem {
  Name: "Amount" | "MpesaReceiptNumber" | "TransactionDate" | "PhoneNumber"
  Value: number | string
}

export interface StkCallbackBody {
  Body: {
    stkCallback: {
      MerchantRequestID: string
      CheckoutRequestID: string
      ResultCode: number
      ResultDesc: string
      CallbackMetadata?: { Item: StkCallbackItem[] }
    }
  }
}

export function stkCallbackBody(prompt: StkPrompt): StkCallbackBody {
  const resultCode = prompt.resultCode ?? 1037
  const stkCallback: StkCallbackBody["Body"]["stkCallback"] = {
    MerchantRequestID: prompt.merchantRequestId,
    CheckoutRequestID: prompt.checkoutRequestId,
    ResultCode: resultCode,
    ResultDesc: prompt.resultDesc ?? "",
  }
  if (resultCode === 0 && prompt.mpesaReceiptNumber && prompt.transactionDate) {
    stkCallback.CallbackMetadata = {
      Item: [
        { Name: "Amount", Value: prompt.amount },
        { Name: "MpesaReceiptNumber", Value: prompt.mpesaReceiptNumber },
        // Daraja sends the date and the phone as JSON numbers, not strings.
        { Name: "TransactionDate", Value: Number(prompt.transactionDate) },
        { Name: "PhoneNumber", Value: Number(prompt.phoneNumber) },
      ],
    }
  }
  return { Body: { stkCallback } }
}
