import { z } from "zod"
import type { DarajaCaller } from "./caller"
import { DARAJA_PATHS } from "./constants"
import { DarajaApiError } from "./errors"
import { nonEmpty, optionalDateField, shortcodeField } from "./fields"
import { parseParams, parseResponse } from "./parse"
import { describeResultCode, type ResultCodeInfo } from "./result-codes"
import { stkQueryResponseSchema } from "./schemas"
import { stkPassword } from "./stk-password"
import { darajaTimestamp } from "./timestamp"

export const stkQueryParamsSchema = z.object({
  shortcode: shortcodeField,
  passkey: nonEmpty(),
  checkoutRequestId: nonEmpty(),
  timestamp: optionalDateField,
})

export type StkQueryParams = z.input<typeof stkQueryParamsSchema>

export type StkQueryOutcome =
  /** Daraja's 500.001.1001 "The transaction is being processed": the shopper has not answered yet */
  | { status: "pending"; description: string }
  | {
      status: "completed"
      resultCode: string
      resultDesc: string
      merchantRequestId?: string
      checkoutRequestId: string
      result: ResultCodeInfo
    }

/**
 * Asks M-Pesa how a push ended. Idempotent, so transient failures are retried with backoff by the caller;
 * "still being processed" is an answer (pending), not an error.
 */
export async function stkQuery(caller: DarajaCaller, input: StkQueryParams): Promise<StkQueryOutcome> {
  const params = parseParams(stkQueryParamsSchema, input)
  const timestamp = darajaTimestamp(params.timestamp ?? caller.now())
  const password = stkPassword(params.shortcode, params.passkey, timestamp)
  const endpoint = DARAJA_PATHS.stkQuery

  let data: unknown
  try {
    data = await caller.post(
      endpoint,
      { BusinessShortCode: params.shortcode, Password: password, Timestamp: timestamp, CheckoutRequestID: params.checkoutRequestId },
      { idempotent: true, secrets: [params.passkey, password] }
    )
  } catch (err) {
    if (err instanceof DarajaApiError && err.info.meaning === "pending") {
      return { status: "pending", description: err.errorMessage }
    }
    throw err
  }

  const body = parseResponse(stkQueryResponseSchema, data, endpoint)
  return {
    status: "completed",
    resultCode: body.ResultCode,
    resultDesc: body.ResultDesc,
    ...(body.MerchantRequestID !== undefined ? { merchantRequestId: body.MerchantRequestID } : {}),
    checkoutRequestId: body.CheckoutRequestID,
    result: describeResultCode(body.ResultCode),
  }
}
