import { createCipheriv, createDecipheriv, createHash, randomBytes } from "crypto"

/**
 * Encryption at rest for the secrets a merchant saves in the admin (passkey,
 * consumer secret, initiator password). Medusa's own precedent (the auth
 * module's MFA secrets): AES-256-GCM, key = sha256 of an environment
 * variable, stored as `v1:iv:tag:ciphertext` in base64url.
 */
export const SETTINGS_KEY_ENV = "MPESA_SETTINGS_KEY"

export class SecretBox {
  private readonly key: Buffer

  constructor(secret: string) {
    this.key = createHash("sha256").update(secret, "utf8").digest()
  }

  /** The box for MPESA_SETTINGS_KEY, or null when it is not set (secrets then cannot be saved). */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): SecretBox | null {
    const secret = env[SETTINGS_KEY_ENV]
    return secret && secret.trim() ? new SecretBox(secret.trim()) : null
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12)
    const cipher = createCipheriv("aes-256-gcm", this.key, iv)
    const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()])
    const tag = cipher.getAuthTag()
    return ["v1", iv.toString("base64url"), tag.toString("base64url"), ciphertext.toString("base64url")].join(":")
  }

  /** Throws SettingsKeyError when the value was sealed under another key (or was tampered with). */
  open(sealed: string): string {
    const [version, iv, tag, ciphertext] = sealed.split(":")
    if (version !== "v1" || !iv || !tag || ciphertext === undefined) {
      throw new SettingsKeyError("a stored M-Pesa secret is not in the v1 format")
    }
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.key, Buffer.from(iv, "base64url"))
      decipher.setAuthTag(Buffer.from(tag, "base64url"))
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString("utf8")
    } catch {
      throw new SettingsKeyError(
        `a stored M-Pesa secret cannot be decrypted: ${SETTINGS_KEY_ENV} is not the key it was saved with`
      )
    }
  }
}

export class SettingsKeyError extends Error {}

/** What the admin may see of a secret: its last four characters (never more, never for short values). */
export function lastFour(secret: string): string | null {
  return secret.length >= 12 ? secret.slice(-4) : null
}
