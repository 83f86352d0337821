import type { CallbackRow, DarajaRequestRow, Knex, LedgerRow, RefundRow } from "../types"

export const LEDGER_TABLE = "mpesa_transaction"
export const CALLBACK_TABLE = "mpesa_callback"
export const REFUND_TABLE = "mpesa_refund"
export const REQUEST_TABLE = "mpesa_daraja_request"

/*
 * Typed query builders over the module's tables: the row type comes from the
 * table's data model (types/rows.ts), so reads and `returning("*")` are typed
 * without casts.
 */
export const ledgerTable = (db: Knex) => db<LedgerRow, LedgerRow[]>(LEDGER_TABLE)
export const callbackTable = (db: Knex) => db<CallbackRow, CallbackRow[]>(CALLBACK_TABLE)
export const refundTable = (db: Knex) => db<RefundRow, RefundRow[]>(REFUND_TABLE)
export const requestTable = (db: Knex) => db<DarajaRequestRow, DarajaRequestRow[]>(REQUEST_TABLE)
