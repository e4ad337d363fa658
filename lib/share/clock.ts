/**
 * Where sharing reads the time from. Injectable, so tests move time forward instead of
 * sleeping, and a server can be driven by a monotonic-safe source of its choice.
 * @module
 */

/** A source of the current time. */
export interface Clock {
  /** The current time. */
  now(): Date
}

/**
 * The system clock (`new Date()`).
 *
 * @example
 * ```ts
 * const registry = openShareRegistry({ path, serverKey, clock: systemClock })
 * ```
 */
export const systemClock: Clock = { now: () => new Date() }

/** A clock that only moves when told to; see {@link manualClock}. */
export interface ManualClock extends Clock {
  /** Moves the clock forward by `ms` milliseconds (or a duration such as `'8d'`). */
  advance(ms: number): void
  /** Sets the clock to `date`. */
  set(date: Date): void
}

/**
 * A clock for tests: it stands still until {@link ManualClock.advance} is called.
 *
 * @example
 * ```ts
 * const clock = manualClock(new Date('2026-04-26T10:00:00Z'))
 * clock.advance(8 * 24 * 3600_000)   // eight days later, without sleeping
 * ```
 */
export function manualClock(start: Date = new Date()): ManualClock {
  let t = start.getTime()
  return {
    now: () => new Date(t),
    advance(ms: number) {
      t += ms
    },
    set(date: Date) {
      t = date.getTime()
    },
  }
}
