/**
 * A byte-rate limit shared by every transfer of a store (`--bwlimit`): parallel parts take
 * their turns from one budget, first come first served.
 * @internal
 * @module
 */
import { Transform, type TransformCallback } from 'node:stream'

import { sleep } from './retry'

/**
 * A token bucket that lends: `take(n)` removes `n` tokens at once (the count may go below
 * zero) and waits until the bucket is back at zero, so callers are served in the order
 * they asked. Tokens come back at `rate` a second up to `burst`; over any stretch of time
 * the bytes let through stay within `rate × time + burst`.
 */
export class TokenBucket {
  #tokens: number
  #last = performance.now()
  readonly #burst: number

  constructor(
    /** Bytes per second. */
    readonly rate: number,
    /** Bytes that may pass at once after a pause (default: 50 ms worth, at least 64 KiB). */
    burst = Math.max(64 * 1024, rate / 20),
  ) {
    if (!(rate > 0)) throw new RangeError('the rate must be positive')
    this.#burst = burst
    this.#tokens = burst
  }

  /** Waits until `bytes` may pass. */
  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    const now = performance.now()
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) / 1000) * this.rate)
    this.#last = now
    this.#tokens -= bytes
    if (this.#tokens < 0) await sleep((-this.#tokens / this.rate) * 1000, signal)
  }
}

/** A pass-through stream that lets bytes through at the bucket's pace and counts them. */
export function throttle(
  bucket: TokenBucket | undefined,
  onBytes?: (n: number) => void,
  signal?: AbortSignal,
): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
      const pass = () => {
        onBytes?.(chunk.length)
        done(null, chunk)
      }
      if (!bucket) return pass()
      bucket.take(chunk.length, signal).then(pass, done)
    },
  })
}
