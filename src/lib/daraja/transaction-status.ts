import { z } from "zod"
import { parseAsyncRequestAccepted, type AsyncRequestAccepted } from "./async-request"
import type { DarajaCaller } from "./caller"
import { DARAJA_PATHS } from "./constants"
import { httpUrlField, nonEmpty, occasionField, remarksField, transactionIdField } from "./fields"
import { parseParams } from "./parse"
import { encryptSecurityCredential } from "./security-credential"

export const transactionStatusParamsSchema = z.object({
  /** API operator username with the "Transaction Status query ORG API" role */
  initiator: nonEmpty(),
  initiatorPassword: nonEmpty(),
  certificatePem: nonEmpty(),
  /** M-Pesa receipt number (or OriginatorConversationID) to look up */
  transactionId: transactionIdField,
  /** the shortcode (or MSISDN, with identifierType "1") that took part in the transaction */
  partyA: z.string({ error: "must be a string of digits" }).trim().regex(/^\d{5,12}$/, "must be 5 to 12 digits"),
  /** 1 = MSISDN, 2 = till number, 4 = organisation shortcode (default) */
  identifierType: z.enum(["1", "2", "4"], { error: 'must be "1", "2" or "4"' }).optional(),
  resultUrl: httpUrlField,
  queueTimeOutUrl: httpUrlField,
  remarks: remarksField,
  occasion: occasionField.optional(),
})

export type TransactionStatusParams = z.input<typeof transactionStatusParamsSchema>

/**
 * Reconciliation fallback when a callback never arrived. A read, so it is treated as idempotent and retried on
 * transient failures (a duplicate only produces a duplicate result callback).
 */
export async function transactionStatus(caller: DarajaCaller, input: TransactionStatusParams): Promise<AsyncRequestAccepted> {
  const params = parseParams(transactionStatusParamsSchema, input)
  const securityCredential = encryptSecurityCredential(params.initiatorPassword, params.certificatePem)
  const endpoint = DARAJA_PATHS.transactionStatus
  const body: Record<string, unknown> = {
    Initiator: params.initiator,
    SecurityCredential: securityCredential,
    CommandID: "TransactionStatusQuery",
    TransactionID: params.transactionId,
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
    secrets: [params.initiatorPassword, securityCredential, params.resultUrl, params.queueTimeOutUrl],
  })
  return parseAsyncRequestAccepted(data, endpoint)
}
