import { mpesaOptionsFromEnv, parseMpesaOptions } from "../../options"
import { pickClientAddress } from "../client-address"

const SOCKET = "10.0.0.5" // the peer Medusa's socket sees: the nearest proxy, or the caller itself

describe("pickClientAddress", () => {
  it("0 hops (Medusa exposed directly): the socket's address, X-Forwarded-For ignored", () => {
    expect(pickClientAddress(SOCKET, "203.0.113.7", 0)).toBe(SOCKET)
    expect(pickClientAddress(SOCKET, "192.0.2.1, 203.0.113.7", 0)).toBe(SOCKET)
    expect(pickClientAddress(SOCKET, undefined, 0)).toBe(SOCKET)
  })

  it("1 hop (one proxy or load balancer): the last X-Forwarded-For entry, whatever the caller put before it", () => {
    expect(pickClientAddress(SOCKET, "203.0.113.7", 1)).toBe("203.0.113.7")
    expect(pickClientAddress(SOCKET, "192.0.2.1, 198.51.100.9 ,203.0.113.7", 1)).toBe("203.0.113.7")
    // Repeated headers (Node joins them; some callers hand an array).
    expect(pickClientAddress(SOCKET, ["192.0.2.1", "203.0.113.7"], 1)).toBe("203.0.113.7")
  })

  it("2 hops (Cloudflare + nginx): the second entry from the right, the one Cloudflare appended", () => {
    // forged, the client (added by Cloudflare), Cloudflare's edge (added by nginx)
    expect(pickClientAddress(SOCKET, "192.0.2.1, 203.0.113.7, 172.70.1.1", 2)).toBe("203.0.113.7")
    expect(pickClientAddress(SOCKET, "203.0.113.7, 172.70.1.1", 2)).toBe("203.0.113.7")
    // A request that reached nginx without Cloudflare: the entry nginx vouches for.
    expect(pickClientAddress(SOCKET, "198.51.100.4", 2)).toBe("198.51.100.4")
  })

  it("falls back to the socket's address when no proxy reported one", () => {
    expect(pickClientAddress(SOCKET, undefined, 1)).toBe(SOCKET)
    expect(pickClientAddress(SOCKET, " , ", 2)).toBe(SOCKET)
    expect(pickClientAddress(undefined, undefined, 1)).toBeNull()
  })
})

describe("trustedProxyHops option", () => {
  const base = {
    consumerKey: "key",
    consumerSecret: "secret",
    shortcode: "174379",
    passkey: "passkey",
    callbackBaseUrl: "https://shop.example.com",
    callbackSecret: "test-callback-secret-0123456789abcdef",
  }
  const RULE = /trustedProxyHops: trustedProxyHops \(MPESA_TRUSTED_PROXY_HOPS\) must be a whole number of proxy hops from 0 .* to 10/

  it("defaults to 1, as Medusa's trust proxy", () => {
    expect(parseMpesaOptions(base).trustedProxyHops).toBe(1)
  })

  it("accepts 0 to 10 and refuses anything else, naming the field and the rule", () => {
    expect(parseMpesaOptions({ ...base, trustedProxyHops: 0 }).trustedProxyHops).toBe(0)
    expect(parseMpesaOptions({ ...base, trustedProxyHops: 10 }).trustedProxyHops).toBe(10)
    for (const bad of [-1, 11, 1.5, "2"]) {
      expect(() => parseMpesaOptions({ ...base, trustedProxyHops: bad })).toThrow(RULE)
    }
  })

  it("is read from MPESA_TRUSTED_PROXY_HOPS; unset or empty is the default, junk is refused", () => {
    const env = (v?: string) => ({ ...mpesaOptionsFromEnv({ MPESA_TRUSTED_PROXY_HOPS: v }), ...base })
    expect(parseMpesaOptions(env("2")).trustedProxyHops).toBe(2)
    expect(parseMpesaOptions(env(" 0 ")).trustedProxyHops).toBe(0)
    expect(parseMpesaOptions(env(undefined)).trustedProxyHops).toBe(1)
    expect(parseMpesaOptions(env("")).trustedProxyHops).toBe(1)
    for (const bad of ["two", "1.5", "-1", "11"]) {
      expect(() => parseMpesaOptions(env(bad))).toThrow(RULE)
    }
  })
})
