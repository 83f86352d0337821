/**
 * `POST /mpesa/reversal/v1/request`. Acknowledged synchronously; the outcome is decided at once (so
 * two racing reversals of one receipt cannot both succeed) and POSTed to ResultURL after the callback delay.
 * The reversalOutcome fault switch bends that: a failure, a queue timeout, or a Result that never arrives.
 * Every request is remembered by its OriginatorConversationID (reversal-log.ts).
 */
import { z } from "zod"
import { nairobiTimestamp } from "./clock"
import type { ReversalOutcome } from "./faults"
import type { JsonBody } from "./http-io"
import type { Reply } from "./replies"
import {
  acceptedReply,
  type Conversation,
  customerPublicName,
  INVALID_INITIATOR,
  initiatorField,
  merchantPublicName,
  queueTimeoutBody,
  scheduleLostResult,
  scheduleResult,
  securityCredentialField,
  startConversation,
  SUCCESS_DESC,
  type ResultCallbackBody,
  resultHeader,
  type ResultRequestDeps,
} from "./result-callback"
import type { ReversalTransaction } from "./reversal-log"
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

type ReversalRequest = z.output<typeof reversalSchema>

export interface ReversalDeps extends ResultRequestDeps {
  /** The reversalOutcome fault switch in force. */
  outcome: ReversalOutcome
}

/** The failure under reversalOutcome "fail": the merchant's account cannot cover the refund. */
export const REVERSAL_FAILURE = { code: 1, desc: "The balance is insufficient for the transaction." } as const

const LOST_RESULT = "reversalOutcome lost_result fault"

export function handleReversal(body: JsonBody, deps: ReversalDeps): Reply {
  const validated = validateBody(reversalSchema, body, "Initiator")
  if (!validated.ok) return validated.reply
  const request = validated.value
  const conversation = startConversation(deps.ids)
  const now = new Date()
  const asked = {
    originatorConversationId: conversation.originatorConversationId,
    conversationId: conversation.conversationId,
    transactionId: request.TransactionID,
    amount: request.Amount,
    receiverParty: request.ReceiverParty,
    reversalOutcome: deps.outcome,
    receivedAt: now.toISOString(),
  }

  if (deps.outcome === "queue_timeout") {
    // The request never left M-Pesa's queue: nothing was checked, decided or reversed, and ResultURL hears nothing.
    scheduleResult("reversal_timeout", request.QueueTimeOutURL, queueTimeoutBody(conversation), deps.delivery)
    deps.reversals.record({ ...asked, processed: false, reversed: null, resultCode: null, resultDesc: null, delivery: "queue_timeout_url" })
    return acceptedReply(conversation)
  }

  const { result, reversed } = decide(request, conversation, deps, now)
  if (deps.outcome === "lost_result") scheduleLostResult("reversal", request.ResultURL, result, deps.delivery, LOST_RESULT)
  else scheduleResult("reversal", request.ResultURL, result, deps.delivery)
  deps.reversals.record({
    ...asked,
    processed: reversed !== null,
    reversed,
    resultCode: result.Result.ResultCode,
    resultDesc: result.Result.ResultDesc,
    delivery: deps.outcome === "lost_result" ? "none" : "result_url",
  })
  return acceptedReply(conversation)
}

interface Decision {
  result: ResultCallbackBody
  /** Set when the payment was reversed. */
  reversed: ReversalTransaction | null
}

/**
 * What M-Pesa makes of the request, in its order: the initiator's credential, the receipt (and who may
 * reverse it), a receipt already reversed, then, under reversalOutcome "fail", the merchant's balance.
 */
function decide(request: ReversalRequest, conversation: Conversation, deps: ReversalDeps, now: Date): Decision {
  const base = resultHeader(conversation, { Key: "QueueTimeoutURL", Value: request.QueueTimeOutURL })
  // Failed results carry a placeholder TransactionID ("SKE0000000"), as Daraja's do.
  const failure = (code: number | string, desc: string): Decision => ({
    result: { Result: { ...base, ResultCode: code, ResultDesc: desc, TransactionID: deps.ids.placeholderTransactionId(now) } },
    reversed: null,
  })

  const payment = deps.ledger.find(request.TransactionID)
  if (deps.keys.check(request.SecurityCredential).kind !== "valid") return failure(INVALID_INITIATOR.code, INVALID_INITIATOR.desc)
  if (!payment || (request.ReceiverParty !== payment.shortcode && request.ReceiverParty !== payment.partyB)) {
    // Also for a real receipt reversed "from" another shortcode: to that shortcode it does not exist.
    return failure("R000002", "The OriginalTransactionID is invalid.")
  }
  if (payment.reversedBy) return failure("R000001", "The transaction has already been reversed.")
  if (deps.outcome === "fail") return failure(REVERSAL_FAILURE.code, REVERSAL_FAILURE.desc)

  const reversalId = deps.ids.receiptNumber(now)
  const completedAt = nairobiTimestamp(now)
  deps.ledger.markReversed(payment.receipt, reversalId)
  return {
    reversed: { transactionId: reversalId, completedAt, payment },
    result: {
      Result: {
        ...base,
        ResultCode: 0,
        ResultDesc: SUCCESS_DESC,
        TransactionID: reversalId,
        ResultParameters: {
          ResultParameter: [
            { Key: "Amount", Value: payment.amount },
            { Key: "TransCompletedTime", Value: Number(completedAt) },
            { Key: "OriginalTransactionID", Value: payment.receipt },
            { Key: "Charge", Value: 0 },
            { Key: "CreditPartyPublicName", Value: customerPublicName(payment.phoneNumber) },
            { Key: "DebitPartyPublicName", Value: merchantPublicName(payment.shortcode, payment.merchantName) },
          ],
        },
      },
    },
  }
}
