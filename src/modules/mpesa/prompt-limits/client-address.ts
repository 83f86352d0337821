import { z } from "zod"

/**
 * Which address the client-address prompt limit counts. Each proxy in front
 * of Medusa appends the address it received the request from to
 * X-Forwarded-For, so only the rightmost entries (one per proxy of ours) are
 * facts; everything to their left is whatever the caller chose to send.
 * `trustedProxyHops` says how many of those proxies there are.
 */
export const MAX_TRUSTED_PROXY_HOPS = 10

const hopsMessage = `trustedProxyHops (MPESA_TRUSTED_PROXY_HOPS) must be a whole number of proxy hops from 0 (Medusa is reached directly) to ${MAX_TRUSTED_PROXY_HOPS}`

/** Default 1, as Medusa's own `trust proxy` setting: one proxy or load balancer in front of Medusa. */
export const trustedProxyHopsSchema = z
  .number({ error: hopsMessage })
  .int(hopsMessage)
  .min(0, hopsMessage)
  .max(MAX_TRUSTED_PROXY_HOPS, hopsMessage)
  .default(1)

/**
 * MPESA_TRUSTED_PROXY_HOPS: unset or empty means the default; anything that
 * is not a plain whole number is passed through unchanged so that the schema
 * rejects it with the message above.
 */
export function trustedProxyHopsFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const v = env.MPESA_TRUSTED_PROXY_HOPS
  if (v === undefined || v.trim() === "") return undefined
  return /^\s*\d+\s*$/.test(v) ? Number(v) : (v as unknown as number)
}

/**
 * The client's address with `hops` trusted proxies in front of Medusa, as
 * Express's `trust proxy = <hops>` computes `req.ip`:
 * - 0: the socket's peer; X-Forwarded-For is ignored (nothing vouches for it);
 * - N: the Nth X-Forwarded-For entry from the right, the one our outermost
 *   proxy appended. With fewer entries than N (a request that skipped a
 *   proxy), the leftmost one, the furthest any of our proxies vouches for.
 * `forwardedFor` is the raw header (repeated headers arrive joined by ", ").
 */
export function pickClientAddress(
  socketAddress: string | null | undefined,
  forwardedFor: string | string[] | null | undefined,
  hops: number
): string | null {
  const socket = socketAddress?.trim() || null
  if (hops <= 0) {
    return socket
  }
  const header = Array.isArray(forwardedFor) ? forwardedFor.join(",") : forwardedFor ?? ""
  const entries = header
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
  if (!entries.length) {
    return socket
  }
  return entries[Math.max(0, entries.length - hops)]
}
