import { z } from "zod"
import { parseAsyncRequestAccepted, type AsyncRequestAccepted } from "./async-request"
import type { DarajaCaller } from "./caller"
import { DARAJA_PATHS } from "./constants"
import { conversationIdField, httpUrlField, nonEmpty, occasionField, remarksField, transactionIdField } from "./fields"
import {
  checkInitiatorCredential,
  initiatorCredentialFields,
  resolveSecurityCredential,
  type InitiatorCredentialInput,
  type InitiatorCredentialKey,
} from "./initiator-credential"
import { parseParams } from "./parse"

export const transactionStatusParamsSchema = z
  .object({
    /** API operator username with the "Transaction Status query ORG API" role */
    initiator: nonEmpty(),
    /** initiatorPassword + certificatePem, or securityCredential: exactly one form */
    ...initiatorCredentialFields,
    /** M-Pesa receipt number to look up */
    transactionId: transactionIdField.optional(),
    /**
     * The OriginatorConversationID of an earlier request of ours (e.g. a Reversal), sent as Daraja's
     * OriginalConversationID: how to learn the outcome of a request whose Result never arrived, when there is
     * no receipt number to ask about.
     */
    originalConversationId: conversationIdField.optional(),
    /** the shortcode (or MSISDN, with identifierType "1") that took part in the transaction */
    partyA: z.string({ error: "must be a string of digits" }).trim().regex(/^\d{5,12}$/, "must be 5 to 12 digits"),
    /** 1 = MSISDN, 2 = till number, 4 = organisation shortcode (default) */
    identifierType: z.enum(["1", "2", "4"], { error: 'must be "1", "2" or "4"' }).optional(),
    resultUrl: httpUrlField,
    queueTimeOutUrl: httpUrlField,
    remarks: remarksField,
    occasion: occasionField.optional(),
  })
  .superRefine(checkInitiatorCredential)
  .superRefine((p, ctx) => {
    if (p.transactionId === undefined && p.originalConversationId === undefined) {
      ctx.addIssue({ code: "custom", path: ["transactionId"], message: "is required, unless originalConversationId is given" })
    }
  })

/** What to look up: a receipt, a conversation, or both (Daraja's own sample sends both). */
export type TransactionStatusLookup =
  | { transactionId: string; originalConversationId?: string }
  | { transactionId?: string; originalConversationId: string }

type LookupKey = "transactionId" | "originalConversationId"

/** The schema's fields, with the credential and the lookup narrowed to the forms Daraja accepts. */
export type TransactionStatusParams = Omit<z.input<typeof transactionStatusParamsSchema>, InitiatorCredentialKey | LookupKey> &
  InitiatorCredentialInput &
  TransactionStatusLookup

/**
 * Reconciliation fallback when a callback never arrived. A read, so it is treated as idempotent and retried on
 * transient failures (a duplicate only produces a duplicate result callback).
 */
export async function transactionStatus(caller: DarajaCaller, input: TransactionStatusParams): Promise<AsyncRequestAccepted> {
  const params = parseParams(transactionStatusParamsSchema, input)
  const { securityCredential, secrets } = resolveSecurityCredential(params)
  const endpoint = DARAJA_PATHS.transactionStatus
  const body: Record<string, unknown> = {
    Initiator: params.initiator,
    SecurityCredential: securityCredential,
    CommandID: "TransactionStatusQuery",
    // Each id is sent only when given: an empty TransactionID beside an OriginalConversationID is noise.
    ...(params.transactionId !== undefined ? { TransactionID: params.transactionId } : {}),
    ...(params.originalConversationId !== undefined ? { OriginalConversationID: params.originalConversationId } : {}),
    PartyA: params.partyA,
    IdentifierType: params.identifierType ?? "4",
    ResultURL: params.resultUrl,
    QueueTimeOutURL: params.queueTimeOutUrl,
    Remarks: params.remarks,
    ...(params.occasion ? { Occasion: params.occasion } : {}),
  }
  const data = await caller.post(endpoint, body, {
    idempotent: true,
    // Result URLs may carry a path secret, like the STK CallBackURL.
    secrets: [...secrets, params.resultUrl, params.queueTimeOutUrl],
  })
  return parseAsyncRequestAccepted(data, endpoint)
}
