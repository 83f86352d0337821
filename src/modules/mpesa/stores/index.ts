import type { Knex } from "../types"
import { CallbackStore } from "./callback-store"
import { LedgerDeskStore } from "./ledger-desk-store"
import { LedgerLeases } from "./ledger-leases"
import { LedgerSettlement } from "./ledger-settlement"
import { LedgerStore } from "./ledger-store"
import { RefundStore } from "./refund-store"
import { RequestStore } from "./request-store"

/** The module's tables, each behind its one store (the only SQL of the module lives in stores/). */
export type ModuleStores = {
  /** mpesa_transaction: reads, creation, ownership and bookkeeping */
  ledger: LedgerStore
  /** mpesa_transaction: status changes through the transition table */
  settlements: LedgerSettlement
  /** mpesa_transaction: query, expiry and completion leases */
  leases: LedgerLeases
  /** mpesa_transaction: the money desk's writes under its row lock */
  deskLedger: LedgerDeskStore
  refunds: RefundStore
  callbacks: CallbackStore
  /** our asynchronous Daraja requests and the conversation ids their answers must carry */
  requests: RequestStore
}

/** The stores over one connection or transaction (see db-context.ts). */
export function storesOn(db: () => Knex): ModuleStores {
  return {
    ledger: new LedgerStore(db),
    settlements: new LedgerSettlement(db),
    leases: new LedgerLeases(db),
    deskLedger: new LedgerDeskStore(db),
    refunds: new RefundStore(db),
    callbacks: new CallbackStore(db),
    requests: new RequestStore(db),
  }
}
