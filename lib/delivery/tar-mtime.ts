/**
 * Modification times in delivery tars to the millisecond. A ustar header keeps whole
 * seconds; a POSIX pax `mtime` record (decimal seconds, read by GNU tar and bsdtar too)
 * carries the fraction when there is one.
 * @internal
 * @module
 */
import type { Header } from 'tar-stream'

/** Pax records for `mtime`, or `undefined` when whole seconds say it all. */
export function paxMtime(mtime: Date): Record<string, string> | undefined {
  const ms = mtime.getTime()
  if (!Number.isFinite(ms) || ms % 1000 === 0) return undefined
  const sign = ms < 0 ? '-' : ''
  const abs = Math.abs(ms)
  return { mtime: `${sign}${Math.floor(abs / 1000)}.${String(abs % 1000).padStart(3, '0')}` }
}

/** An entry's modification time: the pax record when valid, else the ustar field, else none. */
export function entryMtime(header: Partial<Pick<Header, 'mtime' | 'pax'>>): Date | undefined {
  const pax = (header.pax as Record<string, string> | undefined)?.mtime
  const m = typeof pax === 'string' ? /^(-?)(\d{1,15})(?:\.(\d{1,9}))?$/.exec(pax) : null
  if (m) {
    const ms = Number(m[2]) * 1000 + Number((m[3] ?? '').padEnd(3, '0').slice(0, 3))
    const date = new Date(m[1] ? -ms : ms)
    // Beyond what a Date holds (±8.64e15 ms): ignored, like any other nonsense record.
    if (!Number.isNaN(date.getTime())) return date
  }
  const ustar = header.mtime
  return ustar instanceof Date && !Number.isNaN(ustar.getTime()) ? ustar : undefined
}
