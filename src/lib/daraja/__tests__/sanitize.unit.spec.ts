import { sanitizeAccountReference, sanitizeTransactionDesc } from "../sanitize"

describe("sanitizeAccountReference (max 12)", () => {
  it.each([
    ["Order1042", "Order1042"],
    ["order_01JABCDEF123456", "order 01JABC"],
    ["#1042", "1042"],
    ["ORD-1042", "ORD-1042"],
    ["  spaced   out  ", "spaced out"],
    ["Café Crème", "Cafe Creme"],
    ["<script>alert(1)</script>", "script alert"],
    ["abcdefghijk-lmn", "abcdefghijk"], // cut at 12 would end in "-": trailing hyphen removed
    ["abcdefghijk lmn", "abcdefghijk"], // likewise a trailing space
    ["123456789012345", "123456789012"],
    ["", "Order"],
    ["!!!", "Order"],
    ["---", "Order"],
    ["émoji 🎉 shop", "emoji shop"],
  ])("%j -> %j", (input, expected) => {
    const out = sanitizeAccountReference(input)
    expect(out).toBe(expected)
    expect(out.length).toBeLessThanOrEqual(12)
    expect(out).toMatch(/^[A-Za-z0-9](?:[A-Za-z0-9 -]*[A-Za-z0-9])?$/)
  })
})

describe("sanitizeTransactionDesc (max 13)", () => {
  it.each([
    ["Payment", "Payment"],
    ["Order #1042 at Duka", "Order 1042 at"],
    ["1234567890123456", "1234567890123"],
    ["", "Payment"],
    ["%%%", "Payment"],
  ])("%j -> %j", (input, expected) => {
    const out = sanitizeTransactionDesc(input)
    expect(out).toBe(expected)
    expect(out.length).toBeLessThanOrEqual(13)
  })
})
