/**
 * Bounded retries with exponential back-off and jitter, for requests that failed in a way
 * that a later attempt can fix (5xx, 429/SlowDown, timeouts, resets, refused connections).
 * Every retry is reported, so that a slow night is visible rather than silent.
 * @internal
 * @module
 */
import { AbortError } from '../../errors'

/** How many attempts, and how long to wait between them. */
export interface RetryPolicy {
  /** Attempts in all, the first included (default 8). */
  attempts: number
  /** Wait before the second attempt, doubled each time (default 250 ms). */
  baseMs: number
  /** Longest wait between two attempts (default 20 s). */
  maxMs: number
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 8, baseMs: 250, maxMs: 20_000 }

/** One retry, as reported to `onRetry`. */
export interface RetryEvent {
  /** The request, e.g. `PUT objects/ab/ab12…`. */
  what: string
  /** Why the last attempt failed: `HTTP 503 SlowDown`, `ECONNRESET`, `timeout`… */
  reason: string
  /** The attempt about to be made (2 for the first retry). */
  attempt: number
  attempts: number
  delayMs: number
}

/** Sleeps `ms`, rejecting with `E_ABORTED` when the signal trips meanwhile. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortError(undefined, { cause: signal.reason }))
    const onAbort = () => {
      clearTimeout(timer)
      reject(new AbortError(undefined, { cause: signal?.reason }))
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** "Equal jitter": half the exponential step for sure, the other half at random. */
export function backoff(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const step = Math.min(policy.maxMs, policy.baseMs * 2 ** (retry - 1))
  return Math.round(step / 2 + random() * (step / 2))
}

/**
 * Runs `attempt` until it succeeds, fails with an error `retryable` gives no reason for,
 * or the attempts are used up (then the last error is thrown).
 */
export async function withRetry<T>(
  what: string,
  attempt: (n: number) => Promise<T>,
  options: {
    policy?: RetryPolicy
    retryable: (err: unknown) => string | undefined
    onRetry?: (e: RetryEvent) => void
    signal?: AbortSignal
  },
): Promise<T> {
  const policy = options.policy ?? DEFAULT_RETRY
  for (let n = 1; ; n++) {
    try {
      return await attempt(n)
    } catch (err) {
      if (options.signal?.aborted) throw new AbortError(undefined, { cause: options.signal.reason })
      const reason = options.retryable(err)
      if (reason === undefined || n >= policy.attempts) throw err
      const delayMs = backoff(policy, n)
      options.onRetry?.({ what, reason, attempt: n + 1, attempts: policy.attempts, delayMs })
      await sleep(delayMs, options.signal)
    }
  }
}
