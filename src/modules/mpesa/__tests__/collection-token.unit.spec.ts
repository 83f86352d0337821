import { collectionFromToken, collectionToken } from "../callbacks/collection-token"

const SECRET = "callback-secret-for-collection-tokens-0001"

describe("payment collection tokens", () => {
  it("names the collection it was signed for", () => {
    expect(collectionFromToken(SECRET, collectionToken(SECRET, "pay_col_01ABC"))).toBe("pay_col_01ABC")
  })

  it("refuses a token for another collection, another secret, a bare id or garbage", () => {
    const token = collectionToken(SECRET, "pay_col_01ABC")
    const signature = token.slice(token.lastIndexOf(".") + 1)
    expect(collectionFromToken(SECRET, `pay_col_01XYZ.${signature}`)).toBeNull()
    expect(collectionFromToken("another-secret-of-enough-length-0002", token)).toBeNull()
    expect(collectionFromToken(SECRET, "pay_col_01ABC")).toBeNull()
    expect(collectionFromToken(SECRET, `${token}x`)).toBeNull()
    expect(collectionFromToken(SECRET, `pay col.${signature}`)).toBeNull()
    expect(collectionFromToken(SECRET, { toString: () => token })).toBeNull()
    expect(collectionFromToken("", token)).toBeNull()
  })

  it("never contains the secret", () => {
    expect(collectionToken(SECRET, "pay_col_01ABC")).not.toContain(SECRET)
  })
})
