import { DarajaValidationError } from "../errors"
import { maskPhone, normalizeKenyanPhone } from "../phone"

describe("normalizeKenyanPhone", () => {
  it.each([
    ["0712345678", "254712345678"],
    ["0112345678", "254112345678"],
    ["+254712345678", "254712345678"],
    ["254712345678", "254712345678"],
    ["254112345678", "254112345678"],
    ["+254112345678", "254112345678"],
    ["712345678", "254712345678"],
    ["112345678", "254112345678"],
    ["0712 345 678", "254712345678"],
    ["0712-345-678", "254712345678"],
    ["(0712) 345-678", "254712345678"],
    ["+254 (712) 345 678", "254712345678"],
    ["  254 708 374 149  ", "254708374149"],
    ["0712.345.678", "254712345678"],
  ])("accepts %j as %s", (input, expected) => {
    expect(normalizeKenyanPhone(input)).toBe(expected)
  })

  it.each([
    [""],
    ["   "],
    ["071234567"], // 9 digits with trunk 0
    ["07123456789"], // 11 digits
    ["0212345678"], // landline-style prefix
    ["0812345678"],
    ["25471234567"], // one digit short
    ["2547123456789"], // one digit long
    ["+255712345678"], // Tanzania
    ["254-0712345678"], // 254 followed by a trunk 0
    ["++254712345678"],
    ["0712345678x"],
    ["phone"],
    ["612345678"],
  ])("rejects %j with a validation error naming the format", (input) => {
    let caught: unknown
    try {
      normalizeKenyanPhone(input)
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(DarajaValidationError)
    const err = caught as DarajaValidationError
    expect(err.field).toBe("phone")
    expect(err.kind).toBe("validation")
    expect(err.retryable).toBe(false)
    expect(err.message).toBe("phone: must be a Kenyan mobile number such as 0712345678 or 254712345678")
  })

  it("does not put the rejected number in the message", () => {
    expect(() => normalizeKenyanPhone("0999999999")).toThrow(/^phone: must be/)
    try {
      normalizeKenyanPhone("0999999999")
    } catch (err) {
      expect((err as Error).message).not.toContain("0999999999")
    }
  })
})

describe("maskPhone", () => {
  it.each([
    ["254712345678", "2547****5678"],
    ["254112345678", "2541****5678"],
    ["123456789", "1234*6789"],
    ["12345678", "********"],
    ["", ""],
  ])("masks %j as %j", (input, expected) => {
    expect(maskPhone(input)).toBe(expected)
  })
})
