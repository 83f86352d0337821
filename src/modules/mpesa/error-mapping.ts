import { MedusaError } from "@medusajs/framework/utils"
import { DarajaApiError, DarajaValidationError } from "../../lib/daraja"

export function isUniqueViolation(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { code?: string }).code === "23505"
}

export function errorSummary(e: unknown): string {
  if (e instanceof Error) {
    return `${e.name}: ${e.message}`
  }
  return "unknown error"
}

/** Turns a Daraja error into the MedusaError a shopper sees; secrets never reach either. */
export function toMedusaError(e: unknown): MedusaError {
  if (e instanceof MedusaError) {
    return e
  }
  if (e instanceof DarajaValidationError) {
    return new MedusaError(MedusaError.Types.INVALID_DATA, e.message)
  }
  if (e instanceof DarajaApiError) {
    const type =
      e.info.meaning === "bad_credentials" || e.info.meaning === "merchant_not_found" || e.info.meaning === "invalid_grant"
        ? MedusaError.Types.UNEXPECTED_STATE
        : MedusaError.Types.NOT_ALLOWED
    return new MedusaError(type, `${e.info.customerMessage} (Daraja ${e.errorCode})`)
  }
  return new MedusaError(
    MedusaError.Types.UNEXPECTED_STATE,
    "We could not reach M-Pesa just now. Please try again in a minute."
  )
}
