import { createHmac, timingSafeEqual } from "crypto"

/**
 * Which payment collection (cart checkout) a new payment session belongs to.
 * Medusa does not tell providers, and the module needs it: a re-created
 * session re-attaches to its cart's open prompt, takes money already paid
 * for its cart, or takes money an admin attached. Getting it wrong hands one
 * cart's money to another cart, so it is taken only from places a shopper
 * cannot write:
 * - the store request's URL (`/store/payment-collections/:id/payment-sessions`,
 *   carried by the prompt-limit middleware as the prompt request), or
 * - a token this module signed for that collection (HMAC under the callback
 *   secret), which the provider keeps in the session's data. Medusa copies a
 *   session's data when it re-creates the session (its rollback after a failed
 *   order), and the attach workflow asks for one for the collection it chose.
 * Session data posted by a storefront is never trusted on its own.
 */
const SIG_LENGTH = 32

/** The session data key the provider keeps the token under. */
export const COLLECTION_TOKEN_KEY = "mpesa_collection_token"

function signature(secret: string, collectionId: string): string {
  return createHmac("sha256", secret).update(`payment-collection:${collectionId}`).digest("base64url").slice(0, SIG_LENGTH)
}

/** `<collection id>.<signature>`: kept in the session's data as `mpesa_collection_token`. */
export function collectionToken(secret: string, collectionId: string): string {
  return `${collectionId}.${signature(secret, collectionId)}`
}

/** The collection a token names if its signature is right (constant time), else null. */
export function collectionFromToken(secret: string, token: unknown): string | null {
  if (typeof token !== "string" || !secret) return null
  const dot = token.lastIndexOf(".")
  if (dot <= 0) return null
  const collectionId = token.slice(0, dot)
  if (!/^[A-Za-z0-9_]{1,64}$/.test(collectionId)) return null
  const expected = Buffer.from(signature(secret, collectionId))
  const given = Buffer.from(token.slice(dot + 1))
  return given.length === expected.length && timingSafeEqual(given, expected) ? collectionId : null
}
