import { createHmac, timingSafeEqual } from "crypto"
import type { MpesaOptions } from "../options"

/**
 * Per-request Result URLs for Daraja's asynchronous APIs (Reversal,
 * Transaction Status): {callbackBaseUrl}/hooks/lipa/result/{kind}/{ref}/{sig}.
 * Same rules as the STK callback URL (callback-url.ts): Daraja signs nothing,
 * so each URL carries an HMAC naming exactly one request of ours
 * (mpesa_daraja_request) and one kind of answer, the secret never leaves the
 * server, and no part of the path says "mpesa" (Safaricom rejects such URLs;
 * the id's prefix is dropped). A URL names a request, not a refund: one
 * refund's many Transaction Status checks each get their own, so an answer
 * can be held to the conversation ids of the request it claims to answer.
 */
export const RESULT_ROUTE_PREFIX = "/hooks/lipa/result"

/** The path segment for each answer we ask Daraja for, and the inbox kind it is stored as. */
export const RESULT_KINDS = {
  reversal: "reversal_result",
  "reversal-timeout": "reversal_timeout",
  status: "status_result",
  "status-timeout": "status_timeout",
} as const

export type ResultPathKind = keyof typeof RESULT_KINDS
export type ResultInboxKind = (typeof RESULT_KINDS)[ResultPathKind]

const ID_PREFIX = "mpesarq_"
const SIG_LENGTH = 32

function signature(secret: string, kind: ResultPathKind, requestId: string): string {
  return createHmac("sha256", secret).update(`daraja-result:${kind}:${requestId}`).digest("base64url").slice(0, SIG_LENGTH)
}

export function resultUrl(
  options: Pick<MpesaOptions, "callbackBaseUrl" | "callbackSecret">,
  kind: ResultPathKind,
  requestId: string
): string {
  const ref = requestId.startsWith(ID_PREFIX) ? requestId.slice(ID_PREFIX.length) : requestId
  const base = options.callbackBaseUrl.replace(/\/+$/, "")
  return `${base}${RESULT_ROUTE_PREFIX}/${kind}/${ref}/${signature(options.callbackSecret, kind, requestId)}`
}

/** The request and inbox kind a Result URL names, if its signature is right (constant time); else null. */
export function verifyResultPath(
  secret: string,
  kind: unknown,
  ref: unknown,
  sig: unknown
): { requestId: string; kind: ResultInboxKind } | null {
  if (typeof kind !== "string" || !Object.prototype.hasOwnProperty.call(RESULT_KINDS, kind)) return null
  if (typeof ref !== "string" || typeof sig !== "string" || !/^[0-9A-Za-z]{10,64}$/.test(ref) || !secret) return null
  const pathKind = kind as ResultPathKind
  const requestId = `${ID_PREFIX}${ref}`
  const expected = Buffer.from(signature(secret, pathKind, requestId))
  const given = Buffer.from(sig)
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null
  return { requestId, kind: RESULT_KINDS[pathKind] }
}
