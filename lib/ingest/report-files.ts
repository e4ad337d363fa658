/**
 * `IngestReport.files` made only when asked for, and what a caller that prints a summary
 * needs instead (counts, the files with a problem), so that a run of 20,000 files never
 * holds 20,000 result objects unless its caller wants them (issue #18).
 * @module
 */
import type { ReportedError } from '../errors'
import type { FileTable } from './file-table'
import { defineLazyList } from './lazy-list'
import type { IngestFileResult, IngestReport } from './types'

/** What the CLI prints of a run's files, bounded by the problems rather than the card. */
export interface IngestTally {
  /** Files of the card. */
  files: number
  /** Files neither failed nor left uncopied at any destination. */
  reachedEverywhere: number
  /** Files verified (or found identical, or verified before) at every destination. */
  checkedEverywhere: number
  /** Per destination: files and their bytes verified (or found identical, or verified before) there. */
  checked: Array<{ files: number; bytes: number }>
  /** Files with an error on the card, or at a destination that has no error of its own; in the card's order. */
  problems: Array<{ path: string; sourceError?: ReportedError; errors: Array<ReportedError | undefined> }>
}

const CHECKED: ReadonlySet<string> = new Set(['verified', 'skipped-identical', 'previously-verified'])

const tallies = new WeakMap<IngestReport, IngestTally>()

/** The tally of a report {@link ingest} made (also its `AbortError.partial`), if it is one. @internal */
export function ingestTally(report: IngestReport): IngestTally | undefined {
  return tallies.get(report)
}

/**
 * Makes `report.files` a lazy list (./lazy-list.ts, as the other per-file lists of a
 * result): the result objects are built from `table` on first read and kept, ~500 bytes
 * a file then (about 10 MB for 20,000 files), nothing before; and gives the report its
 * {@link IngestTally}.
 */
export function lazyFiles(report: IngestReport, table: FileTable): IngestReport {
  defineLazyList(report, 'files', table.count, () => fileResults(table))
  tallies.set(report, tally(table, report))
  return report
}

/** The table's result objects, one at a time, in the card's order. */
function* fileResults(table: FileTable): Generator<IngestFileResult> {
  for (let i = 0; i < table.count; i++) yield table.result(i)
}

/** One pass over the table for what {@link IngestTally} holds. */
function tally(table: FileTable, report: IngestReport): IngestTally {
  const checked = Array.from({ length: table.width }, () => ({ files: 0, bytes: 0 }))
  const out: IngestTally = {
    files: table.count,
    reachedEverywhere: 0,
    checkedEverywhere: 0,
    checked,
    problems: [],
  }
  for (let i = 0; i < table.count; i++) {
    let reached = true
    let all = true
    let problem = false
    const errors: Array<ReportedError | undefined> = []
    for (let d = 0; d < table.width; d++) {
      const st = table.status(i, d)
      if (st === 'aborted' || st === 'failed') reached = false
      if (CHECKED.has(st)) {
        checked[d]!.files++
        checked[d]!.bytes += table.size(i)
      } else all = false
      const err = report.perDestination[d]!.error ? undefined : table.error(i, d)
      if (err) problem = true
      errors.push(err)
    }
    if (reached) out.reachedEverywhere++
    if (all) out.checkedEverywhere++
    const sourceError = table.sourceError(i)
    if (sourceError || problem)
      out.problems.push({ path: table.path(i), ...(sourceError ? { sourceError } : {}), errors })
  }
  return out
}
