import { z } from "zod"
import { parseAsyncRequestAccepted, type AsyncRequestAccepted } from "./async-request"
import type { DarajaCaller } from "./caller"
import { DARAJA_PATHS } from "./constants"
import { httpUrlField, nonEmpty, occasionField, positiveWholeAmountField, remarksField, shortcodeField, transactionIdField } from "./fields"
import {
  checkInitiatorCredential,
  initiatorCredentialFields,
  resolveSecurityCredential,
  type InitiatorCredentialInput,
  type InitiatorCredentialKey,
} from "./initiator-credential"
import { parseParams } from "./parse"

export const reversalParamsSchema = z
  .object({
    /** API operator username with the "Org Reversals Initiator" role */
    initiator: nonEmpty(),
    /** initiatorPassword + certificatePem, or securityCredential: exactly one form */
    ...initiatorCredentialFields,
    /** the M-Pesa receipt number of the payment to reverse */
    transactionId: transactionIdField,
    amount: positiveWholeAmountField,
    /** the organisation shortcode that received the payment */
    receiverParty: shortcodeField,
    resultUrl: httpUrlField,
    queueTimeOutUrl: httpUrlField,
    remarks: remarksField,
    occasion: occasionField.optional(),
  })
  .superRefine(checkInitiatorCredential)

/** The schema's fields, with the credential narrowed to exactly one of its two forms. */
export type ReversalParams = Omit<z.input<typeof reversalParamsSchema>, InitiatorCredentialKey> & InitiatorCredentialInput

/**
 * Asks M-Pesa to reverse a payment. Not idempotent (a second request could be processed too), so it is sent
 * once; a transport failure is indeterminate and must be settled from the ResultURL callback or a status query.
 */
export async function reversal(caller: DarajaCaller, input: ReversalParams): Promise<AsyncRequestAccepted> {
  const params = parseParams(reversalParamsSchema, input)
  const { securityCredential, secrets } = resolveSecurityCredential(params)
  const endpoint = DARAJA_PATHS.reversal
  const body: Record<string, unknown> = {
    Initiator: params.initiator,
    SecurityCredential: securityCredential,
    CommandID: "TransactionReversal",
    TransactionID: params.transactionId,
    Amount: params.amount,
    ReceiverParty: params.receiverParty,
    // Daraja's own spelling; the correctly spelled "ReceiverIdentifierType" is rejected. 11 = organisation.
    RecieverIdentifierType: "11",
    ResultURL: params.resultUrl,
    QueueTimeOutURL: params.queueTimeOutUrl,
    Remarks: params.remarks,
    // Optional in Daraja: omitted rather than sent empty.
    ...(params.occasion ? { Occasion: params.occasion } : {}),
  }
  const data = await caller.post(endpoint, body, {
    idempotent: false,
    // Result URLs may carry a path secret, like the STK CallBackURL.
    secrets: [...secrets, params.resultUrl, params.queueTimeOutUrl],
  })
  const accepted = parseAsyncRequestAccepted(data, endpoint)
  caller.logger.info("daraja reversal accepted", {
    transactionId: params.transactionId,
    conversationId: accepted.conversationId,
    originatorConversationId: accepted.originatorConversationId,
  })
  return accepted
}
