import { PaymentSessionStatus } from "@medusajs/framework/utils"
import type { MpesaPaymentView } from "../../modules/mpesa"

/** The one mapper from ledger state to Medusa's session status. */
export function statusFromView(view: MpesaPaymentView): PaymentSessionStatus {
  switch (view.state) {
    case "paid":
      // Paid after the session was closed: the money is on the ledger as unmatched, not this session's.
      return view.unmatched ? PaymentSessionStatus.CANCELED : PaymentSessionStatus.CAPTURED
    case "canceled":
      return PaymentSessionStatus.CANCELED
    case "failed":
    case "expired":
      return PaymentSessionStatus.ERROR
    default:
      return PaymentSessionStatus.PENDING
  }
}

/** What the storefront may read from the session: never a secret or a full phone number. */
export function sessionDataFromView(view: MpesaPaymentView): Record<string, unknown> {
  return {
    session_id: view.session_id,
    checkout_request_id: view.checkout_request_id,
    mpesa_state: view.state,
    phone_masked: view.phone,
    amount_kes: view.amount,
    message: view.message,
    retryable: view.retryable,
    result_code: view.result_code,
    mpesa_receipt_number: view.mpesa_receipt_number,
    expires_at: view.expires_at,
  }
}
