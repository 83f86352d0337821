import PaymentModule from "@medusajs/medusa/payment"
import { defineLink } from "@medusajs/framework/utils"
import MpesaModule from "../modules/mpesa"

/**
 * payment_collection -> its M-Pesa payment records (one per STK Push of that
 * cart checkout), so Query reads an order's M-Pesa state with the order:
 * `query.graph({ entity: "order", fields: ["payment_collections.mpesa_payments.*"] })`.
 * Read-only: the ledger row already holds `payment_collection_id`, so there is
 * no link table to keep in step, and nothing can be linked or dismissed by hand.
 */
export default defineLink(
  { linkable: PaymentModule.linkable.paymentCollection.id, field: "id" },
  { ...MpesaModule.linkable.mpesaTransaction.id, primaryKey: "payment_collection_id", alias: "mpesa_payment" },
  { readOnly: true, isList: true }
)
