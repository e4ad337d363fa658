/**
 * Running an ingest: card → session folder on every destination, through the verified
 * copy engine; then a JSON report and an ASC MHL generation per destination, and the
 * safe-to-format verdict.
 * @module
 */
import { lstat, stat } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'

import { withCancel } from '../abort'
import { CallbackGuard } from '../callbacks'
import { fromNative, InvalidArgumentError, reported, type ReportedError } from '../errors'
import { HASH_ALGORITHMS, type HashAlgorithm, type HashResult } from '../hash'
import { MHL_HASH_FORMATS } from '../mhl'
import { nativeCopyFiles, nativeRemoveStalePartials, type NativeCopyEvent, type NativeCopyReport, type NativeDigests } from '../native'
import { appendIngestGeneration } from './history'
import { nodeError, planCard, type PlannedFile } from './plan'
import { writeHtmlBeside } from '../report/write'
import { isDiskVerified, latestEvidence, readRecords, writeRecord, type RecordDestination, type RecordFile, type SessionRecord, type ThroughputSample, type VerifyMethod } from './records'
import { safeToFormat, type SafeToFormatReason } from './safe-to-format'
import { DEFAULT_FOLDER_TEMPLATE, sessionFolderName } from './session'
import type { DestinationProgress, DestinationReport, FileAtDestination, IngestFileResult, IngestOptions, IngestProgress, IngestReport, VerifyMode } from './types'
import type { ProgressPhase } from '../progress'

const VERIFY_MODES: readonly VerifyMode[] = ['destination', 'source', 'size']

function checkAlgorithms(list: readonly HashAlgorithm[] | undefined): HashAlgorithm[] {
  const asked = list ?? ['blake3', 'xxh128']
  if (!Array.isArray(asked)) throw new InvalidArgumentError(`algorithms must be an array of ${HASH_ALGORITHMS.join(', ')}`)
  for (const a of asked) if (!HASH_ALGORITHMS.includes(a)) throw new InvalidArgumentError(`Unknown hash algorithm ${JSON.stringify(a)}; use one of ${HASH_ALGORITHMS.join(', ')}`)
  const out = new Set<HashAlgorithm>(['blake3', ...asked])
  if (![...out].some((a) => (MHL_HASH_FORMATS as readonly string[]).includes(a))) out.add('xxh128')
  return [...out]
}

function hashesOf(d: NativeDigests | undefined): Omit<HashResult, 'size'> | undefined {
  if (!d) return undefined
  const out: Omit<HashResult, 'size'> = {}
  for (const a of HASH_ALGORITHMS) if (d[a] != null) out[a] = d[a]!
  return out
}

