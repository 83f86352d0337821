import { defineJoinerConfig } from "@medusajs/framework/utils"
import MpesaTransaction from "./models/mpesa-transaction"
import { MPESA_MODULE } from "./module-name"

/**
 * What Query sees of the module: the M-Pesa payment record (one row per STK
 * Push), read-only. Query reads it through `listMpesaTransactions` /
 * `listAndCountMpesaTransactions` (query-reads.ts), which never return a full
 * phone number; the other tables (callbacks, tokens, settings, limits) stay
 * private to the module.
 */
export const joinerConfig = defineJoinerConfig(MPESA_MODULE, { models: [MpesaTransaction] })
