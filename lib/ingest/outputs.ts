/**
 * What an ingest leaves in each session folder, in this order: the ASC MHL generation,
 * then the JSON record and the HTML report beside it — so that the reports carry the
 * MHL's outcome. Neither ever lists a file that is not under its final name.
 * @module
 */
import { stat } from 'node:fs/promises'
import { join } from 'node:path'

import { fromNative, reported } from '../errors'
import { copyFirstGeneration, type WrittenGeneration } from '../mhl/write'
import { ownCell, type ReportView } from '../report/html'
import { writeHtmlViewBeside } from '../report/write'
import type { FileTable } from './file-table'
import { appendIngestGeneration, type IngestedFile } from './history'
import type { CheckedIngest } from './options'
import { DATA_FOLDER, nodeError, type CardFiles } from './plan'
import {
  TOOL_VERSION,
  writeRecord,
  type RecordDestination,
  type WrittenList,
  type RecordFile,
  type SessionRecord,
  type ThroughputSample,
} from './records'
import type { DestinationReport } from './types'

/** The run, as its records tell it. */
export interface FinishedRun {
  checked: CheckedIngest
  card: CardFiles
  sessionRoots: readonly string[]
  files: FileTable
  perDestination: DestinationReport[]
  /** Bytes read from the card by this run. */
  bytes: number
  throughput: ThroughputSample[]
  startedAt: string
  finishedAt: string
}

/** One record per destination, and the summary of every destination that they all share. */
export interface RunRecords {
  records: SessionRecord[]
  destinations: RecordDestination[]
}

/** The records of a run, one per destination. */
export function runRecords(run: FinishedRun): RunRecords {
  // Every destination's record summarizes the whole run, so one session folder's HTML report shows all of it.
  const destinations = run.perDestination.map((dr, d) => recordDestination(dr, d, run.files))
  const records = run.sessionRoots.map((_, d) => sessionRecord(run, d, destinations))
  return { records, destinations }
}

/** A destination as every record summarizes it, with the files that did not end under their final name there. */
function recordDestination(dr: DestinationReport, d: number, files: FileTable): RecordDestination {
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
  for (let i = 0; i < files.count; i++) {
    const status = files.status(i, d)
    if (status !== 'failed' && status !== 'aborted') continue
    const p: RecordDestination['problems'][number] = { path: files.path(i), status }
    const error = files.error(i, d)
    if (error && !(dr.error && error.code === dr.error.code && error.message === dr.error.message))
      p.error = error
    out.problems.push(p)
  }
  return out
}

/** File `i` as destination `d`'s record has it (made when written, never kept for every file). */
function recordFile(run: FinishedRun, i: number, d: number): RecordFile {
  const f = run.files
  const r: RecordFile = {
    path: f.path(i),
    size: f.size(i),
    mtimeMs: f.mtimeMs(i),
    hashes: f.hashes(i) ?? {},
    status: f.status(i, d),
    method: f.method(i, d),
    checkedAt: run.finishedAt,
  }
  const error = f.error(i, d)
  if (error) r.error = error
  return r
}

/** Every file of destination `d`'s record, one at a time. */
function* recordFiles(run: FinishedRun, d: number): Generator<RecordFile> {
  for (let i = 0; i < run.files.count; i++) yield recordFile(run, i, d)
}

/** Destination `d`'s HTML report, rendered straight from the run's results. */
function reportView(run: FinishedRun, record: SessionRecord, d: number): ReportView {
  return {
    report: record,
    count: run.files.count,
    file: (i) => recordFile(run, i, d),
    path: (i) => run.files.path(i),
    cells: (i) => run.files.destinations(i).map(ownCell),
    exact: true,
  }
}

/**
 * Destination `d`'s record without its files (`files: []`): they are written from the
 * run's results by {@link recordFiles} as the record is streamed to disk.
 */
function sessionRecord(run: FinishedRun, d: number, destinations: RecordDestination[]): SessionRecord {
  const dr = run.perDestination[d]!
  const files: RecordFile[] = []
  const record: SessionRecord = {
    format: 'shutterproof-session-record/1',
    kind: 'ingest',
    createdAt: run.finishedAt,
    tool: { name: 'shutterproof', version: TOOL_VERSION },
    root: run.sessionRoots[d]!,
    status: dr.status,
    session: run.checked.session,
    source: run.card.root,
    verifyMode: run.checked.verify,
    algorithms: run.checked.algorithms,
    files,
    skipped: run.card.skipped,
    removedPartials: dr.removedPartials,
    startedAt: run.startedAt,
    bytes: run.bytes,
    bytesTotal: run.card.bytes,
    throughput: run.throughput,
    destinations,
    destinationIndex: d,
  }
  if (dr.error) record.destinationError = dr.error
  return record
}

/**
 * Writes every destination's MHL generation, then every destination's reports; an
 * outcome that could not be written is noted in its destination's report. `announce(d)`
 * is called as destination `d`'s turn comes.
 */
export async function writeSessionFiles(
  run: FinishedRun,
  out: RunRecords,
  announce: (d: number) => void,
): Promise<void> {
  let first: FirstGeneration | undefined
  for (let d = 0; d < run.sessionRoots.length; d++) {
    announce(d)
    first = (await appendHistory(run, out, d, first)) ?? first
  }
  let list: RecordList | undefined
  for (let d = 0; d < run.sessionRoots.length; d++)
    list = (await writeReports(run, out.records[d]!, d, list)) ?? list
}

