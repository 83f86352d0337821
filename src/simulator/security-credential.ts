/**
 * The simulator's stand-in for Safaricom's certificate. Reversal and Transaction Status carry a
 * SecurityCredential: the initiator password RSA-encrypted (PKCS#1 v1.5) with Safaricom's public
 * key, base64-encoded. The simulator makes its own RSA-2048 key pair at start and publishes the
 * public key, so clients encrypt against it exactly as they would against Safaricom's .cer file.
 */
import { constants, generateKeyPairSync, privateDecrypt, type KeyObject } from "node:crypto"

/** RSA-2048 ciphertext is 256 bytes, i.e. 344 base64 characters. */
const CIPHERTEXT_BYTES = 256

export type CredentialCheck =
  /** Decrypted with our key: the initiator password. */
  | { kind: "valid"; initiatorPassword: string }
  /** Right shape, but not encrypted with our key (e.g. with Safaricom's real sandbox certificate). */
  | { kind: "wrong_key" }

export class SecurityCredentialKeys {
  readonly publicKeyPem: string
  private readonly privateKey: KeyObject

  constructor() {
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 })
    this.publicKeyPem = publicKey.export({ type: "spki", format: "pem" }).toString()
    this.privateKey = privateKey
  }

  /** Base64 of exactly 256 bytes; anything else Daraja rejects before looking at it. */
  static hasValidShape(credential: string): boolean {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(credential) || credential.length % 4 !== 0) return false
    return Buffer.from(credential, "base64").length === CIPHERTEXT_BYTES
  }

  /**
   * Node 20+ refuses `privateDecrypt` with RSA_PKCS1_PADDING (CVE-2023-46809, the Marvin attack), so
   * the simulator decrypts with RSA_NO_PADDING and removes the PKCS#1 v1.5 type-2 padding itself.
   * That unpadding is not constant-time, which is acceptable only because this key protects nothing.
   */
  check(credential: string): CredentialCheck {
    let block: Buffer
    try {
      block = privateDecrypt({ key: this.privateKey, padding: constants.RSA_NO_PADDING }, Buffer.from(credential, "base64"))
    } catch {
      return { kind: "wrong_key" }
    }
    // 0x00 0x02 <at least 8 non-zero padding bytes> 0x00 <message>
    if (block.length !== CIPHERTEXT_BYTES || block[0] !== 0x00 || block[1] !== 0x02) return { kind: "wrong_key" }
    const separator = block.indexOf(0x00, 2)
    if (separator < 10 || separator === block.length - 1) return { kind: "wrong_key" }
    return { kind: "valid", initiatorPassword: block.subarray(separator + 1).toString("utf8") }
  }
}
