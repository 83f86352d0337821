/**
 * `GET /oauth/v1/generate?grant_type=client_credentials` and the bearer-token check every other
 * Daraja endpoint runs first.
 */
import type { IncomingHttpHeaders } from "node:http"
import { timingSafeEqual } from "node:crypto"
import { errors, json, type Reply } from "./replies"
import type { IdFactory } from "./ids"

interface IssuedToken {
  token: string
  expiresAt: number
  /** Used once while the expireTokens fault is on; its next use is refused. */
  spent: boolean
}

/** Lenient mode keeps every unexpired token; past this many, the oldest are forgotten to bound memory. */
const MAX_LIVE_TOKENS = 10_000

/**
 * The simulator has one Daraja app (one consumer key). Safaricom's FAQ says each new token invalidates
 * the previous one; with `singleActiveToken` (strict) only the latest token is kept, so two processes that
 * each fetch their own token knock each other out exactly as the FAQ describes. Leniently (the default)
 * every issued token stays good until it expires, as many clients that never cache tokens rely on.
 */
export class TokenStore {
  /** Insertion order is issue order, which makes "oldest" cheap to find. */
  private readonly live = new Map<string, IssuedToken>()

  constructor(
    private readonly ids: IdFactory,
    private readonly ttlSeconds: number,
    private readonly singleActiveToken = false,
  ) {}

  issue(now = Date.now()): { token: string; expiresInSeconds: number } {
    if (this.singleActiveToken) this.live.clear()
    else this.forgetExpired(now)
    const token = this.ids.accessToken()
    this.live.set(token, { token, expiresAt: now + this.ttlSeconds * 1000, spent: false })
    while (this.live.size > MAX_LIVE_TOKENS) this.live.delete(this.live.keys().next().value as string)
    return { token, expiresInSeconds: this.ttlSeconds }
  }

  /** True if `token` may be used now. Under `expireTokens` a token is good for exactly one call. */
  accept(token: string, expireTokens: boolean, now = Date.now()): boolean {
    const issued = this.live.get(token)
    if (!issued) return false
    if (now >= issued.expiresAt) {
      this.live.delete(token)
      return false
    }
    if (expireTokens) {
      if (issued.spent) {
        this.live.delete(token)
        return false
      }
      issued.spent = true
    }
    return true
  }

  /** Called when expireTokens is switched on: every token a client has cached fails on its next use. */
  spendAll(): void {
    for (const issued of this.live.values()) issued.spent = true
  }

  clear(): void {
    this.live.clear()
  }

  /** Every token has the same lifetime, so they expire in issue order: stop at the first live one. */
  private forgetExpired(now: number): void {
    for (const [token, issued] of this.live) {
      if (now < issued.expiresAt) break
      this.live.delete(token)
    }
  }
}

export interface OAuthDeps {
  consumerKey: string
  consumerSecret: string
  tokens: TokenStore
  onIssued: () => void
}

export function handleOAuth(query: URLSearchParams, headers: IncomingHttpHeaders, deps: OAuthDeps): Reply {
  if (query.get("grant_type") !== "client_credentials") return errors.invalidGrantType()
  const credentials = parseBasic(headers.authorization)
  // One answer for a malformed header and for wrong credentials: Daraja does not say which part was wrong.
  if (!credentials || !same(credentials.key, deps.consumerKey) || !same(credentials.secret, deps.consumerSecret)) {
    return errors.invalidAuthentication()
  }
  const { token, expiresInSeconds } = deps.tokens.issue()
  deps.onIssued()
  // Daraja sends expires_in as a string ("3599"); clients must cope with that.
  return json(200, { access_token: token, expires_in: String(expiresInSeconds) })
}

function parseBasic(header: string | undefined): { key: string; secret: string } | null {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? "")
  if (!m) return null
  const decoded = Buffer.from(m[1], "base64").toString("utf8")
  const colon = decoded.indexOf(":")
  if (colon < 0) return null
  return { key: decoded.slice(0, colon), secret: decoded.slice(colon + 1) }
}

function same(a: string, b: string): boolean {
  const ab = Buffer.from(a)
  const bb = Buffer.from(b)
  return ab.length === bb.length && timingSafeEqual(ab, bb)
}

export function bearerToken(headers: IncomingHttpHeaders): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? "")
  return m ? m[1] : null
}
