/**
 * `POST /mpesa/reversal/v1/request`. Acknowledged synchronously; the outcome is decided at once (so
 * two racing reversals of one receipt cannot both succeed) and POSTed to ResultURL after the callback delay.
 */
import { z } from "zod"
import { nairobiTimestamp } from "./clock"
import type { JsonBody } from "./http-io"
import type { Reply } from "./replies"
import {
  acceptedReply,
  customerPublicName,
  INVALID_INITIATOR,
  initiatorField,
  merchantPublicName,
  scheduleResult,
  securityCredentialField,
  startConversation,
  SUCCESS_DESC,
  type ResultCallbackBody,
  resultHeader,
  type ResultRequestDeps,
} from "./result-callback"
import { digitString, urlField, validateBody, wholeAmount } from "./validation"

export const reversalSchema = z.object({
  Initiator: initiatorField,
  SecurityCredential: securityCredentialField,
  CommandID: z.literal("TransactionReversal"),
  TransactionID: z.string().regex(/^[A-Za-z0-9]{1,20}$/),
  Amount: wholeAmount(1, 999_999_999),
  ReceiverParty: digitString(/^\d{5,8}$/),
  // Daraja's own spelling. A correctly spelled `ReceiverIdentifierType` alone leaves this key
  // missing and is rejected, as the real API does; clients must send the misspelling.
  RecieverIdentifierType: digitString(/^(1|2|4|11)$/),
  ResultURL: urlField,
  QueueTimeOutURL: urlField,
  Remarks: z.string().min(2).max(100),
  Occasion: z.string().max(100).optional(),
})

/** Kept as a name of its own for callers; the same needs as every Result request. */
export type ReversalDeps = ResultRequestDeps

export function handleReversal(body: JsonBody, deps: ReversalDeps): Reply {
  const validated = validateBody(reversalSchema, body, "Initiator")
  if (!validated.ok) return validated.reply
  const request = validated.value
  const conversation = startConversation(deps.ids)
  const now = new Date()

  const base = resultHeader(conversation, { Key: "QueueTimeoutURL", Value: request.QueueTimeOutURL })
  // Failed results carry a placeholder TransactionID ("SKE0000000"), as Daraja's do.
  const failure = (code: number | string, desc: string): ResultCallbackBody => ({
    Result: { ...base, ResultCode: code, ResultDesc: desc, TransactionID: deps.ids.placeholderTransactionId(now) },
  })

  let result: ResultCallbackBody
  const payment = deps.ledger.find(request.TransactionID)
  if (deps.keys.check(request.SecurityCredential).kind !== "valid") {
    result = failure(INVALID_INITIATOR.code, INVALID_INITIATOR.desc)
  } else if (!payment || (request.ReceiverParty !== payment.shortcode && request.ReceiverParty !== payment.partyB)) {
    // Also for a real receipt reversed "from" another shortcode: to that shortcode it does not exist.
    result = failure("R000002", "The OriginalTransactionID is invalid.")
  } else if (payment.reversedBy) {
    result = failure("R000001", "The transaction has already been reversed.")
  } else {
    const reversalId = deps.ids.receiptNumber(now)
    deps.ledger.markReversed(payment.receipt, reversalId)
    result = {
      Result: {
        ...base,
        ResultCode: 0,
        ResultDesc: SUCCESS_DESC,
        TransactionID: reversalId,
        ResultParameters: {
          ResultParameter: [
            { Key: "Amount", Value: payment.amount },
            { Key: "TransCompletedTime", Value: Number(nairobiTimestamp(now)) },
            { Key: "OriginalTransactionID", Value: payment.receipt },
            { Key: "Charge", Value: 0 },
            { Key: "CreditPartyPublicName", Value: customerPublicName(payment.phoneNumber) },
            { Key: "DebitPartyPublicName", Value: merchantPublicName(payment.shortcode, payment.merchantName) },
          ],
        },
      },
    }
  }
  scheduleResult("reversal", request.ResultURL, result, deps.delivery)
  return acceptedReply(conversation)
}
