import { describeResultCode, KNOWN_RESULT_CODES } from "../result-codes"

describe("describeResultCode", () => {
  it("covers every result code in Daraja's table", () => {
    expect([...KNOWN_RESULT_CODES].sort()).toEqual(
      ["0", "1", "2", "3", "4", "8", "17", "1019", "1025", "1032", "1037", "2001", "2028", "8006", "SFC_IC0003"].sort()
    )
  })

  it.each([
    ["0", "paid", false],
    ["1", "failed", true],
    ["2", "failed", false],
    ["3", "failed", false],
    ["4", "failed", false],
    ["8", "failed", false],
    ["17", "failed", false],
    ["1019", "expired", true],
    ["1025", "failed", true],
    ["1032", "canceled", true],
    ["1037", "expired", true],
    ["2001", "failed", true],
    ["2028", "failed", false],
    ["8006", "failed", false],
    ["SFC_IC0003", "failed", false],
  ] as const)("%s -> %s (retryable %s)", (code, state, retryable) => {
    const info = describeResultCode(code)
    expect(info).toMatchObject({ code, state, retryable, known: true })
    expect(info.customerMessage.length).toBeGreaterThan(5)
    expect(info.description.length).toBeGreaterThan(5)
  })

  it("uses the lead's required shopper messages", () => {
    expect(describeResultCode(1032).customerMessage).toBe("You cancelled the M-Pesa prompt")
    expect(describeResultCode(1037).customerMessage).toBe("We could not reach your phone. Check it is on and unlocked, then try again")
    expect(describeResultCode(1).customerMessage).toBe("Insufficient M-Pesa balance")
    expect(describeResultCode(2001).customerMessage).toBe("Wrong M-Pesa PIN")
  })

  it("accepts numbers, padded strings and lowercase", () => {
    expect(describeResultCode(0).state).toBe("paid")
    expect(describeResultCode(" 1032 ").code).toBe("1032")
    expect(describeResultCode("01032").state).toBe("canceled")
    expect(describeResultCode("sfc_ic0003")).toMatchObject({ code: "SFC_IC0003", known: true })
  })

  it.each([["9999"], [42], ["1001"], ["weird"], ["toString"], ["__proto__"]])("unknown %j -> failed, never pending", (code) => {
    const info = describeResultCode(code)
    expect(info.known).toBe(false)
    expect(info.state).toBe("failed")
    expect(info.customerMessage).toBe("The M-Pesa payment did not go through. Please try again or choose another payment method")
  })
})
