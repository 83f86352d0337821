import { BigNumber, MedusaError } from "@medusajs/framework/utils"
import type { BigNumberInput } from "@medusajs/framework/types"

export const MIN_KES = 1
export const MAX_KES = 250_000

/**
 * Medusa keeps KES with two decimals; Daraja takes whole shillings only.
 * Rule: round half up to the nearest shilling (99.49 -> 99, 99.50 -> 100), so
 * the difference is always under one shilling. The ledger keeps both the whole
 * amount pushed and Medusa's decimal amount; the callback must match the
 * former, and Medusa is told the latter.
 */
export function toWholeShillings(amount: BigNumberInput): { whole: number; medusa: string } {
  const numeric = new BigNumber(amount).numeric
  if (!Number.isFinite(numeric)) {
    throw new MedusaError(MedusaError.Types.INVALID_DATA, "amount: must be a number of Kenyan shillings")
  }
  const whole = roundToShillings(numeric)
  if (whole < MIN_KES || whole > MAX_KES) {
    throw new MedusaError(
      MedusaError.Types.INVALID_DATA,
      `amount: M-Pesa Express takes KES ${MIN_KES} to KES ${MAX_KES.toLocaleString("en-KE")} per payment; this cart totals KES ${numeric}`
    )
  }
  return { whole, medusa: String(numeric) }
}

/** The one rounding rule (half up: 99.49 -> 99, 99.50 -> 100), without the per-payment bounds: for comparing amounts. */
export function roundToShillings(amount: BigNumberInput): number {
  return Math.floor(new BigNumber(amount).numeric + 0.5)
}

export function assertKes(currencyCode: string): void {
  if ((currencyCode ?? "").toLowerCase() !== "kes") {
    throw new MedusaError(
      MedusaError.Types.INVALID_DATA,
      `currency_code: M-Pesa takes Kenyan shillings (KES) only; this cart is in ${(currencyCode ?? "").toUpperCase() || "an unknown currency"}`
    )
  }
}
