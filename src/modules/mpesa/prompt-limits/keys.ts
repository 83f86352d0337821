import { createHash, createHmac } from "crypto"
import { isIP } from "net"

/**
 * Row keys for the prompt-limit table. Phone numbers and client addresses are
 * personal data, so only a digest of them is stored: an HMAC keyed with a
 * deployment secret when one is given (a plain SHA-256 of a 12-digit phone
 * number could be reversed by trying every number), else a domain-separated
 * SHA-256. Payment collection ids are stored as they are (hashed only when
 * they do not look like an id), which keeps the table readable for support.
 */
export type KeyHasher = (kind: string, value: string) => string

export function keyHasher(secret?: string | null): KeyHasher {
  return (kind, value) => {
    const input = `mpesa-prompt-limit|${kind}|${value}`
    const digest = secret
      ? createHmac("sha256", secret).update(input).digest("hex")
      : createHash("sha256").update(input).digest("hex")
    return digest.slice(0, 40)
  }
}

/** `phone:<digest>` for a normalised MSISDN (2547XXXXXXXX). */
export function phoneKey(msisdn: string, hash: KeyHasher): string {
  return `phone:${hash("phone", msisdn)}`
}

/** `pc:<id>` for a payment collection; anything unusual (long, odd characters) is hashed. */
export function paymentCollectionKey(id: string, hash: KeyHasher): string {
  return /^[A-Za-z0-9_-]{1,64}$/.test(id) ? `pc:${id}` : `pc:#${hash("pc", id)}`
}

/** `ip:<digest>` of the normalised client address (see `clientAddressBucket`). */
export function clientKey(ip: string, hash: KeyHasher): string {
  return `ip:${hash("ip", clientAddressBucket(ip))}`
}

/**
 * The unit a client limit counts: an IPv4 address, or the /64 network of an
 * IPv6 address (one subscriber usually holds a whole /64, so counting single
 * IPv6 addresses would let one client rotate through billions of them).
 * IPv4-mapped IPv6 (`::ffff:1.2.3.4`) counts as the IPv4 address.
 */
export function clientAddressBucket(raw: string): string {
  let ip = raw.trim().toLowerCase()
  const zone = ip.indexOf("%")
  if (zone >= 0) ip = ip.slice(0, zone)
  if (ip.startsWith("[") && ip.endsWith("]")) ip = ip.slice(1, -1)
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(ip)
  if (mapped) return mapped[1]
  const version = isIP(ip)
  if (version === 4) return ip
  if (version === 6) {
    const groups = expandIpv6(ip)
    if (groups) return `${groups.slice(0, 4).join(":")}::/64`
  }
  return ip // not an address (should not happen with Express): counted as given
}

/** Eight 4-digit hex groups, or null if `ip` does not parse. */
function expandIpv6(ip: string): string[] | null {
  let text = ip
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text)
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number)
    const hex = (n: number) => n.toString(16)
    text = `${text.slice(0, v4.index)}${hex((a << 8) | b)}:${hex((c << 8) | d)}`
  }
  const halves = text.split("::")
  if (halves.length > 2) return null
  const left = halves[0] ? halves[0].split(":") : []
  const right = halves.length === 2 && halves[1] ? halves[1].split(":") : []
  const missing = 8 - left.length - right.length
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null
  const groups = [...left, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...right]
  if (groups.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return null
  return groups.map((g) => g.padStart(4, "0"))
}
