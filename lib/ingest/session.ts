/**
 * Session folder names: `{date}_{client}_{shoot}` rendered from a template, every field
 * made safe to use as one path segment on every file system a photographer may meet
 * (ext4, APFS, NTFS, exFAT).
 * @module
 */
import { InvalidArgumentError } from '../errors'

/** Who and what a session is. */
export interface SessionInfo {
  /** Client name, e.g. `Ada Lovelace`. */
  client: string
  /** Shoot name, e.g. `Wedding`. */
  shoot: string
  /** `YYYY-MM-DD`, or a `Date` (its local calendar day); default today. */
  date?: string | Date
}

/** The default template: `2026-04-26_Ada Lovelace_Wedding`. */
export const DEFAULT_FOLDER_TEMPLATE = '{date}_{client}_{shoot}'

/** Longest session folder name in UTF-8 bytes (most file systems allow 255). */
const MAX_FOLDER_BYTES = 200
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i
// Separators and the characters NTFS/exFAT refuse.
const FORBIDDEN = /[\/\\:*?"<>|]/g
// C0 and C1 controls, DEL, and the Unicode line/paragraph separators and bidi overrides.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

/**
 * Makes one name safe as (part of) a single path segment: Unicode NFC; control
 * characters removed; `/ \ : * ? " < > |` replaced by `-`; runs of dots collapsed (so
 * `..` can never appear); leading dots/spaces and trailing dots/spaces removed; Windows
 * device names (`CON`, `LPT1`, …) prefixed with `_`. Returns `''` when nothing is left.
 *
 * @example
 * ```ts
 * sanitizeName('../../etc')  // 'etc'
 * sanitizeName('CON')        // '_CON'
 * sanitizeName('Smith / Jones.') // 'Smith - Jones'
 * ```
 */
export function sanitizeName(raw: string): string {
  let s = String(raw).normalize('NFC').replace(CONTROL, '').replace(FORBIDDEN, '-')
  s = s.replace(/\.{2,}/g, '.').replace(/\s+/g, ' ')
  s = s.replace(/^[\s.\-]+/, '').replace(/[\s.]+$/, '')
  if (WINDOWS_RESERVED.test(s)) s = `_${s}`
  return s
}

function today(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
}

function sessionDate(date: string | Date | undefined): string {
  if (date === undefined) return today(new Date())
  if (date instanceof Date) {
    if (Number.isNaN(date.getTime())) throw new InvalidArgumentError('session.date is an invalid Date')
    return today(date)
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date)
  const d = m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!)) : undefined
  if (!m || !d || d.getUTCMonth() !== +m[2]! - 1 || d.getUTCDate() !== +m[3]!) {
    throw new InvalidArgumentError(
      `session.date ${JSON.stringify(date)} is not a calendar date; write it as YYYY-MM-DD, e.g. 2026-04-26`,
    )
  }
  return date
}

function truncateUtf8(s: string, maxBytes: number): string {
  if (Buffer.byteLength(s) <= maxBytes) return s
  let out = ''
  for (const ch of s) {
    if (Buffer.byteLength(out + ch) > maxBytes) break
    out += ch
  }
  return out.replace(/[\s.]+$/, '')
}

/**
 * Renders the session folder name from a template with `{date}`, `{client}` and
 * `{shoot}` (each sanitized with {@link sanitizeName}; the whole result once more), at
 * most 200 UTF-8 bytes. The result is always exactly one safe path segment.
 *
 * @example
 * ```ts
 * sessionFolderName({ client: 'Ada', shoot: 'Wedding', date: '2026-04-26' })
 * // '2026-04-26_Ada_Wedding'
 * ```
 * @throws {@link InvalidArgumentError} `E_INVALID_ARGUMENT` for an empty client or shoot
 *   (after sanitizing), a bad date or a template without any field
 */
export function sessionFolderName(session: SessionInfo, template: string = DEFAULT_FOLDER_TEMPLATE): string {
  if (!session || typeof session !== 'object')
    throw new InvalidArgumentError('session must be { client, shoot, date? }')
  if (typeof template !== 'string' || !/\{(date|client|shoot)\}/.test(template)) {
    throw new InvalidArgumentError(
      `folderTemplate ${JSON.stringify(template)} uses none of {date}, {client}, {shoot}`,
    )
  }
  const fields: Record<string, string> = { date: sessionDate(session.date) }
  for (const key of ['client', 'shoot'] as const) {
    const value = typeof session[key] === 'string' ? sanitizeName(session[key]) : ''
    if (value === '') {
      throw new InvalidArgumentError(
        `session.${key} ${JSON.stringify(session[key])} is empty once unsafe characters are removed; give a name with letters or digits`,
      )
    }
    fields[key] = value
  }
  const unknown = /\{([^}]*)\}/g
  const rendered = template.replace(unknown, (whole, name: string) => fields[name] ?? whole)
  const name = truncateUtf8(sanitizeName(rendered), MAX_FOLDER_BYTES)
  if (name === '')
    throw new InvalidArgumentError(`folderTemplate ${JSON.stringify(template)} renders an empty folder name`)
  return name
}
