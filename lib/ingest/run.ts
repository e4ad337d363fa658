/**
 * Running an ingest: card → session folder on every destination, through the verified
 * copy engine; then an ASC MHL generation, a JSON report and an HTML report per
 * destination, and the safe-to-format verdict. Each phase lives in its own module; this
 * one says their order.
 * @module
 */
import { join, resolve } from 'node:path'

import { CallbackGuard } from '../callbacks'
import { copyCard } from './copy'
import { checkDestinations, checkIngestOptions } from './options'
import type { FinishedRun } from './outputs'
import { walkCard } from './plan'
import { lazyFiles } from './report-files'
import { fileResults } from './results'
import { resumeEvidence } from './resume'
import { RunProgress } from './run-progress'
import { destinationReports, runStatus } from './summary'
import type { IngestOptions, IngestReport } from './types'

/**
 * Ingests a card: copies every file (keeping the card's tree) into a dated session
 * folder on every destination at once, reading the card once and hashing inline; reads
 * every copy back from the disk; writes `.shutterproof/ingest-<time>.json` and an ASC MHL
 * generation in each session folder; and says whether the card is safe to format.
 *
 * Safe to run again after a crash, an abort or a pulled card: stale temporary files are
 * removed, files verified by an earlier run (same size and mtime on the card and at the
 * destination) are not read again (`previously-verified`), and files already present are
 * re-checked from the disk (`skipped-identical`). Nothing is ever overwritten: a
 * different file under the same name in the session is refused per file with `E_EXISTS`
 * (ingest such a card into its own session, e.g. another `shoot` name).
 *
 * @example
 * ```ts
 * import { ingest } from 'shutterproof'
 * const report = await ingest({
 *   source: '/media/EOS_DIGITAL',
 *   destinations: ['/Volumes/SSD1', '/Volumes/SSD2'],
 *   session: { client: 'Ada Lovelace', shoot: 'Wedding', date: '2026-04-26' },
 *   onProgress: (p) => console.log(`${p.bytes}/${p.bytesTotal} ETA ${p.etaSeconds}s`),
 * })
 * console.log(report.status, report.safeToFormat, report.reasons)
 * ```
 * @throws {@link InvalidArgumentError} bad options, a destination inside the card, twice the same destination
 * @throws {@link FileSystemError} `ENOENT` (card or destination drive not there), `E_READ_ONLY`, `EACCES` — refused before anything is copied
 */
export async function ingest(options: IngestOptions): Promise<IngestReport> {
  const checked = checkIngestOptions(options)
  const { destinations } = checked
  const guard = new CallbackGuard(options.signal)
  guard.throwIfStopped()
  const onProgress = guard.wrap('onProgress', options.onProgress)
  const startedAt = new Date().toISOString()
  const startedClock = performance.now()
  await checkDestinations(destinations)
  const card = await walkCard(checked.source)
  const sessionRoots = destinations.map((d) => join(resolve(d), checked.session.folder))

  // Resume: stale temporary files go, earlier evidence is read.
  const resume = await resumeEvidence(card, sessionRoots)
  const progress = new RunProgress({ destinations, card, resume, verify: checked.verify, startedClock })
  let later: AfterCopy | undefined
  const native = await copyCard(
    { card, resume, sessionRoots, algorithms: checked.algorithms, verify: checked.verify },
    guard,
    progress,
    onProgress,
    () => {
      try {
        later ??= afterCopy()
      } catch {
        // Loaded again below, where its error surfaces.
      }
    },
  )
  const { runRecords, writeSessionFiles, verdictAfterRun } = (later ??= afterCopy())

  // Per file, per destination; then per destination. The engine's report and the earlier
  // evidence, now held compactly in the table, go before the reports are written.
  const files = fileResults(card, native, resume)
  for (const e of resume.evidence) e.clear()
  const aborted = native.status === 'aborted' || guard.stopped
  const { removedPartials } = resume
  const perDestination = destinationReports({
    files,
    native,
    destinations,
    sessionRoots,
    removedPartials,
    aborted,
    verify: checked.verify,
  })

  // MHL, records and HTML, per destination (never for a file not at its final name).
  const finishedAt = new Date().toISOString()
  const run: FinishedRun = {
    checked,
    card,
    sessionRoots,
    files,
    perDestination,
    bytes: native.bytesRead,
    throughput: progress.samples,
    startedAt,
    finishedAt,
  }
  const records = runRecords(run)
  const last = progress.settled(native.bytesRead)
  await writeSessionFiles(run, records, (d) => {
    if (!aborted) onProgress?.({ ...last, phase: 'records', destination: destinations[d]! })
  })

  const status = runStatus(files, perDestination, aborted)
  const verdict = await verdictAfterRun(card.root, sessionRoots, checked.minCopies, status)
  // `files` is made from the table only if the caller reads it (see lazyFiles).
  const report: IngestReport = lazyFiles(
    {
      status,
      session: checked.session,
      source: card.root,
      files: [],
      skipped: card.skipped,
      bytes: native.bytesRead,
      bytesTotal: card.bytes,
      perDestination,
      safeToFormat: verdict.safe,
      reasons: verdict.reasons,
      startedAt,
      finishedAt,
    },
    files,
  )
  // The abort contract: reject, with what was done as `partial` (E_CALLBACK if a callback threw).
  if (aborted) throw guard.stopError(report)
  // The last event, right before the promise resolves: what is finished where.
  onProgress?.(progress.final(last, files, perDestination, native.bytesRead))
  return report
}

/** What runs once the copy is done: the MHL, report and verdict code. */
type AfterCopy = typeof import('./outputs') & typeof import('./safe-to-format')

/**
 * The {@link AfterCopy} modules (fast-xml-parser and saxes with them), loaded as soon as
 * the whole card has been read, while the engine's threads still write and read back
 * the last files and this thread has little to do, rather than before the copy starts:
 * ~25 ms of module loading off every ingest's start (Node 20; issue #18). Not at the
 * copy's start: that blocked the progress display while a card in the page cache was
 * read (its bar jumped from 0 to 100 %).
 */
function afterCopy(): AfterCopy {
  return {
    ...(require('./outputs') as typeof import('./outputs')),
    ...(require('./safe-to-format') as typeof import('./safe-to-format')),
  }
}
