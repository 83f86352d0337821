import { constants, createPublicKey, publicEncrypt, X509Certificate, type KeyObject } from "node:crypto"
import { DarajaValidationError } from "./errors"

/**
 * Daraja's SecurityCredential (Reversal, Transaction Status, B2C...): the initiator password encrypted with
 * Safaricom's public certificate using RSA PKCS#1 v1.5 padding, base64-encoded. Safaricom ships different
 * certificates for sandbox and production. PKCS#1 v1.5 is what Daraja decrypts; OAEP (Node's default) is rejected.
 * Encryption is randomised, so two calls give different ciphertexts for the same password.
 */
export function encryptSecurityCredential(initiatorPassword: string, certificatePem: string): string {
  if (typeof initiatorPassword !== "string" || initiatorPassword.length === 0) {
    throw new DarajaValidationError("initiatorPassword", "must not be empty")
  }
  const key = loadPublicKey(certificatePem)
  const encrypted = publicEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(initiatorPassword, "utf8"))
  return encrypted.toString("base64")
}

const CERT_RULE = "must be a PEM X.509 certificate or RSA public key (-----BEGIN CERTIFICATE----- ...)"

function loadPublicKey(pem: string): KeyObject {
  if (typeof pem !== "string" || !pem.includes("-----BEGIN")) throw new DarajaValidationError("certificatePem", CERT_RULE)
  // Windows line endings in a pasted .cer file upset some OpenSSL builds.
  const text = pem.replace(/\r\n/g, "\n").trim()
  let key: KeyObject
  try {
    key = text.includes("BEGIN CERTIFICATE") ? new X509Certificate(text).publicKey : createPublicKey(text)
  } catch {
    throw new DarajaValidationError("certificatePem", CERT_RULE)
  }
  if (key.asymmetricKeyType !== "rsa") throw new DarajaValidationError("certificatePem", "must hold an RSA public key")
  return key
}
