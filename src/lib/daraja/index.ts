// Public surface of the Daraja client. Nothing here imports Medusa or other parts of this repo.
export {
  DARAJA_BASE_URLS,
  SANDBOX_PASSKEY,
  SANDBOX_SHORTCODE,
  STK_MAX_AMOUNT,
  STK_MIN_AMOUNT,
  type DarajaEnvironment,
} from "./constants"
export { InMemoryTokenCache, type CachedToken, type TokenCache } from "./token-cache"
export type { DarajaLogger } from "./logger"
export { DarajaClient, type DarajaClientOptions } from "./client"
export type { StkPushAccepted, StkPushParams } from "./stk-push"
export type { StkQueryOutcome, StkQueryParams } from "./stk-query"
export type { ReversalParams } from "./reversal"
export type { TransactionStatusLookup, TransactionStatusParams } from "./transaction-status"
export type { InitiatorCredentialInput } from "./initiator-credential"
export type { AsyncRequestAccepted } from "./async-request"
export { describeResultCode, KNOWN_RESULT_CODES, type ResultCodeInfo, type ResultCodeState } from "./result-codes"
export { describeErrorCode, type ErrorCodeInfo, type ErrorCodeMeaning } from "./error-codes"
export {
  parseStkCallback,
  stkCallbackSchema,
  type StkCallback,
  type StkCallbackMetadata,
  type StkCallbackPayload,
} from "./callback"
export { parseResultCallback, resultCallbackSchema, type DarajaResult, type DarajaResultPayload } from "./result-callback"
export { maskPhone, normalizeKenyanPhone } from "./phone"
export { darajaTimestamp } from "./timestamp"
export { stkPassword } from "./stk-password"
export { sanitizeAccountReference, sanitizeTransactionDesc } from "./sanitize"
export { encryptSecurityCredential } from "./security-credential"
export {
  DarajaApiError,
  DarajaError,
  DarajaResponseError,
  DarajaTransportError,
  DarajaValidationError,
  type DarajaErrorKind,
  type DarajaTransportReason,
} from "./errors"
export { classifyDarajaError, type DarajaErrorClass } from "./classify-error"
