import type { DarajaLogger } from "./logger"

export type PostOptions = {
  /** idempotent calls are retried with backoff on retryable failures; others are sent exactly once */
  idempotent: boolean
  /** values of this call that must never appear in an error or log line (passkey, Password, initiator password...) */
  secrets: readonly string[]
}

/**
 * What an endpoint module needs from the client: an authenticated POST (token, retry and the invalid-token
 * refresh are handled behind it), the clock and the logger. Keeps each endpoint file free of plumbing.
 */
export interface DarajaCaller {
  /** resolves with the 2xx body (ResponseCode already checked to be "0" when present) */
  post(endpoint: string, body: Record<string, unknown>, options: PostOptions): Promise<unknown>
  now(): Date
  readonly logger: DarajaLogger
}
