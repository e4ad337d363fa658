/**
 * What an ingest leaves in each session folder, in this order: the ASC MHL generation,
 * then the JSON record and the HTML report beside it — so that the reports carry the
 * MHL's outcome. Neither ever lists a file that is not under its final name.
 * @module
 */
import { stat } from 'node:fs/promises'
import { join } from 'node:path'

import { fromNative, reported } from '../errors'
import { ownCell, type ReportView } from '../report/html'
import { writeHtmlViewBeside } from '../report/write'
import { appendIngestGeneration } from './history'
import type { CheckedIngest } from './options'
import { DATA_FOLDER, nodeError, type CardPlan } from './plan'
import {
  TOOL_VERSION,
  writeRecord,
  type RecordDestination,
  type RecordFile,
  type SessionRecord,
  type ThroughputSample,
} from './records'
import type { DestinationReport, IngestFileResult } from './types'

/** The run, as its records tell it. */
export interface FinishedRun {
  checked: CheckedIngest
  plan: CardPlan
  sessionRoots: readonly string[]
  files: readonly IngestFileResult[]
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
function recordDestination(
  dr: DestinationReport,
  d: number,
  files: readonly IngestFileResult[],
): RecordDestination {
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
    if (at.error && !(dr.error && at.error.code === dr.error.code && at.error.message === dr.error.message))
      p.error = at.error
    out.problems.push(p)
  }
  return out
}

/** File `i` as destination `d`'s record has it (made when written, never kept for every file). */
function recordFile(run: FinishedRun, i: number, d: number): RecordFile {
  const f = run.files[i]!
  const at = f.destinations[d]!
  const r: RecordFile = {
    path: f.path,
    size: f.size,
    mtimeMs: f.mtimeMs,
    hashes: f.hashes ?? {},
    status: at.status,
    method: at.method,
    checkedAt: run.finishedAt,
  }
  if (at.error) r.error = at.error
  return r
}

/** Every file of destination `d`'s record, one at a time. */
function* recordFiles(run: FinishedRun, d: number): Generator<RecordFile> {
  for (let i = 0; i < run.files.length; i++) yield recordFile(run, i, d)
}

/** Destination `d`'s HTML report, rendered straight from the run's results. */
function reportView(run: FinishedRun, record: SessionRecord, d: number): ReportView {
  return {
    report: record,
    count: run.files.length,
    file: (i) => recordFile(run, i, d),
    cells: (i) => run.files[i]!.destinations.map(ownCell),
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
    source: run.plan.root,
    verifyMode: run.checked.verify,
    algorithms: run.checked.algorithms,
    files,
    skipped: run.plan.skipped,
    removedPartials: dr.removedPartials,
    startedAt: run.startedAt,
    bytes: run.bytes,
    bytesTotal: run.plan.bytes,
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
  for (let d = 0; d < run.sessionRoots.length; d++) {
    announce(d)
    await appendHistory(run, out, d)
  }
  for (let d = 0; d < run.sessionRoots.length; d++) await writeReports(run, out.records[d]!, d)
}

/**
 * The MHL lists what is under a final name and was checked in this run or before.
 * Written before the reports, so that they carry its outcome: a history that could not
 * be written makes the destination's result an error, never `completed`.
 */
async function appendHistory(run: FinishedRun, out: RunRecords, d: number): Promise<void> {
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
  const present = run.files.filter(
    (f) =>
      ['verified', 'copied', 'skipped-identical', 'previously-verified'].includes(
        f.destinations[d]!.status,
      ) && f.hashes,
  )
  if (present.length === 0) return
  const h = await appendIngestGeneration(
    sessionRoot,
    present.map((f) => ({
      path: f.path,
      size: f.size,
      mtimeMs: f.mtimeMs,
      hashes: f.hashes!,
      copiedNow: f.destinations[d]!.status === 'verified' || f.destinations[d]!.status === 'copied',
    })),
    `ingest of ${run.plan.root}, verify ${run.checked.verify}`,
  )
  if (h.manifestPath) dr.mhlManifest = h.manifestPath
  if (h.error) {
    dr.mhlError = h.error
    if (dr.status === 'completed') dr.status = 'completed-with-errors'
    out.records[d]!.status = dr.status
    out.destinations[d]!.status = dr.status
    out.destinations[d]!.mhlError = h.error
  }
}

/** The JSON record, then the readable HTML report beside it (same name, .html; temp + fsync + rename). */
async function writeReports(run: FinishedRun, record: SessionRecord, d: number): Promise<void> {
  const dr = run.perDestination[d]!
  if (dr.reportError) return
  try {
    dr.reportPath = await writeRecord(record, recordFiles(run, d))
  } catch (err) {
    dr.reportError = reported(fromNative(nodeError(err, join(record.root, DATA_FOLDER))))
    return
  }
  try {
    dr.htmlReportPath = await writeHtmlViewBeside(dr.reportPath, reportView(run, record, d))
  } catch (err) {
    dr.htmlReportError = reported(fromNative(nodeError(err, dr.reportPath.replace(/\.json$/, '.html'))))
  }
}