/** Rolling throughput over the last few seconds. */
class Rate {
  #samples: Array<[number, number]> = []
  add(bytes: number): number {
    const now = performance.now()
    this.#samples.push([now, bytes])
    while (this.#samples.length > 2 && now - this.#samples[0]![0] > 3000) this.#samples.shift()
    const [t0, b0] = this.#samples[0]!
    return now - t0 > 0 ? ((bytes - b0) * 1000) / (now - t0) : 0
  }
}

/** A short name for a destination: the drive's or folder's last component. */
function destinationLabel(root: string): string {
  return basename(resolve(root)) || resolve(root)
}

/** What a file's status must be at a destination for it to count as finished there. */
function finishedStatuses(verify: VerifyMode): ReadonlySet<string> {
  return new Set(verify === 'destination' ? ['verified', 'skipped-identical', 'previously-verified'] : ['verified', 'copied', 'skipped-identical', 'previously-verified'])
}

/** Same size and mtime as recorded, and the recorded copy still has them: no need to read again. */
async function stillVerified(rec: RecordFile | undefined, file: PlannedFile, sessionRoot: string): Promise<boolean> {
  if (!isDiskVerified(rec) || rec!.size !== file.size || rec!.mtimeMs === undefined || Math.abs(rec!.mtimeMs - file.mtimeMs) >= 1) return false
  if (!rec!.hashes.blake3) return false
  const st = await lstat(join(sessionRoot, file.path)).catch(() => undefined)
  return !!st && st.isFile() && st.size === file.size && Math.abs(st.mtimeMs - file.mtimeMs) < 1
}

/**
 * The safe-to-format verdict right after a run, with every reason it is not safe: a run
 * that did not complete says so (never "NO" with no reason), and a card pulled during the
 * run (its folder gone, empty or unreadable) is a reason, not a crash of the report.
 */
async function verdictAfterRun(card: string, sessionRoots: string[], minCopies: number, status: IngestReport['status']): Promise<{ safe: boolean; reasons: SafeToFormatReason[] }> {
  let safe: boolean
  let reasons: SafeToFormatReason[]
  try {
    const v = await safeToFormat(card, sessionRoots, { minCopies })
    ;({ safe, reasons } = v)
  } catch (err) {
    const e = fromNative(err, card)
    safe = false
    reasons = [{ code: 'no-card', message: e.message }]
  }
  if (status !== 'completed') {
    safe = false
    reasons.push({ code: 'run-not-completed', message: `this ingest ended ${status}; run it again once the problems listed above are fixed` })
  }
  return { safe, reasons }
}

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
  if (!options || typeof options !== 'object') throw new InvalidArgumentError('ingest needs options { source, destinations, session }')
  const { source, destinations, session } = options
  const verify = options.verify ?? 'destination'
  if (!VERIFY_MODES.includes(verify)) throw new InvalidArgumentError(`verify must be one of ${VERIFY_MODES.join(', ')}`)
  if (!Array.isArray(destinations) || destinations.length === 0 || destinations.some((d) => typeof d !== 'string' || d === '')) {
    throw new InvalidArgumentError('destinations must be a non-empty array of folders')
  }
  const algorithms = checkAlgorithms(options.algorithms)
  const folder = sessionFolderName(session, options.folderTemplate ?? DEFAULT_FOLDER_TEMPLATE)
  const date = folder.match(/\d{4}-\d{2}-\d{2}/)?.[0] ?? ''
  const guard = new CallbackGuard(options.signal)
  guard.throwIfStopped()
  const onProgress = guard.wrap('onProgress', options.onProgress)
  const startedAt = new Date().toISOString()
  const startedClock = performance.now()
  const secondsSinceStart = () => Math.round(performance.now() - startedClock) / 1000

  // A destination drive must exist: creating /Volumes/SSD1 on the system disk because the
  // drive is not mounted would be a silent disaster.
  for (const d of destinations) {
    const st = await stat(d).catch((err: unknown) => {
      throw fromNative(nodeError(err, d, 'destination'), d)
    })
    if (!st.isDirectory()) throw new InvalidArgumentError(`${d}: is not a folder; give the destination drive or folder`)
  }
  const plan = await planCard(source)
  const sessionRoots = destinations.map((d) => join(resolve(d), folder))

  // Resume: stale temporary files go, earlier evidence is read.
  const removedPartials: string[][] = []
  const evidence: Array<Map<string, RecordFile>> = []
  for (const root of sessionRoots) {
    const exists = await stat(root).then(
      () => true,
      () => false,
    )
    removedPartials.push(exists ? await nativeRemoveStalePartials(root).catch((err: unknown) => Promise.reject(fromNative(err, root))) : [])
    evidence.push(exists ? latestEvidence((await readRecords(root)).records) : new Map())
  }
  const previously = new Set<string>()
  for (const f of plan.files) {
    let all = true
    for (let d = 0; d < sessionRoots.length && all; d++) all = await stillVerified(evidence[d]!.get(f.path), f, sessionRoots[d]!)
    if (all) previously.add(f.path)
  }
  const toCopy = plan.files.filter((f) => !previously.has(f.path))
  const previousBytes = plan.files.filter((f) => previously.has(f.path)).reduce((n, f) => n + f.size, 0)

