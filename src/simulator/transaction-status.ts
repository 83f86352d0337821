/**
 * `POST /mpesa/transactionstatus/v1/query`: looks a receipt up in the ledger and POSTs the result to
 * ResultURL after the callback delay. Lookups by OriginalConversationID alone are not supported
 * (the simulator keeps no record of them) and answer "does not exist".
 */
import { z } from "zod"
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
import { digitString, urlField, validateBody } from "./validation"

export const transactionStatusSchema = z
  .object({
    Initiator: initiatorField,
    SecurityCredential: securityCredentialField,
    CommandID: z.literal("TransactionStatusQuery"),
    // Either a receipt or an OriginalConversationID; an empty TransactionID counts as absent. Lenient
    // about the characters because some clients put a conversation id here; it simply is not found.
    TransactionID: z.string().regex(/^[A-Za-z0-9_-]{0,40}$/).optional(),
    OriginalConversationID: z.string().max(100).optional(),
    PartyA: digitString(/^\d{5,12}$/),
    // 1 = MSISDN, 2 = till, 4 = organisation shortcode.
    IdentifierType: digitString(/^(1|2|4)$/),
    ResultURL: urlField,
    QueueTimeOutURL: urlField,
    Remarks: z.string().min(1).max(100),
    Occasion: z.string().max(100).optional(),
  })
  .refine((r) => Boolean(r.TransactionID) || Boolean(r.OriginalConversationID), { path: ["TransactionID"] })

/** Kept as a name of its own for callers; the same needs as every Result request. */
export type TransactionStatusDeps = ResultRequestDeps

export function handleTransactionStatus(body: JsonBody, deps: TransactionStatusDeps): Reply {
  const validated = validateBody(transactionStatusSchema, body, "Initiator")
  if (!validated.ok) return validated.reply
  const request = validated.value
  const conversation = startConversation(deps.ids)
  const now = new Date()

  const base = resultHeader(conversation, { Key: "Occasion", Value: request.Occasion ?? "" })
  const failure = (code: number, desc: string): ResultCallbackBody => ({
    Result: { ...base, ResultCode: code, ResultDesc: desc, TransactionID: deps.ids.placeholderTransactionId(now) },
  })

  const payment = request.TransactionID ? deps.ledger.find(request.TransactionID) : undefined
  // The querying party must be a party to the transaction, or M-Pesa will not show it.
  const isParty = payment && [payment.shortcode, payment.partyB, payment.phoneNumber].includes(request.PartyA)
  let result: ResultCallbackBody
  if (deps.keys.check(request.SecurityCredential).kind !== "valid") {
    result = failure(INVALID_INITIATOR.code, INVALID_INITIATOR.desc)
  } else if (!payment || !isParty) {
    result = failure(2032, "The transaction receipt number does not exist.")
  } else {
    const completed = Number(payment.transactionDate)
    result = {
      Result: {
        ...base,
        ResultCode: 0,
        ResultDesc: SUCCESS_DESC,
        TransactionID: payment.receipt,
        ResultParameters: {
          ResultParameter: [
            { Key: "DebitPartyName", Value: customerPublicName(payment.phoneNumber) },
            {
              Key: "CreditPartyName",
              Value: merchantPublicName(
                payment.transactionType === "CustomerBuyGoodsOnline" ? payment.partyB : payment.shortcode,
                payment.merchantName,
              ),
            },
            { Key: "OriginatorConversationID", Value: conversation.originatorConversationId },
            { Key: "InitiatedTime", Value: completed },
            { Key: "DebitAccountType", Value: "MMF Account For Customer" },
            { Key: "DebitPartyCharges" },
            { Key: "TransactionReason" },
            { Key: "ReasonType", Value: payment.transactionType === "CustomerBuyGoodsOnline" ? "Buy Goods Online" : "Pay Bill Online" },
            // The simulator reports the payment itself; a later reversal is a separate transaction.
            { Key: "TransactionStatus", Value: "Completed" },
            { Key: "FinalisedTime", Value: completed },
            { Key: "Amount", Value: payment.amount },
            { Key: "ConversationID", Value: conversation.conversationId },
            { Key: "ReceiptNo", Value: payment.receipt },
          ],
        },
      },
    }
  }
  scheduleResult("transaction_status", request.ResultURL, result, deps.delivery)
  return acceptedReply(conversation)
}
