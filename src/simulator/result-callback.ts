/**
 * What Reversal and Transaction Status share: the synchronous acknowledgement, the asynchronous
 * `{Result: …}` body POSTed to ResultURL (or, on a queue timeout, QueueTimeOutURL), the request fields
 * both validate the same way, and the scheduling of that POST.
 */
import { z } from "zod"
import type { CallbackDispatcher, CallbackKind } from "./callbacks"
import type { Scheduler } from "./clock"
import type { IdFactory } from "./ids"
import { json, type Reply } from "./replies"
import type { Ledger } from "./ledger"
import type { ReversalLog } from "./reversal-log"
import { SecurityCredentialKeys } from "./security-credential"

export interface ResultParameter {
  Key: string
  /** Daraja omits Value for empty parameters (e.g. TransactionReason) rather than sending null. */
  Value?: string | number
}

export interface ResultCallbackBody {
  Result: {
    ResultType: 0
    /** 0 on success (a number); failures may be numbers (2001) or strings ("R000002"). */
    ResultCode: number | string
    ResultDesc: string
    OriginatorConversationID: string
    ConversationID: string
    TransactionID: string
    ResultParameters?: { ResultParameter: ResultParameter[] }
    ReferenceData: { ReferenceItem: { Key: string; Value: string } }
  }
}

export const SUCCESS_DESC = "The service request is processed successfully."
export const INVALID_INITIATOR = { code: 2001, desc: "The initiator information is invalid." } as const

export const initiatorField = z.string().min(1).max(100)
export const securityCredentialField = z.string().refine(SecurityCredentialKeys.hasValidShape)

/** One simulated request: its ids, chosen when the request is acknowledged. */
export interface Conversation {
  originatorConversationId: string
  conversationId: string
}

export function startConversation(ids: IdFactory): Conversation {
  return { originatorConversationId: ids.originatorConversationId(), conversationId: ids.conversationId() }
}

/** The fields every `{Result: …}` body of one conversation starts with. */
export function resultHeader(conversation: Conversation, reference: { Key: string; Value: string }) {
  return {
    ResultType: 0 as const,
    OriginatorConversationID: conversation.originatorConversationId,
    ConversationID: conversation.conversationId,
    ReferenceData: { ReferenceItem: reference },
  }
}

/**
 * What the gateway POSTs to QueueTimeOutURL when a request timed out in M-Pesa's queue and was never
 * processed. Safaricom publishes no sample of it; this follows the only concrete one we found (a reversal
 * timeout fixture in the mpesakit SDK's tests): the Result envelope with ResultType 1, ResultCode "1", no
 * TransactionID, no ResultParameters and no ReferenceData. ResultCode 1 is also "balance insufficient" on a
 * ResultURL, so a receiver must tell the two apart by the URL that was called, never by the code.
 */
export interface QueueTimeoutBody {
  Result: {
    ResultType: 1
    ResultCode: "1"
    ResultDesc: string
    OriginatorConversationID: string
    ConversationID: string
  }
}

export const QUEUE_TIMEOUT_DESC = "The service request timed out."

export function queueTimeoutBody(conversation: Conversation): QueueTimeoutBody {
  return {
    Result: {
      ResultType: 1,
      ResultCode: "1",
      ResultDesc: QUEUE_TIMEOUT_DESC,
      OriginatorConversationID: conversation.originatorConversationId,
      ConversationID: conversation.conversationId,
    },
  }
}

export function acceptedReply(conversation: Conversation): Reply {
  return json(200, {
    OriginatorConversationID: conversation.originatorConversationId,
    ConversationID: conversation.conversationId,
    ResponseCode: "0",
    ResponseDescription: "Accept the service request successfully.",
  })
}

/** What a Reversal or Transaction Status handler needs from the simulator. */
export interface ResultRequestDeps {
  ids: IdFactory
  keys: SecurityCredentialKeys
  ledger: Ledger
  /** Reversal requests by OriginatorConversationID: written by Reversal, read by Transaction Status. */
  reversals: ReversalLog
  delivery: ResultDelivery
}

export interface ResultDelivery {
  scheduler: Scheduler
  callbacks: CallbackDispatcher
  /** Simulated delay before the Result is POSTed (the callback delay, with any fault override). */
  delayMs: number
}

/** Anything POSTed to a ResultURL or QueueTimeOutURL: recorded under its ConversationID. */
type ResultEnvelope = { Result: { ConversationID: string } }

export function scheduleResult(kind: CallbackKind, url: string, body: ResultEnvelope, delivery: ResultDelivery): void {
  delivery.scheduler.after(delivery.delayMs, () => {
    void delivery.callbacks.deliver(kind, body.Result.ConversationID, url, body)
  })
}

/** The Result is lost: at the moment it would have been sent, it is recorded as dropped instead. */
export function scheduleLostResult(kind: CallbackKind, url: string, body: ResultEnvelope, delivery: ResultDelivery, why: string): void {
  delivery.scheduler.after(delivery.delayMs, () => {
    delivery.callbacks.drop(kind, body.Result.ConversationID, url, body, why)
  })
}

/** A customer's display name as M-Pesa shows it: "254708374149 - SIMULATED CUSTOMER". */
export function customerPublicName(phone: string): string {
  return `${phone} - SIMULATED CUSTOMER`
}

export function merchantPublicName(shortcode: string, name: string | null): string {
  return `${shortcode} - ${name ?? "Simulated Merchant"}`
}
