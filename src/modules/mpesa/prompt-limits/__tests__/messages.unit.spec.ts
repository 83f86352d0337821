import { formatWait, promptLimitMessage } from "../messages"

describe("formatWait", () => {
  it.each([
    [0.2, "1 second"],
    [1, "1 second"],
    [45, "45 seconds"],
    [60, "1 minute"],
    [61, "2 minutes"],
    [401, "7 minutes"],
    [5400, "90 minutes"],
    [5401, "2 hours"],
    [86_400, "24 hours"],
  ])("%s s -> %s (rounded up)", (seconds, text) => {
    expect(formatWait(seconds)).toBe(text)
  })
})

describe("promptLimitMessage", () => {
  it("tells the shopper what happened and how long to wait", () => {
    expect(promptLimitMessage("phone", 401)).toBe(
      "Too many M-Pesa prompts to this phone number. Please wait 7 minutes before trying again."
    )
    expect(promptLimitMessage("payment_collection", 3 * 3600)).toBe(
      "Too many M-Pesa payment attempts for this order. Please wait 3 hours before trying again."
    )
    expect(promptLimitMessage("client", 30)).toBe(
      "Too many M-Pesa payment requests from your network. Please wait 30 seconds before trying again."
    )
  })
})
