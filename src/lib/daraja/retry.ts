export type RetryPolicy = {
  /** total tries including the first */
  attempts: number
  baseDelayMs: number
  maxDelayMs: number
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 3, baseDelayMs: 250, maxDelayMs: 4_000 }

/** "Full jitter" backoff: a uniform delay in [0, min(max, base * 2^(attempt-1))) so concurrent retries spread out. */
export function backoffDelayMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1))
  return Math.floor(random() * ceiling)
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Runs `fn` up to `policy.attempts` times while `shouldRetry` says so. Callers pass a one-attempt policy for
 * non-idempotent calls, so this never repeats an STK push or a reversal.
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  options: {
    policy: RetryPolicy
    shouldRetry: (err: unknown) => boolean
    onRetry?: (err: unknown, attempt: number, delayMs: number) => void
    random?: () => number
  }
): Promise<T> {
  const attempts = Math.max(1, Math.floor(options.policy.attempts))
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt)
    } catch (err) {
      if (attempt >= attempts || !options.shouldRetry(err)) throw err
      const delayMs = backoffDelayMs(options.policy, attempt, options.random)
      options.onRetry?.(err, attempt, delayMs)
      await sleep(delayMs)
    }
  }
}
