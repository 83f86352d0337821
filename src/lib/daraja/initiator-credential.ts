import { z } from "zod"
import { DarajaValidationError } from "./errors"
import { nonEmpty } from "./fields"
import { encryptSecurityCredential } from "./security-credential"

/**
 * The initiator's credential for Reversal and Transaction Status, in either of the forms merchants hold it:
 * the plain password with Safaricom's certificate (encrypted here, on every call), or the SecurityCredential
 * the Daraja portal generates ("already encrypted", base64), for merchants who never see the password itself.
 */

const SECURITY_CREDENTIAL_RULE =
  "must be the base64 SecurityCredential generated on the Daraja portal (the encrypted initiator password, not the password)"

// An RSA ciphertext is as long as the key: 128 bytes for the smallest key anyone still uses, 256 for Safaricom's.
// Anything shorter is not an encrypted credential; usually it is the plain password pasted into the wrong field.
const MIN_CIPHERTEXT_BYTES = 128

/** Whitespace is dropped: a credential copied from the portal or an .env file often carries a line break. */
const securityCredentialField = z
  .string({ error: SECURITY_CREDENTIAL_RULE })
  .transform((value) => value.replace(/\s+/g, ""))
  .refine(
    (value) =>
      /^[A-Za-z0-9+/]+={0,2}$/.test(value) &&
      value.length % 4 === 0 &&
      Buffer.from(value, "base64").length >= MIN_CIPHERTEXT_BYTES,
    SECURITY_CREDENTIAL_RULE,
  )

/** Spread into a params schema, which then calls `.superRefine(checkInitiatorCredential)`. */
export const initiatorCredentialFields = {
  /** the initiator's plain password; encrypted with certificatePem before sending */
  initiatorPassword: nonEmpty().optional(),
  /** Safaricom's certificate for the environment (sandbox and production differ) */
  certificatePem: nonEmpty().optional(),
  /** the ready-made SecurityCredential from the Daraja portal, instead of initiatorPassword + certificatePem */
  securityCredential: securityCredentialField.optional(),
}

type CredentialFields = { initiatorPassword?: string; certificatePem?: string; securityCredential?: string }

export type InitiatorCredentialKey = keyof CredentialFields

/** Exactly one of the two forms; a compile-time error for a caller that passes both or neither. */
export type InitiatorCredentialInput =
  | { initiatorPassword: string; certificatePem: string; securityCredential?: undefined }
  | { securityCredential: string; initiatorPassword?: undefined; certificatePem?: undefined }

type CredentialForm =
  | { kind: "ready"; securityCredential: string }
  | { kind: "encrypt"; initiatorPassword: string; certificatePem: string }
  | { kind: "invalid"; field: InitiatorCredentialKey; rule: string }

/** Which form the caller gave, or the field to blame and why when it is not exactly one complete form. */
function credentialForm(p: CredentialFields): CredentialForm {
  const { initiatorPassword, certificatePem, securityCredential } = p
  if (securityCredential !== undefined) {
    return initiatorPassword !== undefined || certificatePem !== undefined
      ? { kind: "invalid", field: "securityCredential", rule: "give either securityCredential or initiatorPassword with certificatePem, not both" }
      : { kind: "ready", securityCredential }
  }
  if (initiatorPassword !== undefined && certificatePem !== undefined) return { kind: "encrypt", initiatorPassword, certificatePem }
  if (initiatorPassword !== undefined) return { kind: "invalid", field: "certificatePem", rule: "is required with initiatorPassword" }
  if (certificatePem !== undefined) return { kind: "invalid", field: "initiatorPassword", rule: "is required with certificatePem" }
  return { kind: "invalid", field: "securityCredential", rule: "is required, unless initiatorPassword and certificatePem are given" }
}

export function checkInitiatorCredential(p: CredentialFields, ctx: z.RefinementCtx): void {
  const form = credentialForm(p)
  if (form.kind === "invalid") ctx.addIssue({ code: "custom", path: [form.field], message: form.rule })
}

/**
 * The SecurityCredential to send, and the values of this call that must be redacted from errors and logs
 * (the password, the credential and, when we encrypted it, our ciphertext).
 */
export function resolveSecurityCredential(p: CredentialFields): { securityCredential: string; secrets: string[] } {
  const form = credentialForm(p)
  switch (form.kind) {
    case "invalid":
      // Parsed params never get here (checkInitiatorCredential ran first); kept for callers that skip parsing.
      throw new DarajaValidationError(form.field, form.rule)
    case "ready":
      return { securityCredential: form.securityCredential, secrets: [form.securityCredential] }
    case "encrypt": {
      const securityCredential = encryptSecurityCredential(form.initiatorPassword, form.certificatePem)
      return { securityCredential, secrets: [form.initiatorPassword, securityCredential] }
    }
  }
}
