import { z } from "zod"
import type { DarajaCaller } from "./caller"
import { DARAJA_PATHS } from "./constants"
import { httpUrlField, nonEmpty, optionalDateField, shortcodeField, stkAmountField } from "./fields"
import { parseParams, parseResponse } from "./parse"
import { maskPhone, normalizeKenyanPhone } from "./phone"
import { sanitizeAccountReference, sanitizeTransactionDesc } from "./sanitize"
import { stkPushResponseSchema } from "./schemas"
import { stkPassword } from "./stk-password"
import { darajaTimestamp } from "./timestamp"

export const stkPushParamsSchema = z
  .object({
    /** BusinessShortCode: the paybill number, or the store/HO number for a till */
    shortcode: shortcodeField,
    passkey: nonEmpty(),
    transactionType: z.enum(["paybill", "till"], { error: 'must be "paybill" or "till"' }),
    tillNumber: shortcodeField.optional(),
    amount: stkAmountField,
    /** any accepted format; normalised before sending */
    phone: z.string({ error: "must be a Kenyan mobile number such as 0712345678 or 254712345678" }),
    callbackUrl: httpUrlField,
    accountReference: z.string({ error: "must be a string" }),
    transactionDesc: z.string({ error: "must be a string" }),
    /** one instant used for both Password and Timestamp; defaults to now */
    timestamp: optionalDateField,
  })
  .superRefine((p, ctx) => {
    if (p.transactionType === "till" && !p.tillNumber) {
      ctx.addIssue({ code: "custom", path: ["tillNumber"], message: 'is required when transactionType is "till"' })
    }
  })

export type StkPushParams = z.input<typeof stkPushParamsSchema>

export type StkPushAccepted = {
  merchantRequestId: string
  checkoutRequestId: string
  responseCode: string
  responseDescription: string
  customerMessage: string
  /** the normalised MSISDN the prompt was sent to */
  phone: string
  amount: number
  /** the Daraja Timestamp sent with the request */
  timestamp: string
}

const TRANSACTION_TYPES = { paybill: "CustomerPayBillOnline", till: "CustomerBuyGoodsOnline" } as const

/**
 * Sends the payment prompt. Never retried on a transport failure: the push may already be on the phone, and a
 * second prompt could charge the shopper twice. Callers classify failures with classifyDarajaError.
 */
export async function stkPush(caller: DarajaCaller, input: StkPushParams): Promise<StkPushAccepted> {
  const params = parseParams(stkPushParamsSchema, input)
  const phone = normalizeKenyanPhone(params.phone)
  const timestamp = darajaTimestamp(params.timestamp ?? caller.now())
  const password = stkPassword(params.shortcode, params.passkey, timestamp)
  const endpoint = DARAJA_PATHS.stkPush

  const body = {
    BusinessShortCode: params.shortcode,
    Password: password,
    Timestamp: timestamp,
    TransactionType: TRANSACTION_TYPES[params.transactionType],
    Amount: params.amount,
    PartyA: phone,
    // Till: the prompt credits the till while BusinessShortCode names the store/HO that owns it.
    PartyB: params.transactionType === "till" ? (params.tillNumber as string) : params.shortcode,
    PhoneNumber: phone,
    CallBackURL: params.callbackUrl,
    AccountReference: sanitizeAccountReference(params.accountReference),
    TransactionDesc: sanitizeTransactionDesc(params.transactionDesc),
  }

  // The CallBackURL is a secret too: stores put an unguessable token in its path.
  const data = await caller.post(endpoint, body, { idempotent: false, secrets: [params.passkey, password, params.callbackUrl] })
  const accepted = parseResponse(stkPushResponseSchema, data, endpoint)

  caller.logger.info("daraja stk push accepted", {
    checkoutRequestId: accepted.CheckoutRequestID,
    merchantRequestId: accepted.MerchantRequestID,
    phone: maskPhone(phone),
    amount: params.amount,
  })

  return {
    merchantRequestId: accepted.MerchantRequestID,
    checkoutRequestId: accepted.CheckoutRequestID,
    responseCode: accepted.ResponseCode,
    responseDescription: accepted.ResponseDescription,
    customerMessage: accepted.CustomerMessage,
    phone,
    amount: params.amount,
    timestamp,
  }
}
