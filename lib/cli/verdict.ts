/**
 * The safe-to-format verdict for people: reasons grouped (by what is wrong and where),
 * a few files named per group, why a size-only check does not count, and the verdict
 * itself last, with counts, where it is seen.
 * @module
 */
import type { SafeToFormatReason } from '../ingest/safe-to-format'
import { cut, destinationLabels } from './screen'

/** Files named per group before "and N more". */
const EXAMPLES = 3

const WHAT: Record<SafeToFormatReason['code'], string> = {
  missing: 'no verified copy recorded',
  unverified: 'copied but not read back from the disk',
  mismatch: 'differs from the card, or changed since',
  'too-few-copies': 'fewer verified copies than needed',
  'no-session': 'no Shutterproof session there',
  'no-manifest': "verified, but not in the session's ASC MHL history",
  'no-card': 'no card: the card folder is empty or gone',
  'run-not-completed': 'the ingest did not complete',
  cancelled: 'the ingest was cancelled before it finished',
}

const METHOD: Record<string, string> = {
  size: 'checked by size only (--verify size)',
  none: 'never read back (--verify source, or the run stopped first)',
  cache: 'read back from memory only (the drive refused a real read-back)',
}

export interface VerdictInput {
  safe: boolean
  /** Card files considered (absent: not known). */
  files?: number
  minCopies: number
  reasons: readonly SafeToFormatReason[]
}

/** Lines explaining the verdict, the verdict last. */
export function renderVerdict(v: VerdictInput, columns: number): string {
  const width = Math.max(40, columns - 1)
  const lines: string[] = []
  const dests = [...new Set(v.reasons.map((r) => r.destination).filter((d): d is string => d !== undefined))]
  const labels = new Map(dests.map((d, i) => [d, destinationLabels(dests)[i]!]))
  const groups = new Map<string, SafeToFormatReason[]>()
  for (const r of v.reasons) {
    const key = [r.code, r.destination ?? '', r.code === 'unverified' ? (r.method ?? '') : ''].join('\u0000')
    groups.set(key, [...(groups.get(key) ?? []), r])
  }
  if (groups.size > 0)
    lines.push(
      `Why not (${v.reasons.length} ${v.reasons.length === 1 ? 'reason' : 'reasons'}, in ${groups.size} ${groups.size === 1 ? 'group' : 'groups'}):`,
    )
  for (const rs of groups.values()) {
    const r = rs[0]!
    const where = r.destination !== undefined ? ` at ${labels.get(r.destination)}` : ''
    const what = r.code === 'unverified' && r.method && METHOD[r.method] ? METHOD[r.method]! : WHAT[r.code]
    const paths = rs.map((x) => x.path).filter((p): p is string => p !== undefined)
    // A reason about no file in particular (no card, a run that did not complete) is
    // advice to read in full: only lists of files are cut to the screen's width.
    if (paths.length === 0) lines.push(`  ${what}${where}: ${r.message}`)
    else lines.push(cut(`  ${what}${where}: ${paths.length} ${paths.length === 1 ? 'file' : 'files'}`, width))
    if (paths.length > 0) {
      const shown =
        paths.slice(0, EXAMPLES).join(', ') +
        (paths.length > EXAMPLES ? `, and ${paths.length - EXAMPLES} more` : '')
      lines.push(cut(`    ${shown}`, width))
    } else if (rs.length > 1) lines.push(cut(`    ${rs.length} times`, width))
  }
  if (v.reasons.some((r) => r.code === 'unverified' && r.method === 'size')) {
    lines.push(
      '',
      'A size check cannot see a damaged byte: a copy with the right size may still be',
      'corrupt, so size-checked copies never count as verified. Read them back with',
      '`shutterproof verify SESSION_FOLDER` on each destination, or ingest again without',
      '--verify size.',
    )
  }
  if (v.reasons.some((r) => r.code === 'unverified' && r.method === 'none')) {
    lines.push(
      '',
      'Copies that were never read back do not count: run `shutterproof verify SESSION_FOLDER` on each destination.',
    )
  }
  if (lines.length > 0) lines.push('')
  lines.push(verdictLine(v))
  return lines.join('\n') + '\n'
}

/** The verdict in one line, with counts. */
export function verdictLine(v: VerdictInput): string {
  const files = v.files
  if (v.safe)
    return `safe to format the card: yes (${files ?? 'all'} ${files === 1 ? 'file' : 'files'}, each verified on ${v.minCopies === 1 ? 'a destination' : `${v.minCopies} or more destinations`})`
  if (v.reasons.length === 0)
    return 'safe to format the card: NO (the ingest did not complete; see the errors above; keep the card)'
  if (v.reasons.some((r) => r.code === 'no-card'))
    return 'safe to format the card: NO (no files on the card: is it mounted? keep the card)'
  if (v.reasons.some((r) => r.code === 'cancelled'))
    return 'safe to format the card: NO (the ingest was cancelled: run the same command again to finish)'
  const short = new Set(
    v.reasons.filter((r) => r.code === 'too-few-copies' && r.path !== undefined).map((r) => r.path),
  ).size
  const of = files !== undefined ? ` of ${files}` : ''
  if (short > 0)
    return `safe to format the card: NO (${short}${of} ${short === 1 && !of ? 'file' : 'files'} ${short === 1 ? 'has' : 'have'} fewer than ${v.minCopies} verified ${v.minCopies === 1 ? 'copy' : 'copies'}; keep the card)`
  return `safe to format the card: NO (${v.reasons.length} ${v.reasons.length === 1 ? 'reason' : 'reasons'} above; keep the card)`
}
