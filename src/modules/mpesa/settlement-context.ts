import type { Logger } from "@medusajs/framework/types"
import type { DarajaClient } from "../../lib/daraja"
import type { MpesaOptions } from "./options"
import type { MoneyDesk } from "./refunds/money-desk"
import type { ModuleStores } from "./stores"

/**
 * What the module's parts (initiation, callbacks, settlement, completion,
 * refunds) are built with for one call: the stores bound to that call's
 * Medusa context (its manager, or the transaction it runs in) and the
 * module's shared services. Each part declares the slice it uses (a `Pick`
 * of this), so its constructor says which tables it touches.
 */
export type SettlementContext = ModuleStores & {
  /** every decision that spends a payment's money, and every write that touches both tables */
  desk: MoneyDesk
  logger: Logger
  config(): MpesaOptions
  daraja(): DarajaClient
  now(): Date
  /** emits a module event carrying a ledger row id; never throws */
  emit(name: string, transactionId: string): Promise<void>
}
