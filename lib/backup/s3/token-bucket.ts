/**
 * A byte-rate limit shared by every transfer of a store (`--bwlimit`): parallel parts take
 * their turns from one budget, first come first served.
 * @internal
 * @module
 */
import { Transform, type TransformCallback } from 'node:stream'

import { sleep } from './retry'

/**
 * Generic cell-rate scheduling: each `take(n)` books `n / rate` seconds after the previous
 * booking and waits until its slot, less a small burst allowance. Over any stretch of time
 * the bytes let through stay within `rate × time + burst`.
 */
export class TokenBucket {
  /** When the budget booked so far is spent (ms, performance clock). */
  #until = 0
  readonly #burstMs: number

  constructor(
    /** Bytes per second. */
    readonly rate: number,
    /** Bytes that may pass at once after a pause (default: 50 ms worth, at least 64 KiB). */
    burst = Math.max(64 * 1024, rate / 20),
  ) {
    if (!(rate > 0)) throw new RangeError('the rate must be positive')
    this.#burstMs = (burst / rate) * 1000
  }

  /** Waits until `bytes` may pass. */
  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    const now = performance.now()
    const start = Math.max(this.#until, now - this.#burstMs)
    this.#until = start + (bytes / this.rate) * 1000
    const wait = this.#until - this.#burstMs - now
    if (wait > 1) await sleep(wait, signal)
  }
}

/** A pass-through stream that lets bytes through at the bucket's pace and counts them. */
export function throttle(bucket: TokenBucket | undefined, onBytes?: (n: number) => void, signal?: AbortSignal): Transform {
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
