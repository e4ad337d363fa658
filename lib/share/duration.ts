/**
 * Durations written the way people write them on a command line: `90m`, `36h`, `7d`, `2w`.
 * @module
 */
import { InvalidArgumentError } from '../errors'

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 }

/**
 * Parses a duration (`'7d'`, `'36h'`, `'90m'`, `'45s'`, `'2w'`) or passes milliseconds
 * through. Rejects zero, negative, fractional-unit or unknown forms.
 *
 * @example
 * ```ts
 * parseDuration('7d')   // 604800000
 * parseDuration(60_000) // 60000
 * ```
 */
export function parseDuration(value: string | number, what = 'duration'): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new InvalidArgumentError(`${what} must be a positive whole number of milliseconds, got ${value}`)
    }
    return value
  }
  const m = typeof value === 'string' ? /^\s*(\d{1,6})\s*([smhdw])\s*$/.exec(value) : null
  if (!m || Number(m[1]) === 0) {
    throw new InvalidArgumentError(
      `${what} ${describe(value)} is not understood; write a positive number and a unit, e.g. 7d, 36h, 90m`,
    )
  }
  return Number(m[1]) * UNIT_MS[m[2]!]!
}

/** A value for a message: strings quoted; anything else (a bigint, an object) named by its type. */
function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : `of type ${typeof value}`
}

/** Formats milliseconds compactly (`'14d'`, `'36h'`, `'90m'`) for messages. */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) {
    if (unit !== 'w' && ms % UNIT_MS[unit]! === 0) return `${ms / UNIT_MS[unit]!}${unit}`
  }
  return `${ms}ms`
}
