import { asValue } from "@medusajs/framework/awilix"
import type { LoaderOptions } from "@medusajs/framework/types"
import { parseMpesaOptions } from "../options"
import { rememberLoadedOptions } from "./loaded-options"

/** The container key under which the module's validated options live. */
export const MPESA_OPTIONS = "mpesaOptions"

/**
 * Validates the module's options once, when Medusa loads the module: a store
 * with a missing passkey or a bad callback URL fails to boot with every bad
 * field named (never a value), instead of failing at the first checkout.
 */
export default async function validateOptionsLoader({ container, options }: LoaderOptions): Promise<void> {
  const parsed = parseMpesaOptions(options)
  container.register({ [MPESA_OPTIONS]: asValue(parsed) })
  rememberLoadedOptions(parsed)
}
