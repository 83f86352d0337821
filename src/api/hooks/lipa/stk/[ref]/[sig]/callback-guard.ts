import type { MedusaRequest } from "@medusajs/framework/http"

/**
 * The caller's address as Express computes it (req.ip). Medusa sets Express's
 * "trust proxy" to 1, so req.ip is the address one proxy hop in from
 * X-Forwarded-For: correct behind exactly one reverse proxy; with none, a
 * caller can claim any address; with more, set Express's trust proxy to
 * match. The allow-list is a second layer, never the only one.
 */
export function callbackSourceIp(req: MedusaRequest): string | null {
  const ip = req.ip ?? req.socket?.remoteAddress ?? null
  return ip ? ip.replace(/^::ffff:/, "") : null
}

export function isAllowedSource(ip: string | null, allowed: string[] | undefined): boolean {
  if (!allowed || allowed.length === 0) {
    return true
  }
  return !!ip && allowed.includes(ip)
}
