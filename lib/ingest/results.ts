/**
 * The copy engine's report as the ingest's per-file results: every file of the card, at
 * every destination — the ones copied now as the engine saw them, the ones an earlier
 * run verified as its records say — written into a compact {@link FileTable}.
 * @module
 */
import { reported, type ReportedError } from '../errors'
import type { NativeCardReport } from '../native'
import { FileTable } from './file-table'
import type { CardFiles } from './plan'
import type { VerifyMethod } from './records'
import type { ResumeEvidence } from './resume'
import type { FileAtDestination, IngestFileResult } from './types'

type Columns = NativeCardReport['files']

/**
 * Per card file (in the card's order), its result at each destination. The engine's
 * columns are let go once read (`native.files` is emptied).
 */
export function fileResults(card: CardFiles, native: NativeCardReport, resume: ResumeEvidence): FileTable {
  const table = new FileTable(card, resume.evidence.length)
  const { toCopy } = resume
  const columns = native.files
  if (columns.count !== toCopy.length) throw new Error('the copy report does not list every file given')
  const errors = failures(columns)
  // The engine reports its jobs in the order given: entry k is card file toCopy[k].
  for (let k = 0; k < columns.count; k++) copiedNow(table, toCopy[k]!, k, columns, errors)
  native.files = emptyColumns()
  for (let i = 0; i < card.count; i++) if (resume.previously[i]) verifiedBefore(table, i, resume)
  return table
}

/** The engine's failures by entry and destination (-1: the card). */
function failures(columns: Columns): Map<string, ReportedError> {
  return new Map(columns.failures.map((f) => [`${f.file}:${f.destination}`, reported(f)]))
}

/** A file this run did not copy: every destination's records say it was verified before. */
function verifiedBefore(table: FileTable, i: number, resume: ResumeEvidence): void {
  const path = table.card.path(i)
  const rec = resume.evidence[0]!.get(path)!
  table.setFile(i, {
    size: table.card.size(i),
    mtimeMs: table.card.mtimeMs(i),
    sourceState: 'previously-verified',
  })
  table.setHashes(i, rec.hashes, true)
  resume.evidence.forEach((e, d) =>
    table.setAt(i, d, { status: 'previously-verified', method: e.get(path)!.method }),
  )
}

/** Card file `i`, the engine's entry `k`, as the engine reports it. */
function copiedNow(
  table: FileTable,
  i: number,
  k: number,
  c: Columns,
  errors: ReadonlyMap<string, ReportedError>,
): void {
  const sourceState = c.words[c.sourceStates[k]!] as IngestFileResult['sourceState']
  const mtime = c.mtimes[k]!
  const f = {
    size: sourceState === 'not-read' ? table.card.size(i) : c.sizes[k]!,
    mtimeMs: Number.isNaN(mtime) ? table.card.mtimeMs(i) : mtime,
    sourceState,
  }
  // Most runs have no failure at all: no key made per file and destination then.
  const failed = errors.size > 0
  const sourceError = failed ? errors.get(`${k}:-1`) : undefined
  table.setFile(i, sourceError ? { ...f, sourceError } : f)
  for (let d = 0; d < table.width; d++) {
    const at: FileAtDestination = {
      status: c.words[c.statuses[k * table.width + d]!] as FileAtDestination['status'],
      method: c.words[c.methods[k * table.width + d]!] as VerifyMethod,
    }
    const error = failed ? errors.get(`${k}:${d}`) : undefined
    if (error) at.error = error
    table.setAt(i, d, at)
  }
  if (c.hasDigests[k]) table.setDigests(i, k, c.digests)
}

function emptyColumns(): Columns {
  return {
    count: 0,
    words: [],
    sizes: new Float64Array(0),
    mtimes: new Float64Array(0),
    sourceStates: new Uint8Array(0),
    hasDigests: new Uint8Array(0),
    digests: [],
    statuses: new Uint8Array(0),
    methods: new Uint8Array(0),
    failures: [],
  }
}
