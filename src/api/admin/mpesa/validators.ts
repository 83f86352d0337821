import { z } from "@medusajs/framework/zod"

/**
 * Bodies and queries of /admin/mpesa/*. Plain fields: "" or null clears the
 * saved value (the MPESA_* option or default applies again). Secrets: "" or
 * left out keeps the stored one; `clear_secrets` removes stored ones.
 * Cross-field rules (till needs a till number, https in production) are checked
 * on the merged result in the module, which names the field too.
 */
const emptyToNull = (v: unknown) => (typeof v === "string" && v.trim() === "" ? null : v)
const plain = <T extends z.ZodTypeAny>(schema: T) => z.preprocess(emptyToNull, schema.nullable().optional())
const secret = (schema: z.ZodString) => z.union([z.literal(""), schema]).optional()

export const AdminSaveMpesaSettings = z
  .object({
    environment: plain(z.enum(["sandbox", "production"], { error: "environment must be sandbox or production" })),
    transaction_type: plain(z.enum(["paybill", "till"], { error: "transaction_type must be paybill or till" })),
    shortcode: plain(z.string().trim().regex(/^\d{5,7}$/, "shortcode must be 5-7 digits")),
    till_number: plain(z.string().trim().regex(/^\d{5,8}$/, "till_number must be 5-8 digits")),
    consumer_key: plain(z.string().trim().min(1).max(200, "consumer_key must be at most 200 characters")),
    consumer_secret: secret(z.string().max(200, "consumer_secret must be at most 200 characters")),
    passkey: secret(
      z.string().regex(/^[A-Za-z0-9]{20,200}$/, "passkey must be 20-200 letters and digits (the Lipa na M-Pesa Online passkey)")
    ),
    account_reference: plain(z.string().trim().min(1).max(40, "account_reference must be at most 40 characters")),
    transaction_desc: plain(z.string().trim().min(1).max(40, "transaction_desc must be at most 40 characters")),
    callback_base_url: plain(
      z
        .string()
        .trim()
        .regex(/^https?:\/\/[^\s/?#]+[^\s?#]*$/, "callback_base_url must be an absolute http(s) URL such as https://shop.example.com")
        .refine((v) => !/m-?pesa|safaricom/i.test(v), "callback_base_url must not contain \"mpesa\" or \"safaricom\": Safaricom rejects such callback URLs")
    ),
    initiator_name: plain(z.string().trim().min(1).max(100, "initiator_name must be at most 100 characters")),
    initiator_password: secret(z.string().max(200, "initiator_password must be at most 200 characters")),
    clear_secrets: z.array(z.enum(["consumer_secret", "passkey", "initiator_password"])).optional(),
  })
  .strict()

export type AdminSaveMpesaSettingsType = z.infer<typeof AdminSaveMpesaSettings>

const ledgerStates = ["initiating", "pending", "indeterminate", "paid", "failed", "canceled", "expired"] as const

export const AdminListMpesaTransactions = z
  .object({
    view: z.enum(["all", "failed", "unmatched", "attention", "refunds", "suspicious"]).default("all"),
    state: z.enum(ledgerStates, { error: `state must be one of ${ledgerStates.join(", ")}` }).optional(),
    phone: z.string().trim().optional(),
    receipt: z.string().trim().regex(/^[A-Za-z0-9]{6,20}$/, "receipt must be 6-20 letters and digits").optional(),
    from: z.iso.date({ error: "from must be a date (YYYY-MM-DD)" }).optional(),
    to: z.iso.date({ error: "to must be a date (YYYY-MM-DD)" }).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict()

export type AdminListMpesaTransactionsType = z.infer<typeof AdminListMpesaTransactions>

export const AdminReverseMpesaPayment = z
  .object({ note: z.string().trim().max(100, "note must be at most 100 characters").optional() })
  .strict()

export const AdminAttachMpesaPayment = z
  .object({
    cart_id: z.string().trim().regex(/^cart_[0-9A-Za-z]+$/, "cart_id must be a cart id such as cart_01H…").optional(),
    order_id: z.string().trim().regex(/^order_[0-9A-Za-z]+$/, "order_id must be an order id such as order_01H…").optional(),
  })
  .strict()
  .refine((b) => !!b.cart_id !== !!b.order_id, { message: "cart_id: give either cart_id (an open cart) or order_id (an order with an unpaid amount), not both", path: ["cart_id"] })

export const AdminRecordOutsideRefund = z
  .object({
    amount: z
      .number({ error: "amount must be a number of shillings" })
      .int("amount must be whole shillings (M-Pesa moves whole KES)")
      .min(1, "amount must be at least 1"),
    note: z
      .string({ error: "note is required: say how the money went back (e.g. the Org portal transaction id)" })
      .trim()
      .min(1, "note is required: say how the money went back (e.g. the Org portal transaction id)")
      .max(200, "note must be at most 200 characters"),
  })
  .strict()

/** "Add receipt" for a payment confirmed by a status query (which carries none). */
export const AdminAddMpesaReceipt = z
  .object({
    receipt: z
      .string({ error: "receipt is required: the M-Pesa receipt number from the Org portal or the shopper's SMS" })
      .trim()
      .toUpperCase()
      .regex(/^[A-Z0-9]{10}$/, "receipt must be an M-Pesa receipt number, ten letters and digits (e.g. UBQ7XK2P4M)"),
  })
  .strict()

/** "Check again" for a reversal M-Pesa has not confirmed: nothing to say. */
export const AdminCheckMpesaRefund = z.object({}).strict()

/** Closing an unconfirmed reversal as returned: the admin's reference from the Org portal is required. */
export const AdminCloseMpesaRefund = z
  .object({
    note: z
      .string({ error: "note is required: give the Org portal's reference for the money that went back" })
      .trim()
      .min(1, "note is required: give the Org portal's reference for the money that went back")
      .max(200, "note must be at most 200 characters"),
  })
  .strict()

export type AdminReverseMpesaPaymentType = z.infer<typeof AdminReverseMpesaPayment>
export type AdminAttachMpesaPaymentType = z.infer<typeof AdminAttachMpesaPayment>
export type AdminRecordOutsideRefundType = z.infer<typeof AdminRecordOutsideRefund>
export type AdminAddMpesaReceiptType = z.infer<typeof AdminAddMpesaReceipt>
export type AdminCloseMpesaRefundType = z.infer<typeof AdminCloseMpesaRefund>
