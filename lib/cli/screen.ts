/**
 * Lines that fit the terminal: progress bars whose label, bar and figures are sized to the
 * width (figures dropped from the least useful end, never cut mid-word), tables whose
 * widest column gives way first, and short labels for destinations.
 * @module
 */
import { basename, dirname, resolve, sep } from 'node:path'

import { escapeControls } from '../text/escape'

/** Bars never grow wider than this, nor narrower than {@link BAR_MIN}. */
const BAR_MAX = 40
const BAR_MIN = 10
/** Labels are cut to this many characters. */
const LABEL_MAX = 14

/** `text` cut to `width` characters, with an ellipsis when cut. */
export function cut(text: string, width: number): string {
  if (width <= 0) return ''
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`
}

/** One bar's content: its label, how full it is, and figures in order of importance. */
export interface BarRow {
  label: string
  fraction: number
  items: readonly string[]
}

/**
 * Progress lines of at most `columns - 1` characters each (the last column is left free
 * so no terminal wraps them): `label [bar] pct  item  item …`, labels padded to one width
 * and bars of one length so they line up. Items that do not fit are left out from the
 * end (the least important), never cut.
 */
export function progressLines(rows: readonly BarRow[], columns: number): string[] {
  const width = Math.max(20, columns - 1)
  const lw = Math.min(Math.max(...rows.map((r) => escapeControls(r.label).length)), LABEL_MAX)
  const fixed = lw + 1 + 2 + 1 + 4
  const fitted = rows.map((r) => {
    const kept: string[] = []
    let used = 0
    for (const item of r.items.map(escapeControls)) {
      const add = 2 + item.length
      if (fixed + BAR_MIN + used + add > width) break
      kept.push(item)
      used += add
    }
    return { r, kept, used }
  })
  const bar = Math.max(BAR_MIN, Math.min(BAR_MAX, ...fitted.map((f) => width - fixed - f.used)))
  return fitted.map(({ r, kept }) => {
    const f = Number.isFinite(r.fraction) ? Math.min(1, Math.max(0, r.fraction)) : 0
    const full = Math.round(f * bar)
    const head = cut(escapeControls(r.label), lw).padEnd(lw)
    const line = `${head} [${'#'.repeat(full)}${'-'.repeat(bar - full)}] ${`${Math.floor(f * 100)}%`.padStart(4)}${kept.map((i) => `  ${i}`).join('')}`
    return cut(line, width)
  })
}

/**
 * Short, distinct names for destinations: the drive's or folder's last component
 * (`SSD1` for `/Volumes/SSD1`), with as many parent components as it takes to tell two
 * apart (`a/photos`, `b/photos`).
 */
export function destinationLabels(roots: readonly string[]): string[] {
  const parts = roots.map((r) => resolve(r).split(sep).filter(Boolean))
  // Session folders on several drives all end with the session's name: name the drives.
  while (parts.length > 1 && parts.every((p) => p.length > 1 && p.at(-1) === parts[0]!.at(-1)))
    for (const p of parts) p.pop()
  const depth = roots.map(() => 1)
  for (let round = 0; round < 8; round++) {
    const names = parts.map((p, i) => p.slice(-depth[i]!).join('/') || resolve(roots[i]!))
    let clash = false
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i || names.lastIndexOf(n) !== i) {
        depth[i]!++
        clash = true
      }
    })
    if (!clash) return names
  }
  return roots.map((r) => resolve(r))
}

/** The last folder of a path (for a card: `EOS_DIGITAL`). */
export function lastFolder(path: string): string {
  return basename(resolve(path)) || dirname(resolve(path))
}

/**
 * A table of left-aligned text and right-aligned numbers, two spaces between columns, at
 * most `columns - 1` wide: the first column (names) gives way, cut with an ellipsis.
 */
export function table(
  rows: readonly (readonly string[])[],
  columns: number,
  numeric: readonly boolean[],
): string {
  const width = Math.max(20, columns - 1)
  const cells = rows.map((r) => r.map(escapeControls))
  const widths = cells[0]!.map((_, c) => Math.max(...cells.map((r) => r[c]!.length)))
  const total = widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1)
  if (total > width) widths[0] = Math.max(4, widths[0]! - (total - width))
  return (
    cells
      .map((r) =>
        r
          .map((cell, c) => {
            const v = cut(cell, widths[c]!)
            return numeric[c] ? v.padStart(widths[c]!) : v.padEnd(widths[c]!)
          })
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  )
}

/** `1234` seconds → `20m34s`; `undefined` → `?`. */
export function duration(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s)) return '?'
  const m = Math.floor(s / 60)
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`
}
