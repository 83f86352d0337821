import { describeErrorCode, type ErrorCodeInfo } from "./error-codes"

export type DarajaErrorKind = "validation" | "api" | "transport" | "response"

/**
 * Base of the one error family the client throws. Errors carry only what is safe to log: no request bodies,
 * headers, tokens or the underlying axios error (whose `config` holds the Authorization header and Password).
 */
export class DarajaError extends Error {
  readonly kind: DarajaErrorKind
  readonly retryable: boolean
  /** Daraja path of the failing call (no host, no query), when the error came from a call */
  readonly endpoint?: string

  constructor(kind: DarajaErrorKind, message: string, options: { retryable: boolean; endpoint?: string }) {
    super(message)
    this.name = "DarajaError"
    this.kind = kind
    this.retryable = options.retryable
    if (options.endpoint !== undefined) this.endpoint = options.endpoint
  }

  /** Keeps `JSON.stringify(err)` useful in structured logs (Error's own message is not enumerable). */
  toJSON(): Record<string, unknown> {
    const own: Record<string, unknown> = Object.fromEntries(Object.entries(this))
    return { ...own, name: this.name, message: this.message }
  }
}

/** Bad input caught before any HTTP call (or a callback body that does not match Daraja's shape). */
export class DarajaValidationError extends DarajaError {
  declare readonly kind: "validation"
  readonly field: string
  readonly rule: string

  constructor(field: string, rule: string) {
    super("validation", `${field}: ${rule}`, { retryable: false })
    this.name = "DarajaValidationError"
    this.field = field
    this.rule = rule
  }
}

/** Daraja answered with its error body `{requestId, errorCode, errorMessage}`, or a 2xx with a non-zero ResponseCode. */
export class DarajaApiError extends DarajaError {
  declare readonly kind: "api"
  readonly httpStatus: number
  readonly errorCode: string
  readonly errorMessage: string
  readonly requestId?: string
  readonly info: ErrorCodeInfo

  constructor(args: { httpStatus: number; errorCode: string; errorMessage: string; requestId?: string; endpoint?: string }) {
    const info = describeErrorCode(args.errorCode, args.errorMessage)
    super("api", `Daraja rejected ${args.endpoint ?? "the request"}: ${args.errorCode} ${args.errorMessage} (HTTP ${args.httpStatus})`, {
      retryable: info.retryable,
      endpoint: args.endpoint,
    })
    this.name = "DarajaApiError"
    this.httpStatus = args.httpStatus
    this.errorCode = args.errorCode
    this.errorMessage = args.errorMessage
    if (args.requestId !== undefined) this.requestId = args.requestId
    this.info = info
  }
}

export type DarajaTransportReason = "timeout" | "network" | "http_status"

/** No Daraja answer to interpret: a timeout, a dropped connection, or an HTTP error without Daraja's error body. */
export class DarajaTransportError extends DarajaError {
  declare readonly kind: "transport"
  readonly reason: DarajaTransportReason
  readonly httpStatus?: number
  /** Node's error code for network failures (ECONNRESET, ENOTFOUND, ...) */
  readonly code?: string

  constructor(args: { reason: DarajaTransportReason; endpoint?: string; httpStatus?: number; code?: string; timeoutMs?: number }) {
    super("transport", transportMessage(args), {
      retryable: isRetryableTransport(args.reason, args.httpStatus),
      endpoint: args.endpoint,
    })
    this.name = "DarajaTransportError"
    this.reason = args.reason
    if (args.httpStatus !== undefined) this.httpStatus = args.httpStatus
    if (args.code !== undefined) this.code = args.code
  }
}

/** A 2xx answer whose body does not have the documented shape. */
export class DarajaResponseError extends DarajaError {
  declare readonly kind: "response"
  /** dotted path of the first field that failed, e.g. "CheckoutRequestID" */
  readonly path: string

  constructor(args: { endpoint?: string; path: string; problem: string }) {
    super("response", `Unexpected response from ${args.endpoint ?? "Daraja"}: ${args.path || "body"}: ${args.problem}`, {
      retryable: false,
      endpoint: args.endpoint,
    })
    this.name = "DarajaResponseError"
    this.path = args.path
  }
}

function transportMessage(args: { reason: DarajaTransportReason; endpoint?: string; httpStatus?: number; code?: string; timeoutMs?: number }): string {
  const where = args.endpoint ?? "Daraja"
  switch (args.reason) {
    case "timeout":
      return args.timeoutMs !== undefined
        ? `${where}: no response within ${args.timeoutMs} ms`
        : `${where}: no response before the timeout`
    case "network":
      return `${where}: network error${args.code ? ` (${args.code})` : ""}`
    case "http_status":
      return `${where}: HTTP ${args.httpStatus ?? "error"} without a Daraja error body`
  }
}

/**
 * Timeouts, dropped connections and 5xx/408/429 may succeed if repeated; other 4xx without a Daraja body
 * (a gateway refusing the request outright) will not.
 */
function isRetryableTransport(reason: DarajaTransportReason, httpStatus?: number): boolean {
  if (reason !== "http_status") return true
  if (httpStatus === undefined) return true
  return httpStatus >= 500 || httpStatus === 408 || httpStatus === 429
}
