import { createHmac, timingSafeEqual } from "crypto"
import { CALLBACK_ROUTE_PREFIX, type MpesaOptions } from "../options"

/**
 * Per-push callback URLs: {callbackBaseUrl}/hooks/lipa/stk/{ref}/{sig}, where
 * `ref` is the ledger row's id without its prefix (the prefix contains
 * "mpesa", which Safaricom refuses in callback URLs) and `sig` is an HMAC of
 * that id under the callback secret.
 *
 * Why: Daraja does not sign callbacks, and request paths end up in access
 * logs (Medusa's own http log, proxies, CDNs). With one shared secret in the
 * path, one leaked log line would let anyone post callbacks for every
 * payment. A per-push signature names exactly one push, and Daraja only
 * calls (and a log only records) that URL once the push has an answer — so a
 * logged URL names a push that is already settled, and the secret itself
 * never leaves the server.
 */
const ID_PREFIX = "mpesatx_"
const SIG_LENGTH = 32

export function callbackSignature(secret: string, transactionId: string): string {
  return createHmac("sha256", secret).update(`stk-callback:${transactionId}`).digest("base64url").slice(0, SIG_LENGTH)
}

export function callbackUrlForPush(
  options: Pick<MpesaOptions, "callbackBaseUrl" | "callbackSecret">,
  transactionId: string
): string {
  const ref = transactionId.startsWith(ID_PREFIX) ? transactionId.slice(ID_PREFIX.length) : transactionId
  const base = options.callbackBaseUrl.replace(/\/+$/, "")
  return `${base}${CALLBACK_ROUTE_PREFIX}/${ref}/${callbackSignature(options.callbackSecret, transactionId)}`
}

/** The shape shown to merchants (admin, README): the per-push parts as placeholders. */
export function callbackUrlPattern(options: Pick<MpesaOptions, "callbackBaseUrl">): string {
  return `${options.callbackBaseUrl.replace(/\/+$/, "")}${CALLBACK_ROUTE_PREFIX}/{push}/{signature}`
}

/**
 * The ledger id a callback URL names, if its signature is right (constant
 * time); null otherwise, so the route can answer like any unknown path.
 */
export function verifyCallbackPath(secret: string, ref: unknown, sig: unknown): string | null {
  if (typeof ref !== "string" || typeof sig !== "string" || !/^[0-9A-Za-z]{10,64}$/.test(ref) || !secret) {
    return null
  }
  const transactionId = `${ID_PREFIX}${ref}`
  const expected = Buffer.from(callbackSignature(secret, transactionId))
  const given = Buffer.from(sig)
  if (given.length !== expected.length) {
    return null
  }
  return timingSafeEqual(given, expected) ? transactionId : null
}
