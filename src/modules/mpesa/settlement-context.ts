import type { Logger } from "@medusajs/framework/types"
import type { DarajaClient } from "../../lib/daraja"
import type { MpesaOptions } from "./options"
import type { CallbackStore } from "./stores/callback-store"
import type { LedgerStore } from "./stores/ledger-store"
import type { RefundStore } from "./stores/refund-store"

/** What the module's parts (initiation, callbacks, settlement, completion) need, and nothing more. */
export type SettlementContext = {
  ledger: LedgerStore
  refunds: RefundStore
  callbacks: CallbackStore
  logger: Logger
  config(): MpesaOptions
  daraja(): DarajaClient
  now(): Date
  /** emits a module event carrying a ledger row id; never throws */
  emit(name: string, transactionId: string): Promise<void>
}