  // Progress: ≤ 20/s from the core; late events (after the promise settled or the stop) dropped.
  let settled = false
  const rate = new Rate()
  const failures: Array<ReportedError | undefined> = sessionRoots.map(() => undefined)
  const labels = destinations.map(destinationLabel)
  const toCopyBytes = toCopy.reduce((n, f) => n + f.size, 0)
  let lastProgress: IngestProgress | undefined
  // Throughput samples for the report's chart: one when the copy starts, then at most one per 0.5 s.
  const samples: ThroughputSample[] = []
  let lastSampleAt = -Infinity
  const sample = (bytesRead: number, force = false) => {
    const now = performance.now()
    if (!force && now - lastSampleAt < 500) return
    const prev = samples.at(-1)
    if (prev && bytesRead < prev.bytes) return
    lastSampleAt = now
    samples.push({ t: secondsSinceStart(), bytes: bytesRead })
  }
  type NativeProgress = NonNullable<NativeCopyEvent['progress']>
  const toProgress = (p: Pick<NativeProgress, 'bytesRead' | 'filesDone' | 'destinations'> & { currentFile?: string | null }): IngestProgress => {
    const cardRead = p.bytesRead >= toCopyBytes
    const checking: ProgressPhase = verify === 'destination' ? 'read-back' : 'write'
    const dests = destinations.map((root, i): DestinationProgress => {
      const n = p.destinations[i]
      const out: DestinationProgress = {
        root,
        label: labels[i]!,
        phase: cardRead ? checking : 'write',
        bytesWritten: n?.bytesWritten ?? 0,
        bytesDone: previousBytes + (n?.bytesDone ?? 0),
        filesDone: previously.size + (n?.filesDone ?? 0),
        state: (failures[i] ? 'failed' : (n?.state ?? 'copying')) as DestinationProgress['state'],
      }
      if (failures[i]) out.error = failures[i]
      return out
    })
    const alive = dests.filter((d) => d.state !== 'failed')
    const bytes = alive.length > 0 ? Math.min(...alive.map((d) => d.bytesDone)) : previousBytes + p.bytesRead
    const throughput = rate.add(bytes)
    const left = plan.bytes - bytes
    const out: IngestProgress = {
      phase: cardRead ? checking : 'read',
      bytes,
      bytesTotal: plan.bytes,
      files: previously.size + p.filesDone,
      filesTotal: plan.files.length,
      bytesRead: previousBytes + p.bytesRead,
      throughput,
      etaSeconds: throughput > 0 ? left / throughput : left === 0 ? 0 : undefined,
      destinations: dests,
    }
    if (p.currentFile) out.currentFile = p.currentFile
    return out
  }
  const onEvent = (e: NativeCopyEvent) => {
    if (settled || guard.stopped) return
    if (e.kind === 'destination-failed' && e.index !== undefined && e.failure) failures[e.index] = reported(e.failure)
    if (e.kind === 'progress' && e.progress) sample(e.progress.bytesRead)
    if (e.kind === 'progress' && e.progress && onProgress) {
      lastProgress = toProgress(e.progress)
      onProgress(lastProgress)
    }
  }
  let native: NativeCopyReport
  sample(0, true)
  try {
    native = await withCancel(guard.signal, (token) =>
      nativeCopyFiles(
        toCopy.map((f) => ({ source: f.source, relative: f.path })),
        sessionRoots,
        { algorithms, verify, sourceRoot: plan.root, skipIdentical: true },
        token,
        onEvent,
      ),
    )
  } catch (err) {
    settled = true
    throw guard.failure(fromNative(err))
  }
  settled = true
  sample(native.bytesRead, true)

  // Per file, per destination.
  const byPath = new Map(native.files.map((f) => [f.relative, f]))
  const files: IngestFileResult[] = plan.files.map((f) => {
    const n = byPath.get(f.path)
    if (!n) {
      const rec = evidence[0]!.get(f.path)!
      return {
        path: f.path,
        size: f.size,
        mtimeMs: f.mtimeMs,
        sourceState: 'previously-verified',
        hashes: rec.hashes,
        destinations: sessionRoots.map((_, d): FileAtDestination => ({ status: 'previously-verified', method: evidence[d]!.get(f.path)!.method })),
      }
    }
    const out: IngestFileResult = {
      path: f.path,
      size: n.sourceState === 'not-read' ? f.size : n.size,
      mtimeMs: n.mtimeMs ?? f.mtimeMs,
      sourceState: n.sourceState as IngestFileResult['sourceState'],
      destinations: n.destinations.map((r): FileAtDestination => {
        const x: FileAtDestination = { status: r.status as FileAtDestination['status'], method: r.method as VerifyMethod }
        if (r.failure) x.error = reported(r.failure)
        return x
      }),
    }
    const h = hashesOf(n.digests)
    if (h) out.hashes = h
    if (n.sourceFailure) out.sourceError = reported(n.sourceFailure)
    return out
  })

