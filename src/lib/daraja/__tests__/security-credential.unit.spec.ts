import { constants, generateKeyPairSync, privateDecrypt, type KeyObject } from "node:crypto"
import { DarajaValidationError } from "../errors"
import { encryptSecurityCredential } from "../security-credential"
import { selfSignedCertificate } from "./self-signed-cert"

/**
 * Node >= 20.11.1 refuses privateDecrypt with RSA_PKCS1_PADDING (CVE-2023-46809, "Marvin") unless started with
 * --security-revert. So the test decrypts with RSA_NO_PADDING and removes the PKCS#1 v1.5 type-2 padding by hand:
 * 0x00 0x02 <at least 8 non-zero random bytes> 0x00 <message>. That also proves the padding is PKCS#1 v1.5 and
 * not OAEP (whose encoded block does not start with 0x00 0x02 followed by non-zero bytes and a 0x00 separator).
 */
function decryptPkcs1v15(ciphertextB64: string, privateKey: KeyObject): string {
  const block = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, Buffer.from(ciphertextB64, "base64"))
  expect(block[0]).toBe(0x00)
  expect(block[1]).toBe(0x02)
  const separator = block.indexOf(0x00, 2)
  expect(separator).toBeGreaterThanOrEqual(10) // >= 8 bytes of non-zero padding
  return block.subarray(separator + 1).toString("utf8")
}

describe("encryptSecurityCredential", () => {
  const password = "Safaricom999!*!"
  // RSA key generation is slow (~150 ms); one certificate serves every test that does not need its own key.
  const { certificatePem, privateKey } = selfSignedCertificate()

  it("round-trips with an X.509 certificate PEM (like Safaricom's .cer)", () => {
    const credential = encryptSecurityCredential(password, certificatePem)
    expect(Buffer.from(credential, "base64")).toHaveLength(256) // 2048-bit key
    expect(decryptPkcs1v15(credential, privateKey)).toBe(password)
  })

  it("accepts a certificate with Windows line endings", () => {
    const credential = encryptSecurityCredential(password, certificatePem.replace(/\n/g, "\r\n"))
    expect(decryptPkcs1v15(credential, privateKey)).toBe(password)
  })

  it("round-trips with a public key PEM", () => {
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 })
    const pem = publicKey.export({ type: "spki", format: "pem" }).toString()
    const credential = encryptSecurityCredential(password, pem)
    expect(decryptPkcs1v15(credential, privateKey)).toBe(password)
  })

  it("is randomised: two encryptions of the same password differ", () => {
    expect(encryptSecurityCredential(password, certificatePem)).not.toBe(encryptSecurityCredential(password, certificatePem))
  })

  it.each([
    ["not a pem", "certificatePem"],
    ["-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----", "certificatePem"],
  ])("rejects a bad certificate %#", (pem, field) => {
    expect(() => encryptSecurityCredential(password, pem)).toThrow(DarajaValidationError)
    try {
      encryptSecurityCredential(password, pem)
    } catch (err) {
      expect((err as DarajaValidationError).field).toBe(field)
      expect((err as Error).message).not.toContain(password)
    }
  })

  it("rejects a non-RSA key", () => {
    const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" })
    const pem = publicKey.export({ type: "spki", format: "pem" }).toString()
    expect(() => encryptSecurityCredential(password, pem)).toThrow("certificatePem: must hold an RSA public key")
  })

  it("rejects an empty password", () => {
    expect(() => encryptSecurityCredential("", certificatePem)).toThrow("initiatorPassword: must not be empty")
  })
})
