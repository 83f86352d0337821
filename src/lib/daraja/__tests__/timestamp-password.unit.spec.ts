import { SANDBOX_PASSKEY, SANDBOX_SHORTCODE } from "../constants"
import { stkPassword } from "../stk-password"
import { darajaTimestamp } from "../timestamp"

describe("darajaTimestamp (Africa/Nairobi, UTC+3)", () => {
  it.each([
    ["2024-12-31T22:30:00Z", "20250101013000"], // crosses midnight and the year in Nairobi
    ["2021-06-28T06:24:08Z", "20210628092408"], // the reference request's sample timestamp
    ["2024-02-28T21:00:00Z", "20240229000000"], // leap day
    ["2024-03-01T00:00:00.999Z", "20240301030000"], // milliseconds are dropped, not rounded
    ["2024-07-15T20:59:59Z", "20240715235959"],
    ["2000-01-01T00:00:00Z", "20000101030000"],
  ])("%s -> %s", (iso, expected) => {
    expect(darajaTimestamp(new Date(iso))).toBe(expected)
  })

  it("does not depend on the process time zone", () => {
    const original = process.env.TZ
    try {
      process.env.TZ = "America/Los_Angeles"
      expect(darajaTimestamp(new Date("2024-12-31T22:30:00Z"))).toBe("20250101013000")
      process.env.TZ = "Asia/Tokyo"
      expect(darajaTimestamp(new Date("2024-12-31T22:30:00Z"))).toBe("20250101013000")
    } finally {
      if (original === undefined) delete process.env.TZ
      else process.env.TZ = original
    }
  })

  it("rejects an invalid Date", () => {
    expect(() => darajaTimestamp(new Date("nope"))).toThrow(RangeError)
  })
})

describe("stkPassword", () => {
  it("is base64(shortcode + passkey + timestamp) and matches the reference sample", () => {
    // The Password in Daraja's documented request body, for 174379 + sandbox passkey + 20210628092408.
    expect(stkPassword(SANDBOX_SHORTCODE, SANDBOX_PASSKEY, "20210628092408")).toBe(
      "MTc0Mzc5YmZiMjc5ZjlhYTliZGJjZjE1OGU5N2RkNzFhNDY3Y2QyZTBjODkzMDU5YjEwZjc4ZTZiNzJhZGExZWQyYzkxOTIwMjEwNjI4MDkyNDA4"
    )
  })

  it("decodes back to the three parts in order", () => {
    const decoded = Buffer.from(stkPassword("600000", "pk", "20250101013000"), "base64").toString("utf8")
    expect(decoded).toBe("600000pk20250101013000")
  })
})
