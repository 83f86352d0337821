import axios, { type AxiosInstance } from "axios"
import { DarajaApiError, DarajaTransportError } from "./errors"
import type { DarajaLogger } from "./logger"
import { redactSecrets } from "./redact"
import { darajaErrorBodySchema, responseCodeSchema } from "./schemas"

export type TransportRequest = {
  method: "GET" | "POST"
  /** path under the base URL, e.g. /mpesa/stkpush/v1/processrequest */
  endpoint: string
  query?: Record<string, string>
  authorization: string
  body?: Record<string, unknown>
  /** redacted from any server-supplied text we put into errors */
  secrets: readonly string[]
}

export type TransportResponse = { httpStatus: number; data: unknown }

/**
 * One HTTP exchange with Daraja. It turns every outcome into either a 2xx body or one of our errors:
 * Daraja's error body (at any status) or a 2xx with a non-zero ResponseCode -> DarajaApiError; no response,
 * or an HTTP error without Daraja's body -> DarajaTransportError. The axios error is never rethrown or attached: its `config` holds the
 * Authorization header and the request body.
 */
export class DarajaTransport {
  readonly #http: AxiosInstance
  readonly #timeoutMs: number
  readonly #logger: DarajaLogger

  constructor(options: { baseUrl: string; timeoutMs: number; logger: DarajaLogger }) {
    this.#timeoutMs = options.timeoutMs
    this.#logger = options.logger
    this.#http = axios.create({
      baseURL: options.baseUrl,
      timeout: options.timeoutMs,
      headers: { Accept: "application/json" },
      // Status handling is ours: Daraja puts meaningful bodies on 4xx/5xx (e.g. "being processed" on a 500).
      validateStatus: () => true,
      // Daraja never redirects; following one could replay a POST somewhere unexpected.
      maxRedirects: 0,
      transitional: { clarifyTimeoutError: true, silentJSONParsing: true, forcedJSONParsing: true },
    })
  }

  async send(request: TransportRequest): Promise<TransportResponse> {
    const { endpoint } = request
    // axios' `timeout` is a socket inactivity timer; this deadline also bounds a slowly trickling response.
    const controller = new AbortController()
    const deadline = setTimeout(() => controller.abort(), this.#timeoutMs)
    const started = Date.now()
    this.#logger.debug("daraja request", { method: request.method, endpoint })

    let httpStatus: number
    let data: unknown
    try {
      const response = await this.#http.request({
        method: request.method,
        url: endpoint,
        params: request.query,
        data: request.body,
        headers: {
          Authorization: request.authorization,
          ...(request.body !== undefined ? { "Content-Type": "application/json" } : {}),
        },
        signal: controller.signal,
      })
      httpStatus = response.status
      data = response.data
    } catch (err) {
      const error = toTransportError(err, endpoint, controller.signal.aborted, this.#timeoutMs)
      this.#logger.debug("daraja request failed", { endpoint, reason: error.reason, code: error.code, durationMs: Date.now() - started })
      throw error
    } finally {
      clearTimeout(deadline)
    }

    this.#logger.debug("daraja response", { endpoint, httpStatus, durationMs: Date.now() - started })

    const errorBody = darajaErrorBodySchema.safeParse(data)
    if (errorBody.success) {
      throw new DarajaApiError({
        httpStatus,
        errorCode: redactSecrets(errorBody.data.errorCode, request.secrets),
        errorMessage: redactSecrets(errorBody.data.errorMessage, request.secrets),
        requestId: errorBody.data.requestId,
        endpoint,
      })
    }
    if (httpStatus < 200 || httpStatus >= 300) {
      throw new DarajaTransportError({ reason: "http_status", httpStatus, endpoint })
    }
    // Every M-Pesa API answers 2xx with a ResponseCode; anything but "0" means the request was refused and the
    // body may lack the ids a success carries, so it is turned into an error before any schema sees it.
    const head = responseCodeSchema.safeParse(data)
    if (head.success && head.data.ResponseCode !== "0") {
      throw new DarajaApiError({
        httpStatus,
        errorCode: redactSecrets(head.data.ResponseCode, request.secrets),
        errorMessage: redactSecrets(head.data.ResponseDescription, request.secrets),
        endpoint,
      })
    }
    return { httpStatus, data }
  }
}

const TIMEOUT_CODES = new Set(["ECONNABORTED", "ETIMEDOUT", "ESOCKETTIMEDOUT"])

function toTransportError(err: unknown, endpoint: string, deadlinePassed: boolean, timeoutMs: number): DarajaTransportError {
  const code = errorCode(err)
  if (deadlinePassed || (code !== undefined && TIMEOUT_CODES.has(code))) {
    return new DarajaTransportError({ reason: "timeout", endpoint, timeoutMs, code })
  }
  return new DarajaTransportError({ reason: "network", endpoint, code })
}

/** Only a well-formed error code (ECONNRESET...) is kept; free text from the error could carry request data. */
function errorCode(err: unknown): string | undefined {
  const candidates: unknown[] = []
  if (typeof err === "object" && err !== null) {
    candidates.push((err as { code?: unknown }).code)
    const cause = (err as { cause?: unknown }).cause
    if (typeof cause === "object" && cause !== null) candidates.push((cause as { code?: unknown }).code)
  }
  for (const c of candidates) {
    if (typeof c === "string" && /^[A-Z][A-Z0-9_]{1,40}$/.test(c) && c !== "ERR_CANCELED") return c
  }
  return undefined
}
