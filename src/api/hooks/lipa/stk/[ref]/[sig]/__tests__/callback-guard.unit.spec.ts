import { isAllowedSource } from "../callback-guard"
import { callbackSignature, callbackUrlForPush, callbackUrlPattern, verifyCallbackPath } from "../../../../../../../modules/mpesa"

describe("callback guard", () => {
  const secret = "callback-secret-value-0123456789"
  const options = { callbackBaseUrl: "https://shop.example.co.ke/", callbackSecret: secret }

  it("gives every push its own URL that names the push and carries no secret", () => {
    const a = callbackUrlForPush(options, "mpesatx_01JABCDEFGHJKMNPQRSTVWXYZ0")
    const b = callbackUrlForPush(options, "mpesatx_01JABCDEFGHJKMNPQRSTVWXYZ1")
    expect(a).toMatch(/^https:\/\/shop\.example\.co\.ke\/hooks\/lipa\/stk\/01JABCDEFGHJKMNPQRSTVWXYZ0\/[A-Za-z0-9_-]{32}$/)
    expect(a).not.toEqual(b)
    expect(a).not.toContain(secret)
    expect(a.toLowerCase()).not.toContain("mpesa")
    expect(callbackUrlPattern(options)).toBe("https://shop.example.co.ke/hooks/lipa/stk/{push}/{signature}")
  })

  it("accepts only the signature of the push the URL names", () => {
    const id = "mpesatx_01JABCDEFGHJKMNPQRSTVWXYZ0"
    const sig = callbackSignature(secret, id)
    expect(verifyCallbackPath(secret, "01JABCDEFGHJKMNPQRSTVWXYZ0", sig)).toBe(id)
    // A logged URL of one push does not open another push.
    expect(verifyCallbackPath(secret, "01JABCDEFGHJKMNPQRSTVWXYZ1", sig)).toBeNull()
    expect(verifyCallbackPath(secret, "01JABCDEFGHJKMNPQRSTVWXYZ0", sig.slice(0, -1))).toBeNull()
    expect(verifyCallbackPath(secret, "01JABCDEFGHJKMNPQRSTVWXYZ0", `${sig}x`)).toBeNull()
    expect(verifyCallbackPath("another-secret-value-0123456789", "01JABCDEFGHJKMNPQRSTVWXYZ0", sig)).toBeNull()
    expect(verifyCallbackPath(secret, "../../etc", sig)).toBeNull()
    expect(verifyCallbackPath(secret, undefined, sig)).toBeNull()
    expect(verifyCallbackPath("", "01JABCDEFGHJKMNPQRSTVWXYZ0", sig)).toBeNull()
  })

  it("allows every source when no allow-list is configured, else only listed addresses", () => {
    expect(isAllowedSource("1.2.3.4", undefined)).toBe(true)
    expect(isAllowedSource("1.2.3.4", [])).toBe(true)
    expect(isAllowedSource("196.201.214.200", ["196.201.214.200"])).toBe(true)
    expect(isAllowedSource("1.2.3.4", ["196.201.214.200"])).toBe(false)
    expect(isAllowedSource(null, ["196.201.214.200"])).toBe(false)
  })
})
