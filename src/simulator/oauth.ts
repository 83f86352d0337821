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

/**
 * The simulator has one Daraja app (one consumer key), and Safaricom documents that each new token
 * invalidates the previous one, so only the latest token is kept. Two processes that each fetch their
 * own token therefore knock each other out here exactly as they would against Daraja.
 */
export class TokenStore {
  private current: IssuedToken | null = null

  constructor(
    private readonly ids: IdFactory,
    private readonly ttlSeconds: number,
  ) {}

  issue(now = Date.now()): { token: string; expiresInSeconds: number } {
    const token = this.ids.accessToken()
    this.current = { token, expiresAt: now + this.ttlSeconds * 1000, spent: false }
    return { token, expiresInSeconds: this.ttlSeconds }
  }

  /** True if `token` may be used now. Under `expireTokens` a token is good for exactly one call. */
  accept(token: string, expireTokens: boolean, now = Date.now()): boolean {
    const current = this.current
    if (!current || current.token !== token) return false
    if (now >= current.expiresAt) {
      this.current = null
      return false
    }
    if (expireTokens) {
      if (current.spent) {
        this.current = null
        return false
      }
      current.spent = true
    }
    return true
  }

  /** Called when expireTokens is switched on: the token a client has cached fails on its next use. */
  spendAll(): void {
    if (this.current) this.current.spent = true
  }

  clear(): void {
    this.current = null
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