  const aborted = native.status === 'aborted' || guard.stopped
  const finished = finishedStatuses(verify)
  const perDestination: DestinationReport[] = sessionRoots.map((sessionRoot, d) => {
    const s = native.destinations[d]!
    const count = (st: string) => files.filter((f) => f.destinations[d]!.status === st).length
    const failed = count('failed')
    const abortedFiles = count('aborted')
    const allFinished = files.every((f) => finished.has(f.destinations[d]!.status))
    const r: DestinationReport = {
      root: destinations[d]!,
      sessionRoot,
      // Completed only when every file is finished there: a copy renamed into place but
      // never read back (`copied`, method `none`, after an abort) is not.
      status: s.failure ? 'failed' : allFinished ? 'completed' : aborted ? 'aborted' : 'completed-with-errors',
      verified: count('verified'),
      copied: count('copied'),
      skippedIdentical: count('skipped-identical'),
      previouslyVerified: count('previously-verified'),
      failed,
      aborted: abortedFiles,
      bytesWritten: s.bytesWritten,
      removedPartials: removedPartials[d]!,
    }
    if (s.failure) r.error = reported(s.failure)
    return r
  })

  // Records and MHL, per destination (never for a file not at its final name).
  const finishedAt = new Date().toISOString()
  const sessionInfo = { folder, client: session.client, shoot: session.shoot, date }
  // Every destination's record summarizes the whole run, so one session folder's HTML report shows all of it.
  const runDestinations: RecordDestination[] = perDestination.map((dr, d) => {
    const out: RecordDestination = {
      root: dr.root,
      sessionRoot: dr.sessionRoot,
      status: dr.status,
      verified: dr.verified,
      copied: dr.copied,
      skippedIdentical: dr.skippedIdentical,
      previouslyVerified: dr.previouslyVerified,
      failed: dr.failed,
      aborted: dr.aborted,
      bytesWritten: dr.bytesWritten,
      problems: [],
    }
    if (dr.error) out.error = dr.error
    for (const f of files) {
      const at = f.destinations[d]!
      if (at.status !== 'failed' && at.status !== 'aborted') continue
      const p: RecordDestination['problems'][number] = { path: f.path, status: at.status }
      if (at.error && !(dr.error && at.error.code === dr.error.code && at.error.message === dr.error.message)) p.error = at.error
      out.problems.push(p)
    }
    return out
  })
  const records: SessionRecord[] = sessionRoots.map((_, d) => {
    const dr = perDestination[d]!
    const recFiles: RecordFile[] = files.map((f) => {
      const at = f.destinations[d]!
      const r: RecordFile = { path: f.path, size: f.size, mtimeMs: f.mtimeMs, hashes: f.hashes ?? {}, status: at.status, method: at.method, checkedAt: finishedAt }
      if (at.error) r.error = at.error
      return r
    })
    const record: SessionRecord = {
      format: 'shutterproof-session-record/1',
      kind: 'ingest',
      createdAt: finishedAt,
      tool: { name: 'shutterproof', version: require('../../package.json').version },
      root: sessionRoots[d]!,
      status: dr.status,
      session: sessionInfo,
      source: plan.root,
      verifyMode: verify,
      algorithms,
      files: recFiles,
      skipped: plan.skipped,
      removedPartials: dr.removedPartials,
      startedAt,
      bytes: native.bytesRead,
      bytesTotal: plan.bytes,
      throughput: samples,
      destinations: runDestinations,
      destinationIndex: d,
    }
    if (dr.error) record.destinationError = dr.error
    return record
  })
  const { currentFile: _current, ...last } = lastProgress ?? toProgress({ bytesRead: native.bytesRead, filesDone: 0, destinations: [] })
  for (let d = 0; d < sessionRoots.length; d++) {
    const dr = perDestination[d]!
    if (!aborted) onProgress?.({ ...last, phase: 'records', destination: destinations[d]! })
    const sessionExists = await stat(sessionRoots[d]!).then(
      () => true,
      () => false,
    )
    if (!sessionExists) {
      dr.reportError = { code: 'ENOENT', message: `${sessionRoots[d]}: the session folder was never created; nothing to report there` }
      continue
    }
    // The MHL lists what is under a final name and was checked in this run or before.
    // Written before the reports, so that they carry its outcome: a history that could not
    // be written makes the destination's result an error, never `completed`.
    const present = files.filter((f) => ['verified', 'copied', 'skipped-identical', 'previously-verified'].includes(f.destinations[d]!.status) && f.hashes)
    if (present.length > 0) {
      const h = await appendIngestGeneration(
        sessionRoots[d]!,
        present.map((f) => ({ path: f.path, size: f.size, mtimeMs: f.mtimeMs, hashes: f.hashes!, copiedNow: f.destinations[d]!.status === 'verified' || f.destinations[d]!.status === 'copied' })),
        `ingest of ${plan.root}, verify ${verify}`,
      )
      if (h.manifestPath) dr.mhlManifest = h.manifestPath
      if (h.error) {
        dr.mhlError = h.error
        if (dr.status === 'completed') dr.status = 'completed-with-errors'
        records[d]!.status = dr.status
        runDestinations[d]!.status = dr.status
        runDestinations[d]!.mhlError = h.error
      }
    }
  }
  for (let d = 0; d < sessionRoots.length; d++) {
    const dr = perDestination[d]!
    const record = records[d]!
    if (dr.reportError) continue
    try {
      dr.reportPath = await writeRecord(record)
    } catch (err) {
      const e = fromNative(nodeError(err, join(sessionRoots[d]!, '.shutterproof')))
      dr.reportError = reported(e)
    }
    // The readable HTML report beside it (same name, .html; temp + fsync + rename).
    if (dr.reportPath) {
      try {
        dr.htmlReportPath = await writeHtmlBeside(dr.reportPath, record, records)
      } catch (err) {
        const e = fromNative(nodeError(err, dr.reportPath.replace(/\.json$/, '.html')))
        dr.htmlReportError = reported(e)
      }
    }
  }

