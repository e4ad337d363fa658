/**
 * How an ingest ended: per destination (its counts and status), and for the whole run.
 * @module
 */
import { reported } from '../errors'
import type { NativeCardReport } from '../native'
import type { OperationStatus } from '../status'
import type { FileTable } from './file-table'
import type { DestinationReport, VerifyMode } from './types'

/** What a file's status must be at a destination for it to count as finished there. */
export function finishedStatuses(verify: VerifyMode): ReadonlySet<string> {
  return new Set(
    verify === 'destination'
      ? ['verified', 'skipped-identical', 'previously-verified']
      : ['verified', 'copied', 'skipped-identical', 'previously-verified'],
  )
}

/** Where each destination's files ended up. */
export interface DestinationOutcome {
  files: FileTable
  native: NativeCardReport
  destinations: readonly string[]
  sessionRoots: readonly string[]
  removedPartials: readonly string[][]
  aborted: boolean
  verify: VerifyMode
}

/** One report per destination, in the order given. */
export function destinationReports(o: DestinationOutcome): DestinationReport[] {
  const finished = finishedStatuses(o.verify)
  return o.sessionRoots.map((sessionRoot, d) => {
    const s = o.native.destinations[d]!
    const counts = new Map<string, number>()
    let allFinished = true
    for (let i = 0; i < o.files.count; i++) {
      const st = o.files.status(i, d)
      counts.set(st, (counts.get(st) ?? 0) + 1)
      if (!finished.has(st)) allFinished = false
    }
    const count = (st: string) => counts.get(st) ?? 0
    const r: DestinationReport = {
      root: o.destinations[d]!,
      sessionRoot,
      // Completed only when every file is finished there: a copy renamed into place but
      // never read back (`copied`, method `none`, after an abort) is not.
      status: s.failure
        ? 'failed'
        : allFinished
          ? 'completed'
          : o.aborted
            ? 'aborted'
            : 'completed-with-errors',
      verified: count('verified'),
      copied: count('copied'),
      skippedIdentical: count('skipped-identical'),
      previouslyVerified: count('previously-verified'),
      failed: count('failed'),
      aborted: count('aborted'),
      bytesWritten: s.bytesWritten,
      removedPartials: o.removedPartials[d]!,
    }
    if (s.failure) r.error = reported(s.failure)
    return r
  })
}

/**
 * The run's status, once its MHL histories and reports are written (a history that could
 * not be written makes its destination's result an error).
 */
export function runStatus(
  files: FileTable,
  perDestination: readonly DestinationReport[],
  aborted: boolean,
): OperationStatus {
  if (aborted) return 'aborted'
  let integrity = false
  let everyFileRead = true
  for (let i = 0; i < files.count; i++) {
    const source = files.sourceState(i)
    if (source === 'source-changed') integrity = true
    for (let d = 0; d < files.width; d++)
      if (files.error(i, d)?.code === 'E_VERIFY_MISMATCH') integrity = true
    if (source !== 'read' && source !== 'previously-verified') everyFileRead = false
  }
  if (integrity || perDestination.every((d) => d.status === 'failed')) return 'failed'
  return perDestination.every((d) => d.status === 'completed') && everyFileRead
    ? 'completed'
    : 'completed-with-errors'
}
