import { parseMpesaOptions } from "../../options"
import { promptLimitsFromEnv, promptLimitsSchema } from "../options"

describe("promptLimitsSchema", () => {
  it("defaults to 3 per phone / 10 min, 5 per payment collection / 24 h, 20 per client / 10 min, enabled", () => {
    expect(promptLimitsSchema.parse({})).toEqual({
      enabled: true,
      phone: { max: 3, windowSeconds: 600 },
      paymentCollection: { max: 5, windowSeconds: 86_400 },
      client: { max: 20, windowSeconds: 600 },
    })
  })

  it("is part of the module options, defaulted when left out", () => {
    const base = {
      consumerKey: "key",
      consumerSecret: "secret",
      shortcode: "174379",
      passkey: "passkey",
      callbackBaseUrl: "https://shop.example.com",
      callbackSecret: "test-callback-secret-0123456789abcdef",
    }
    expect(parseMpesaOptions(base).promptLimits).toEqual(promptLimitsSchema.parse({}))
    expect(parseMpesaOptions({ ...base, promptLimits: { phone: { max: 1 } } }).promptLimits.phone.max).toBe(1)
    expect(() => parseMpesaOptions({ ...base, promptLimits: { phone: { max: -1 } } })).toThrow(
      /promptLimits\.phone\.max: promptLimits\.phone\.max \(MPESA_LIMIT_PHONE_MAX\)/
    )
  })

  it("keeps a partial override and defaults the rest", () => {
    const parsed = promptLimitsSchema.parse({ phone: { max: 1 } })
    expect(parsed.phone).toEqual({ max: 1, windowSeconds: 600 })
    expect(parsed.client.max).toBe(20)
  })

  it("accepts max 0 (that limit off)", () => {
    expect(promptLimitsSchema.parse({ client: { max: 0 } }).client.max).toBe(0)
  })

  it.each([
    [{ phone: { max: -1 } }, /promptLimits\.phone\.max \(MPESA_LIMIT_PHONE_MAX\)/],
    [{ phone: { max: 1.5 } }, /promptLimits\.phone\.max/],
    [{ paymentCollection: { windowSeconds: 0 } }, /promptLimits\.paymentCollection\.windowSeconds \(MPESA_LIMIT_COLLECTION_WINDOW_S\)/],
    [{ client: { windowSeconds: "ten" } }, /promptLimits\.client\.windowSeconds \(MPESA_LIMIT_CLIENT_WINDOW_S\)/],
    [{ enabled: "maybe" }, /promptLimits\.enabled \(MPESA_LIMITS_ENABLED\)/],
  ])("rejects %j naming the field", (input, message) => {
    const result = promptLimitsSchema.safeParse(input)
    expect(result.success).toBe(false)
    expect(result.error!.issues.map((i) => i.message).join("; ")).toMatch(message)
  })
})

describe("promptLimitsFromEnv", () => {
  it("reads every MPESA_LIMIT* variable", () => {
    const parsed = promptLimitsSchema.parse(
      promptLimitsFromEnv({
        MPESA_LIMITS_ENABLED: "off",
        MPESA_LIMIT_PHONE_MAX: "2",
        MPESA_LIMIT_PHONE_WINDOW_S: "300",
        MPESA_LIMIT_COLLECTION_MAX: "4",
        MPESA_LIMIT_COLLECTION_WINDOW_S: "3600",
        MPESA_LIMIT_CLIENT_MAX: " 10 ",
        MPESA_LIMIT_CLIENT_WINDOW_S: "120",
      })
    )
    expect(parsed).toEqual({
      enabled: false,
      phone: { max: 2, windowSeconds: 300 },
      paymentCollection: { max: 4, windowSeconds: 3600 },
      client: { max: 10, windowSeconds: 120 },
    })
  })

  it("treats unset and empty variables as the defaults", () => {
    expect(promptLimitsSchema.parse(promptLimitsFromEnv({ MPESA_LIMIT_PHONE_MAX: "" }))).toEqual(promptLimitsSchema.parse({}))
  })

  it.each([
    ["MPESA_LIMIT_PHONE_MAX", "3x", /MPESA_LIMIT_PHONE_MAX/],
    ["MPESA_LIMIT_PHONE_MAX", "-2", /MPESA_LIMIT_PHONE_MAX/],
    ["MPESA_LIMIT_COLLECTION_WINDOW_S", "1.5", /MPESA_LIMIT_COLLECTION_WINDOW_S/],
    ["MPESA_LIMIT_CLIENT_MAX", "lots", /MPESA_LIMIT_CLIENT_MAX/],
    ["MPESA_LIMITS_ENABLED", "perhaps", /MPESA_LIMITS_ENABLED/],
  ])("rejects %s=%s with a message naming it, never the value", (name, value, message) => {
    const result = promptLimitsSchema.safeParse(promptLimitsFromEnv({ [name]: value }))
    expect(result.success).toBe(false)
    const text = result.error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")
    expect(text).toMatch(message)
    expect(text).not.toContain(value)
  })
})