/** A record's `files` list written for destination `d`, which later destinations may copy. */
interface RecordList {
  d: number
  written: WrittenList
}

/** A first generation written without a problem at destination `d`, which later destinations may copy. */
interface FirstGeneration {
  d: number
  written: WrittenGeneration
}

/**
 * The MHL lists what is under a final name and was checked in this run or before.
 * Written before the reports, so that they carry its outcome: a history that could not
 * be written makes the destination's result an error, never `completed`. A destination
 * with no history yet that holds the same files as the one `first` was written for gets
 * a copy of it (see {@link copyFirstGeneration}): with no earlier generation anywhere,
 * every file is `original` in both, and the rest of the text is the run's. Returns the
 * first generation written here, if any, for the next destinations.
 */
async function appendHistory(
  run: FinishedRun,
  out: RunRecords,
  d: number,
  first: FirstGeneration | undefined,
): Promise<FirstGeneration | undefined> {
  const dr = run.perDestination[d]!
  const sessionRoot = run.sessionRoots[d]!
  const sessionExists = await stat(sessionRoot).then(
    () => true,
    () => false,
  )
  if (!sessionExists) {
    dr.reportError = {
      code: 'ENOENT',
      message: `${sessionRoot}: the session folder was never created; nothing to report there`,
    }
    return
  }
  if (!hasPresent(run.files, d)) return
  if (first && samePresent(run.files, first.d, d)) {
    const copied = await copyFirstGeneration(sessionRoot, first.written).catch(() => undefined)
    if (copied) {
      dr.mhlManifest = copied.manifestPath
      return
    }
  }
  const h = await appendIngestGeneration(
    sessionRoot,
    () => presentFiles(run.files, d),
    `ingest of ${run.card.root}, verify ${run.checked.verify}`,
  )
  if (h.manifestPath) dr.mhlManifest = h.manifestPath
  if (h.error) {
    dr.mhlError = h.error
    if (dr.status === 'completed') dr.status = 'completed-with-errors'
    out.records[d]!.status = dr.status
    out.destinations[d]!.status = dr.status
    out.destinations[d]!.mhlError = h.error
    return
  }
  if (h.generation === 1 && h.manifestPath && h.c4)
    return { d, written: { generation: 1, manifestPath: h.manifestPath, c4: h.c4 } }
}

/** Statuses that leave a file under its final name at a destination. */
const PRESENT: ReadonlySet<string> = new Set([
  'verified',
  'copied',
  'skipped-identical',
  'previously-verified',
])

/** Whether file `i` is under its final name at destination `d`, with the hashes the history needs. */
function present(files: FileTable, i: number, d: number): boolean {
  return PRESENT.has(files.status(i, d)) && files.hasHashes(i)
}

/** Whether destinations `a` and `b` hold the same files under their final names. */
function samePresent(files: FileTable, a: number, b: number): boolean {
  for (let i = 0; i < files.count; i++) if (present(files, i, a) !== present(files, i, b)) return false
  return true
}

function hasPresent(files: FileTable, d: number): boolean {
  for (let i = 0; i < files.count; i++) if (present(files, i, d)) return true
  return false
}

/** The files destination `d` holds under their final name, one at a time, for its MHL history. */
function* presentFiles(files: FileTable, d: number): Generator<IngestedFile> {
  for (let i = 0; i < files.count; i++) {
    if (!present(files, i, d)) continue
    const status = files.status(i, d)
    yield {
      path: files.path(i),
      size: files.size(i),
      mtimeMs: files.mtimeMs(i),
      hashes: files.hashes(i)!,
      copiedNow: status === 'verified' || status === 'copied',
    }
  }
}

/**
 * The JSON record, then the readable HTML report beside it (same name, .html; temp +
 * fsync + rename). A destination whose files have the same outcome as those of the
 * destination `list` was written for copies that list's bytes (every entry is the same;
 * see {@link writeRecord}); otherwise, or if that copy fails, the list is laid out from
 * the run's results. Returns the list written here, if it was laid out.
 */
async function writeReports(
  run: FinishedRun,
  record: SessionRecord,
  d: number,
  list: RecordList | undefined,
): Promise<RecordList | undefined> {
  const dr = run.perDestination[d]!
  if (dr.reportError) return
  let written: RecordList | undefined
  try {
    const copied =
      list && run.files.sameAt(list.d, d)
        ? await writeRecord(record, undefined, { list: list.written }).catch(() => undefined)
        : undefined
    dr.reportPath =
      copied ??
      (await writeRecord(record, recordFiles(run, d), {
        onList: (w) => {
          written = { d, written: w }
        },
      }))
  } catch (err) {
    dr.reportError = reported(fromNative(nodeError(err, join(record.root, DATA_FOLDER))))
    return
  }
  try {
    dr.htmlReportPath = await writeHtmlViewBeside(dr.reportPath, reportView(run, record, d))
  } catch (err) {
    dr.htmlReportError = reported(fromNative(nodeError(err, dr.reportPath.replace(/\.json$/, '.html'))))
  }
  return written
}
