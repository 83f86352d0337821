import { clientAddressBucket, clientKey, keyHasher, paymentCollectionKey, phoneKey } from "../keys"

describe("prompt-limit keys", () => {
  const plain = keyHasher()
  const keyed = keyHasher("deployment-secret-0123456789abcdef")

  it("never stores a phone number or client address in the clear", () => {
    const phone = phoneKey("254712345678", plain)
    expect(phone).toMatch(/^phone:[0-9a-f]{40}$/)
    expect(phone).not.toContain("712345678")
    const ip = clientKey("203.0.113.7", plain)
    expect(ip).toMatch(/^ip:[0-9a-f]{40}$/)
    expect(ip).not.toContain("203.0.113")
  })

  it("is stable for one secret and differs between secrets (HMAC)", () => {
    expect(phoneKey("254712345678", keyed)).toBe(phoneKey("254712345678", keyHasher("deployment-secret-0123456789abcdef")))
    expect(phoneKey("254712345678", keyed)).not.toBe(phoneKey("254712345678", plain))
    expect(phoneKey("254712345678", keyed)).not.toBe(phoneKey("254712345679", keyed))
  })

  it("separates the kinds: the same text as phone and address gives different keys", () => {
    expect(plain("phone", "x")).not.toBe(plain("ip", "x"))
  })

  it("keeps payment collection ids readable and hashes anything odd", () => {
    expect(paymentCollectionKey("pay_col_01JABCDEF", plain)).toBe("pc:pay_col_01JABCDEF")
    expect(paymentCollectionKey("x".repeat(65), plain)).toMatch(/^pc:#[0-9a-f]{40}$/)
    expect(paymentCollectionKey("a b/../c", plain)).toMatch(/^pc:#[0-9a-f]{40}$/)
  })

  it.each([
    ["203.0.113.7", "203.0.113.7"],
    ["::ffff:203.0.113.7", "203.0.113.7"],
    ["2001:db8:1:2:3:4:5:6", "2001:0db8:0001:0002::/64"],
    ["2001:db8:1:2::99", "2001:0db8:0001:0002::/64"],
    ["2001:DB8:1:2:ffff::1%eth0", "2001:0db8:0001:0002::/64"],
    ["::1", "0000:0000:0000:0000::/64"],
    ["64:ff9b::192.0.2.33", "0064:ff9b:0000:0000::/64"],
  ])("buckets %s as %s", (ip, bucket) => {
    expect(clientAddressBucket(ip)).toBe(bucket)
  })

  it("counts every address of one IPv6 /64 together", () => {
    expect(clientKey("2001:db8:1:2::1", plain)).toBe(clientKey("2001:db8:1:2:aaaa:bbbb:cccc:dddd", plain))
    expect(clientKey("2001:db8:1:2::1", plain)).not.toBe(clientKey("2001:db8:1:3::1", plain))
  })
})
