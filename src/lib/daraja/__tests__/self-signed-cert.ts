import { generateKeyPairSync, sign, type KeyObject } from "node:crypto"

/**
 * Builds a throwaway self-signed X.509 certificate in memory, so the security-credential tests exercise the
 * "certificate PEM" path without committing a private key to the repo. Minimal DER encoding, RSA + SHA-256.
 */
function der(tag: number, content: Buffer): Buffer {
  const len = content.length
  let header: Buffer
  if (len < 0x80) header = Buffer.from([tag, len])
  else {
    const bytes: number[] = []
    for (let n = len; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff)
    header = Buffer.from([tag, 0x80 | bytes.length, ...bytes])
  }
  return Buffer.concat([header, content])
}
const seq = (...parts: Buffer[]) => der(0x30, Buffer.concat(parts))
const set = (...parts: Buffer[]) => der(0x31, Buffer.concat(parts))
const oid = (hex: string) => der(0x06, Buffer.from(hex, "hex"))
const int = (bytes: number[]) => der(0x02, Buffer.from(bytes[0]! & 0x80 ? [0, ...bytes] : bytes))
const utf8 = (s: string) => der(0x0c, Buffer.from(s, "utf8"))
const utcTime = (s: string) => der(0x17, Buffer.from(s, "ascii"))
const NULL = Buffer.from([0x05, 0x00])

export function selfSignedCertificate(): { certificatePem: string; privateKey: KeyObject; modulusBytes: number } {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 })
  const sha256WithRsa = seq(oid("2a864886f70d01010b"), NULL)
  const name = seq(set(seq(oid("550403"), utf8("daraja unit test"))))
  const tbs = seq(
    der(0xa0, int([2])), // v3
    int([0x01, 0x23, 0x45]),
    sha256WithRsa,
    name,
    seq(utcTime("250101000000Z"), utcTime("491231235959Z")),
    name,
    publicKey.export({ type: "spki", format: "der" })
  )
  const signature = sign("sha256", tbs, privateKey)
  const cert = seq(tbs, sha256WithRsa, der(0x03, Buffer.concat([Buffer.from([0]), signature])))
  const b64 = cert.toString("base64").replace(/(.{64})/g, "$1\n").trim()
  return { certificatePem: `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`, privateKey, modulusBytes: 256 }
}
