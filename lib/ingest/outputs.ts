/**
 * What an ingest leaves in each session folder, in this order: the ASC MHL generation,
 * then the JSON record and the HTML report beside it — so that the reports carry the
 * MHL's outcome. Neither ever lists a file that is not under its final name.
 * @module
 */
import { stat } from 'node:fs/promises'
import { join } from 'node:path'

import { fromNative, reported } from '../errors'
import { writeHtmlBeside } from '../report/write'
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

/** Destination `d`'s record: every file as it is there. */
function sessionRecord(run: FinishedRun, d: number, destinations: RecordDestination[]): SessionRecord {
  const dr = run.perDestination[d]!
  const files: RecordFile[] = run.files.map((f) => {
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
  })
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
  for (let d = 0; d < run.sessionRoots.length; d++)
    await writeReports(run.perDestination[d]!, out.records[d]!, out.records)
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
async function writeReports(
  dr: DestinationReport,
  record: SessionRecord,
  records: readonly SessionRecord[],
): Promise<void> {
  if (dr.reportError) return
  try {
    dr.reportPath = await writeRecord(record)
  } catch (err) {
    dr.reportError = reported(fromNative(nodeError(err, join(record.root, DATA_FOLDER))))
    return
  }
  try {
    dr.htmlReportPath = await writeHtmlBeside(dr.reportPath, record, records)
  } catch (err) {
    dr.htmlReportError = reported(fromNative(nodeError(err, dr.reportPath.replace(/\.json$/, '.html'))))
  }
}
