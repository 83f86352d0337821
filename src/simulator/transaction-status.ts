/**
 * `POST /mpesa/transactionstatus/v1/query`: looks a receipt up in the ledger, or (with no TransactionID)
 * an OriginalConversationID up among the Reversal requests, and POSTs the result to ResultURL after the
 * callback delay. A conversation lookup finds the reversal only if M-Pesa processed it: one that failed or
 * timed out in the queue left no transaction behind, so it "does not exist", like an unknown id.
 */
import { z } from "zod"
import type { JsonBody } from "./http-io"
import type { PaidTransaction } from "./ledger"
import type { Reply } from "./replies"
import {
  acceptedReply,
  type Conversation,
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
  type ResultParameter,
  type ResultRequestDeps,
} from "./result-callback"
import type { ReversalRecord, ReversalTransaction } from "./reversal-log"
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

  const notFound = failure(2032, "The transaction receipt number does not exist.")
  let result: ResultCallbackBody
  if (deps.keys.check(request.SecurityCredential).kind !== "valid") {
    result = failure(INVALID_INITIATOR.code, INVALID_INITIATOR.desc)
  } else if (request.TransactionID) {
    // A receipt wins when both are given (Daraja's sample sends both); the conversation is then ignored.
    const payment = deps.ledger.find(request.TransactionID)
    // The querying party must be a party to the transaction, or M-Pesa will not show it.
    const isParty = payment && [payment.shortcode, payment.partyB, payment.phoneNumber].includes(request.PartyA)
    result = payment && isParty ? { Result: { ...base, ...paymentStatus(payment, conversation) } } : notFound
  } else {
    const record = request.OriginalConversationID ? deps.reversals.find(request.OriginalConversationID) : undefined
    const reversed = record?.reversed
    const isParty =
      record && reversed && [record.receiverParty, reversed.payment.shortcode, reversed.payment.partyB, reversed.payment.phoneNumber].includes(request.PartyA)
    result = record && reversed && isParty ? { Result: { ...base, ...reversalStatus(record, reversed) } } : notFound
  }
  scheduleResult("transaction_status", request.ResultURL, result, deps.delivery)
  return acceptedReply(conversation)
}

type StatusResult = Pick<ResultCallbackBody["Result"], "ResultCode" | "ResultDesc" | "TransactionID" | "ResultParameters">

/** A paid receipt: the payment itself (a later reversal is a transaction of its own). */
function paymentStatus(payment: PaidTransaction, conversation: Conversation): StatusResult {
  const completed = Number(payment.transactionDate)
  return success(payment.receipt, [
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
    { Key: "TransactionStatus", Value: "Completed" },
    { Key: "FinalisedTime", Value: completed },
    { Key: "Amount", Value: payment.amount },
    { Key: "ConversationID", Value: conversation.conversationId },
    { Key: "ReceiptNo", Value: payment.receipt },
  ])
}

/**
 * A processed reversal, found by the OriginatorConversationID of the Reversal request: the reversal's own
 * transaction, money going from the merchant back to the customer. The ids in it are the reversal's, so the
 * caller can match the answer to the request it asked about.
 */
function reversalStatus(record: ReversalRecord, reversed: ReversalTransaction): StatusResult {
  const { payment, transactionId } = reversed
  const completed = Number(reversed.completedAt)
  return success(transactionId, [
    { Key: "DebitPartyName", Value: merchantPublicName(payment.shortcode, payment.merchantName) },
    { Key: "CreditPartyName", Value: customerPublicName(payment.phoneNumber) },
    { Key: "OriginatorConversationID", Value: record.originatorConversationId },
    { Key: "InitiatedTime", Value: completed },
    // Reversals are paid out of the shortcode's utility account, where C2B payments land.
    { Key: "DebitAccountType", Value: "Utility Account" },
    { Key: "DebitPartyCharges" },
    { Key: "TransactionReason" },
    { Key: "ReasonType", Value: "Reversal" },
    { Key: "TransactionStatus", Value: "Completed" },
    { Key: "FinalisedTime", Value: completed },
    { Key: "Amount", Value: payment.amount },
    { Key: "ConversationID", Value: record.conversationId },
    { Key: "ReceiptNo", Value: transactionId },
    { Key: "OriginalTransactionID", Value: payment.receipt },
  ])
}

function success(transactionId: string, parameters: ResultParameter[]): StatusResult {
  return { ResultCode: 0, ResultDesc: SUCCESS_DESC, TransactionID: transactionId, ResultParameters: { ResultParameter: parameters } }
}
