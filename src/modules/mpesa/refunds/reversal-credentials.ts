import { MedusaError } from "@medusajs/framework/utils"
import type { MpesaOptions } from "../options"

/** What Reversal and Transaction Status need to prove who is asking. */
export type InitiatorCredentials =
  | { initiator: string; securityCredential: string }
  | { initiator: string; initiatorPassword: string; certificatePem: string }

/**
 * The initiator credentials in force, or a refusal naming exactly what to
 * set — checked before anything is written, so a refund that cannot be sent
 * leaves no trace but the error.
 */
export function initiatorCredentials(config: MpesaOptions): InitiatorCredentials {
  const where = "in Settings → M-Pesa (Refunds section) or as MPESA_INITIATOR_NAME"
  if (!config.initiatorName) {
    throw new MedusaError(
      MedusaError.Types.NOT_ALLOWED,
      `initiatorName: refunds through M-Pesa need an API initiator with the "Org Reversals Initiator" role; set its name ${where}`
    )
  }
  if (config.securityCredential) {
    return { initiator: config.initiatorName, securityCredential: config.securityCredential }
  }
  if (!config.initiatorPassword) {
    throw new MedusaError(
      MedusaError.Types.NOT_ALLOWED,
      "initiatorPassword: refunds through M-Pesa need the initiator's password (Settings → M-Pesa or MPESA_INITIATOR_PASSWORD), or a ready security credential (MPESA_SECURITY_CREDENTIAL)"
    )
  }
  if (!config.certificatePem) {
    throw new MedusaError(
      MedusaError.Types.NOT_ALLOWED,
      `certificatePem: the initiator password must be encrypted with Safaricom's ${config.environment} certificate; download it from the Daraja portal and set MPESA_CERTIFICATE_PATH (or set MPESA_SECURITY_CREDENTIAL instead)`
    )
  }
  return { initiator: config.initiatorName, initiatorPassword: config.initiatorPassword, certificatePem: config.certificatePem }
}
