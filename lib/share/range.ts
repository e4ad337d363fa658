/**
 * One HTTP byte range (RFC 9110 §14): `bytes=a-b`, `bytes=a-`, `bytes=-n`.
 * @module
 */

/** An inclusive byte range. */
export interface ByteRange {
  start: number
  end: number
}

/**
 * Reads a `Range` header against a file of `size` bytes: a range to send (206), `'unsatisfiable'`
 * (416), or `undefined` to send the whole file (no header, a malformed one, or several
 * ranges, which a server may answer in full).
 *
 * @example
 * ```ts
 * parseRange('bytes=0-99', 1000)   // { start: 0, end: 99 }
 * parseRange('bytes=-10', 1000)    // { start: 990, end: 999 }
 * parseRange('bytes=2000-', 1000)  // 'unsatisfiable'
 * ```
 */
export function parseRange(
  header: string | undefined,
  size: number,
): ByteRange | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header)
  if (!m || (m[1] === '' && m[2] === '')) return undefined
  if (m[1] === '') {
    const suffix = Number(m[2])
    if (suffix === 0 || size === 0) return 'unsatisfiable'
    return { start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(m[1])
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1)
  // Compared exactly: past 2^53 two different numbers can round to the same double.
  if (m[2] !== '' && BigInt(m[2]) < BigInt(m[1])) return undefined // invalid: ignore the header
  if (start >= size) return 'unsatisfiable'
  return { start, end }
}
