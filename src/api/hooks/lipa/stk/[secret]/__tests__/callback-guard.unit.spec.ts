import { isAllowedSource, secretMatches } from "../callback-guard"

describe("callback guard", () => {
  const secret = "callback-secret-value-0123456789"

  it("accepts only the exact secret", () => {
    expect(secretMatches(secret, secret)).toBe(true)
    expect(secretMatches(secret.slice(0, -1), secret)).toBe(false)
    expect(secretMatches(`${secret}x`, secret)).toBe(false)
    expect(secretMatches("", secret)).toBe(false)
    expect(secretMatches(undefined, secret)).toBe(false)
    expect(secretMatches(secret, "")).toBe(false)
  })

  it("allows every source when no allow-list is configured, else only listed addresses", () => {
    expect(isAllowedSource("1.2.3.4", undefined)).toBe(true)
    expect(isAllowedSource("1.2.3.4", [])).toBe(true)
    expect(isAllowedSource("196.201.214.200", ["196.201.214.200"])).toBe(true)
    expect(isAllowedSource("1.2.3.4", ["196.201.214.200"])).toBe(false)
    expect(isAllowedSource(null, ["196.201.214.200"])).toBe(false)
  })
})
