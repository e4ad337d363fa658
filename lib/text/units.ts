/**
 * Byte counts and rates for people: decimal units (kB = 1000 B, as file managers and
 * card makers count), one decimal below 100.
 * @module
 */

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'] as const

/** `4096` → `4.1 kB`; `512` → `512 B`. */
export function formatBytes(bytes: number): string {
  let v = bytes
  let u = 0
  while (v >= 1000 && u < UNITS.length - 1) {
    v /= 1000
    u++
  }
  return u === 0 ? `${Math.round(v)} B` : `${v.toFixed(v >= 100 ? 0 : 1)} ${UNITS[u]}`
}

/** `1234567` → `1.2 MB/s`. */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`
}