  const integrity = files.some(
    (f) => f.sourceState === 'source-changed' || f.destinations.some((x) => x.error?.code === 'E_VERIFY_MISMATCH'),
  )
  const status: IngestReport['status'] = aborted
    ? 'aborted'
    : integrity || perDestination.every((d) => d.status === 'failed')
      ? 'failed'
      : perDestination.every((d) => d.status === 'completed') && files.every((f) => f.sourceState === 'read' || f.sourceState === 'previously-verified')
        ? 'completed'
        : 'completed-with-errors'
  // A cancelled run is not safe by definition: no need to read the card again to say so.
  const verdict = aborted
    ? { safe: false, reasons: [{ code: 'cancelled' as const, message: `${plan.root}: the ingest was cancelled before every file was copied and checked; run it again to finish` }] }
    : await verdictAfterRun(plan.root, sessionRoots, options.minCopies ?? 2, status)
  const report: IngestReport = {
    status,
    session: sessionInfo,
    source: plan.root,
    files,
    skipped: plan.skipped,
    bytes: native.bytesRead,
    bytesTotal: plan.bytes,
    perDestination,
    safeToFormat: verdict.safe,
    reasons: verdict.reasons,
    startedAt,
    finishedAt,
  }
  // The abort contract: reject, with what was done as `partial` (E_CALLBACK if a callback threw).
  if (aborted) throw guard.stopError(report)
  // The last event, right before the promise resolves: what is finished where.
  if (onProgress) {
    const at = (f: IngestFileResult, d: number) => finished.has(f.destinations[d]!.status)
    const dests = last.destinations.map((x, d): DestinationProgress => {
      const state = perDestination[d]!.status === 'failed' ? 'failed' : 'finished'
      return { ...x, phase: 'records', state, bytesDone: files.reduce((n, f) => n + (at(f, d) ? f.size : 0), 0), filesDone: files.filter((f) => at(f, d)).length }
    })
    const alive = dests.map((x, d) => (x.state === 'failed' ? -1 : d)).filter((d) => d >= 0)
    const everywhere = files.filter((f) => alive.length > 0 && alive.every((d) => at(f, d)))
    onProgress({
      ...last,
      phase: 'records',
      bytes: everywhere.reduce((n, f) => n + f.size, 0),
      bytesRead: previousBytes + native.bytesRead,
      files: everywhere.length,
      etaSeconds: 0,
      destinations: dests,
    })
  }
  return report
}
