/** Which Daraja deployment a client talks to. */
export type DarajaEnvironment = "sandbox" | "production"

/** Daraja hosts. Paths are appended by each endpoint module. */
export const DARAJA_BASE_URLS: Record<DarajaEnvironment, string> = {
  sandbox: "https://sandbox.safaricom.co.ke",
  production: "https://api.safaricom.co.ke",
}

/** Safaricom's public sandbox paybill for M-Pesa Express. Not a secret: it is published test data. */
export const SANDBOX_SHORTCODE = "174379"

/** Safaricom's public sandbox passkey for {@link SANDBOX_SHORTCODE}. Published test data, useless in production. */
export const SANDBOX_PASSKEY = "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919"

/** Per-transaction limits for M-Pesa Express (Daraja FAQ): result codes 2 and 3 if violated. */
export const STK_MIN_AMOUNT = 1
export const STK_MAX_AMOUNT = 250_000

export const DARAJA_PATHS = {
  oauth: "/oauth/v1/generate",
  stkPush: "/mpesa/stkpush/v1/processrequest",
  stkQuery: "/mpesa/stkpushquery/v1/query",
  reversal: "/mpesa/reversal/v1/request",
  transactionStatus: "/mpesa/transactionstatus/v1/query",
} as const
