/**
 * What Reversal and Transaction Status share: the synchronous acknowledgement, the asynchronous
 * `{Result: …}` body POSTed to ResultURL, the request fields both validate the same way, and the
 * scheduling of that POST.
 */
import { z } from "zod"
import type { CallbackDispatcher, CallbackKind } from "./callbacks"
import type { Scheduler } from "./clock"
import type { IdFactory } from "./ids"
import { json, type Reply } from "./replies"
import type { Ledger } from "./ledger"
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
  delivery: ResultDelivery
}

export interface ResultDelivery {
  scheduler: Scheduler
  callbacks: CallbackDispatcher
  /** Simulated delay before the Result is POSTed (the callback delay, with any fault override). */
  delayMs: number
}

export function scheduleResult(kind: CallbackKind, resultUrl: string, body: ResultCallbackBody, delivery: ResultDelivery): void {
  delivery.scheduler.after(delivery.delayMs, () => {
    void delivery.callbacks.deliver(kind, body.Result.ConversationID, resultUrl, body)
  })
}

/** A customer's display name as M-Pesa shows it: "254708374149 - SIMULATED CUSTOMER". */
export function customerPublicName(phone: string): string {
  return `${phone} - SIMULATED CUSTOMER`
}

export function merchantPublicName(shortcode: string, name: string | null): string {
  return `${shortcode} - ${name ?? "Simulated Merchant"}`
}
