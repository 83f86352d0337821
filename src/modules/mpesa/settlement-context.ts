import type { Logger } from "@medusajs/framework/types"
import type { DarajaClient } from "../../lib/daraja"
import type { MpesaOptions } from "./options"
import type { CallbackStore } from "./stores/callback-store"
import type { LedgerStore } from "./stores/ledger-store"
import type { RefundStore } from "./stores/refund-store"
import type { RequestStore } from "./stores/request-store"
import type { MoneyDesk } from "./refunds/money-desk"

/** What the module's parts (initiation, callbacks, settlement, completion) need, and nothing more. */
export type SettlementContext = {
  ledger: LedgerStore
  refunds: RefundStore
  /** every decision that spends a payment's money, and every write that touches both tables */
  desk: MoneyDesk
  callbacks: CallbackStore
  /** our asynchronous Daraja requests and the conversation ids their answers must carry */
  requests: RequestStore
  logger: Logger
  config(): MpesaOptions
  daraja(): DarajaClient
  now(): Date
  /** emits a module event carrying a ledger row id; never throws */
  emit(name: string, transactionId: string): Promise<void>
}
