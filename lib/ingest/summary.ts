/**
 * How an ingest ended: per destination (its counts and status), and for the whole run.
 * @module
 */
import { reported } from '../errors'
import type { NativeCopyReport } from '../native'
import type { OperationStatus } from '../status'
import type { DestinationReport, IngestFileResult, VerifyMode } from './types'

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
  files: readonly IngestFileResult[]
  native: NativeCopyReport
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
    const count = (st: string) => o.files.filter((f) => f.destinations[d]!.status === st).length
    const allFinished = o.files.every((f) => finished.has(f.destinations[d]!.status))
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
  files: readonly IngestFileResult[],
  perDestination: readonly DestinationReport[],
  aborted: boolean,
): OperationStatus {
  if (aborted) return 'aborted'
  const integrity = files.some(
    (f) =>
      f.sourceState === 'source-changed' || f.destinations.some((x) => x.error?.code === 'E_VERIFY_MISMATCH'),
  )
  if (integrity || perDestination.every((d) => d.status === 'failed')) return 'failed'
  const everyFileRead = files.every(
    (f) => f.sourceState === 'read' || f.sourceState === 'previously-verified',
  )
  return perDestination.every((d) => d.status === 'completed') && everyFileRead
    ? 'completed'
    : 'completed-with-errors'
}
