import { z } from "zod"
import type { AsyncRequestAccepted } from "./async-request"
import type { DarajaCaller, PostOptions } from "./caller"
import { classifyDarajaError } from "./classify-error"
import { DARAJA_PATHS } from "./constants"
import { DarajaApiError, DarajaError } from "./errors"
import { httpUrlField, nonEmpty } from "./fields"
import { silentLogger, type DarajaLogger } from "./logger"
import { AccessTokenProvider } from "./oauth-token"
import { parseParams } from "./parse"
import { DEFAULT_RETRY_POLICY, withRetry, type RetryPolicy } from "./retry"
import { reversal, type ReversalParams } from "./reversal"
import { stkPush, type StkPushAccepted, type StkPushParams } from "./stk-push"
import { stkQuery, type StkQueryOutcome, type StkQueryParams } from "./stk-query"
import { InMemoryTokenCache, type TokenCache } from "./token-cache"
import { transactionStatus, type TransactionStatusParams } from "./transaction-status"
import { DarajaTransport } from "./transport"

export interface DarajaClientOptions {
  /** e.g. DARAJA_BASE_URLS.sandbox, or a local simulator */
  baseUrl: string
  consumerKey: string
  consumerSecret: string
  /** default: a per-process InMemoryTokenCache; share one across processes (Daraja keeps only the newest token) */
  tokenCache?: TokenCache
  /** per HTTP call, default 10_000 */
  timeoutMs?: number
  /** for idempotent calls only; defaults 3 attempts, 250 ms base, 4000 ms cap, full jitter */
  retry?: { attempts?: number; baseDelayMs?: number; maxDelayMs?: number }
  /** refresh this long before the token expires, default 60_000 */
  tokenRefreshMarginMs?: number
  logger?: DarajaLogger
  now?: () => Date
}

const optionsSchema = z.object({
  baseUrl: httpUrlField,
  consumerKey: nonEmpty(),
  consumerSecret: nonEmpty(),
  timeoutMs: z.number({ error: "must be a positive number of milliseconds" }).int().positive().optional(),
  retry: z
    .object({
      attempts: z.number().int().min(1, "must be at least 1").max(10, "must be at most 10").optional(),
      baseDelayMs: z.number().int().min(0).optional(),
      maxDelayMs: z.number().int().min(0).optional(),
    })
    .optional(),
  tokenRefreshMarginMs: z.number().int().min(0).optional(),
})

/**
 * Typed client for the Daraja endpoints an M-Pesa Express integration needs. Secrets live in private (#) fields
 * so logging or inspecting the client does not print them.
 */
export class DarajaClient {
  readonly #tokens: AccessTokenProvider
  readonly #transport: DarajaTransport
  readonly #retryPolicy: RetryPolicy
  readonly #logger: DarajaLogger
  readonly #caller: DarajaCaller

  constructor(options: DarajaClientOptions) {
    const valid = parseParams(optionsSchema, options)
    const baseUrl = valid.baseUrl.replace(/\/+$/, "")
    const now = options.now ?? (() => new Date())
    this.#logger = options.logger ?? silentLogger
    this.#retryPolicy = { ...DEFAULT_RETRY_POLICY, ...stripUndefined(valid.retry ?? {}) }
    this.#transport = new DarajaTransport({ baseUrl, timeoutMs: valid.timeoutMs ?? 10_000, logger: this.#logger })
    this.#tokens = new AccessTokenProvider({
      transport: this.#transport,
      baseUrl,
      consumerKey: valid.consumerKey,
      consumerSecret: valid.consumerSecret,
      cache: options.tokenCache ?? new InMemoryTokenCache(),
      refreshMarginMs: valid.tokenRefreshMarginMs ?? 60_000,
      now,
      logger: this.#logger,
      runWithRetry: (fn) => this.#withRetry(DARAJA_PATHS.oauth, true, fn),
    })
    this.#caller = {
      post: (endpoint, body, postOptions) => this.#post(endpoint, body, postOptions),
      now,
      logger: this.#logger,
    }
  }

  /** A valid access token, from the cache when possible. */
  getAccessToken(): Promise<string> {
    return this.#tokens.get()
  }

  /** Send the M-Pesa Express prompt. Sent once; see classifyDarajaError for what a failure means. */
  stkPush(params: StkPushParams): Promise<StkPushAccepted> {
    return stkPush(this.#caller, params)
  }

  /** Ask how a prompt ended; "pending" while the shopper has not answered. */
  stkQuery(params: StkQueryParams): Promise<StkQueryOutcome> {
    return stkQuery(this.#caller, params)
  }

  /** Request a reversal; the outcome arrives at resultUrl. Sent once. */
  reversal(params: ReversalParams): Promise<AsyncRequestAccepted> {
    return reversal(this.#caller, params)
  }

  /** Request a transaction status lookup; the outcome arrives at resultUrl. */
  transactionStatus(params: TransactionStatusParams): Promise<AsyncRequestAccepted> {
    return transactionStatus(this.#caller, params)
  }

  async #post(endpoint: string, body: Record<string, unknown>, options: PostOptions): Promise<unknown> {
    return this.#withRetry(endpoint, options.idempotent, () => this.#postWithToken(endpoint, body, options.secrets))
  }

  /**
   * One authenticated POST. If Daraja says the token is invalid (404.001.03; e.g. another process fetched a newer
   * one) the token is dropped, a new one fetched, and the call repeated exactly once. That repeat is safe even for
   * an STK push: Daraja rejected the request at the gateway, before it reached M-Pesa or any phone.
   */
  async #postWithToken(endpoint: string, body: Record<string, unknown>, secrets: readonly string[]): Promise<unknown> {
    const send = async (token: string): Promise<unknown> => {
      const { data } = await this.#transport.send({
        method: "POST",
        endpoint,
        authorization: `Bearer ${token}`,
        body,
        secrets: [...secrets, ...this.#tokens.secrets, token],
      })
      return data
    }
    const token = await this.#tokens.get()
    try {
      return await send(token)
    } catch (err) {
      if (!(err instanceof DarajaApiError) || err.info.meaning !== "invalid_token") throw err
      this.#logger.warn("daraja rejected the access token; fetching a new one and retrying once", { endpoint })
      await this.#tokens.invalidate(token)
      return send(await this.#tokens.get())
    }
  }

  #withRetry<T>(label: string, idempotent: boolean, fn: () => Promise<T>): Promise<T> {
    return withRetry(fn, {
      // Non-idempotent calls get exactly one attempt: never a second STK prompt or a second reversal.
      policy: idempotent ? this.#retryPolicy : { ...this.#retryPolicy, attempts: 1 },
      // "Being processed" is an answer for the caller to act on (stkQuery returns it as pending), not a fault.
      shouldRetry: (err) => {
        if (classifyDarajaError(err, { idempotent }) !== "retry") return false
        if (err instanceof DarajaApiError && err.info.meaning === "pending") return false
        // A token fetch that failed inside an API call was already retried by its own loop.
        return !(label !== DARAJA_PATHS.oauth && err instanceof DarajaError && err.endpoint === DARAJA_PATHS.oauth)
      },
      onRetry: (err, attempt, delayMs) =>
        this.#logger.warn("daraja call failed; retrying", {
          endpoint: label,
          attempt,
          delayMs,
          error: err instanceof Error ? err.message : "unknown error",
        }),
    })
  }
}

function stripUndefined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
