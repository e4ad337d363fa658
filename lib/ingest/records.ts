/**
 * Our own JSON reports in each session root: `.shutterproof/ingest-<time>.json` for every
 * ingest run and `.shutterproof/verify-<time>.json` for every `verify`. Unlike ASC MHL
 * they carry BLAKE3 and every other hash, and the verification method of each copy.
 * Written to a temporary name, fsynced, then renamed: a report is whole or absent.
 * @module
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { open, readdir, readFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'

import type { ReportedError } from '../errors'
import type { HashResult } from '../hash'
import { writeChunksDurably } from '../fs/durable'
import { readPieces } from '../fs/read-pieces'
import { DATA_FOLDER, type SkippedEntry } from './plan'

/** Outcome of one file at one destination, as a record keeps it. */
export type RecordStatus =
  | 'verified'
  | 'copied'
  | 'skipped-identical'
  | 'previously-verified'
  | 'failed'
  | 'aborted'
  | 'mismatch'
  | 'missing'

/** How a copy was read back: only `disk-direct` and `disk-evicted` prove the device holds it. */
export type VerifyMethod = 'disk-direct' | 'disk-evicted' | 'cache' | 'size' | 'none'

/** One file in a record. */
export interface RecordFile {
  /** Relative to the session root, `/`-separated. */
  path: string
  size: number
  /** Modification time of the source (kept on the copy), ms since the epoch. */
  mtimeMs?: number
  /** Hex digests of the bytes read from the card (BLAKE3 and the rest). */
  hashes: Omit<HashResult, 'size'>
  status: RecordStatus
  method: VerifyMethod
  /** When this record established the status (ISO 8601). */
  checkedAt: string
  error?: ReportedError
}

/**
 * One throughput sample of an ingest: `t` seconds after `startedAt`, `bytes` read from
 * the card by then (cumulative, this run only). About one sample per half second.
 */
export interface ThroughputSample {
  /** Seconds since `startedAt`. */
  t: number
  /** Bytes read from the card by this run so far. */
  bytes: number
}

/** One destination of the run, as every destination's record summarizes it. */
export interface RecordDestination {
  /** The destination folder as given. */
  root: string
  /** `root/<session folder>`. */
  sessionRoot: string
  /** `completed`, `completed-with-errors`, `failed` or `aborted`. */
  status: string
  /** Why the whole destination failed. */
  error?: ReportedError
  /** Why this run's ASC MHL generation could not be written there (the status is then not `completed`). */
  mhlError?: ReportedError
  /** Files per outcome there, as in the ingest's `DestinationReport`. */
  verified: number
  copied: number
  skippedIdentical: number
  previouslyVerified: number
  failed: number
  aborted: number
  /** Bytes written there by this run. */
  bytesWritten: number
  /**
   * Files that did not end under their final name there (`failed`, `aborted`), with
   * the reason; `error` is omitted when it is the destination's own `error`.
   */
  problems: Array<{ path: string; status: RecordStatus; error?: ReportedError }>
}

/** A whole report file. */
export interface SessionRecord {
  format: 'shutterproof-session-record/1'
  kind: 'ingest' | 'verify'
  createdAt: string
  tool: { name: 'shutterproof'; version: string }
  /** The session root this record describes. */
  root: string
  status: string
  session?: { folder: string; client: string; shoot: string; date: string }
  /** The card (ingest only). */
  source?: string
  verifyMode?: string
  algorithms?: string[]
  files: RecordFile[]
  skipped?: SkippedEntry[]
  removedPartials?: string[]
  destinationError?: ReportedError
  /** When the run started (ISO 8601; ingest records since 0.1 with the HTML report). `createdAt` is when it finished. */
  startedAt?: string
  /** Bytes read from the card by this run. */
  bytes?: number
  /** Bytes of all files of the card. */
  bytesTotal?: number
  /** Throughput samples of the card read, oldest first (ingest only). */
  throughput?: ThroughputSample[]
  /** Every destination of the run, in the order given (ingest only); this record's is `destinations[destinationIndex]`. */
  destinations?: RecordDestination[]
  destinationIndex?: number
}

export const TOOL_VERSION: string = (require('../../package.json') as { version: string }).version

function stamp(d: Date): string {
  return d.toISOString().replace(/:/g, '-')
}

/** Stands for the `files` array in the record's JSON text while the rest is laid out. */
const FILES_MARK = '\u0000files\u0000'

/** Where the element starts in `JSON.stringify({ files: [f] }, null, 1)`, and how far before the end it stops. */
const ELEMENT_FROM = '{\n "files": [\n'.length
const ELEMENT_TO_END = '\n ]\n}'.length

/**
 * `record` as `JSON.stringify(record, null, 1)` lays it out, byte for byte, in pieces:
 * `files` (taken from `files`, default `record.files`) one entry at a time, so that a
 * record of any number of files is never one string in memory.
 */
export function* recordChunks(
  record: SessionRecord,
  files: Iterable<RecordFile> = record.files,
): Generator<string> {
  const { head, tail } = recordFrame(record)
  yield* framed(head, listChunks(files), tail)
}

/** `record`'s text before and after its `files` list, as `JSON.stringify(record, null, 1)` lays it out. */
function recordFrame(record: SessionRecord): { head: string; tail: string } {
  // Replacing an existing key keeps its place: `files` stays where the type puts it.
  const text = JSON.stringify({ ...record, files: FILES_MARK }, null, 1)
  const at = text.indexOf(JSON.stringify(FILES_MARK))
  return { head: text.slice(0, at), tail: text.slice(at + JSON.stringify(FILES_MARK).length) + '\n' }
}

/** A record's `files` list (`[` … `]`), an entry at a time. */
function* listChunks(files: Iterable<RecordFile>): Generator<string> {
  let first = true
  for (const f of files) {
    // An element of a depth-1 array, laid out by JSON.stringify itself inside such an
    // array and cut out (a slice, not a copy): no second pass over the text to indent it.
    const wrapped = JSON.stringify({ files: [f] }, null, 1)
    yield (first ? '[\n' : ',\n') + wrapped.slice(ELEMENT_FROM, wrapped.length - ELEMENT_TO_END)
    first = false
  }
  yield first ? '[]' : '\n ]'
}

/**
 * Where a written record's `files` list lies in its file (bytes `start` to `end`) and the
 * list's SHA-256 (hex): another record of the same run with the same entries copies those
 * bytes rather than laying every entry out again (issue #18).
 */
export interface WrittenList {
  path: string
  start: number
  end: number
  sha256: string
}

/** Options of {@link writeRecord}. */
export interface WriteRecordOptions {
  /** Told where the `files` list landed, once the record is written. */
  onList?: (list: WrittenList) => void
  /**
   * The `files` list, as written in another record: its bytes are copied and checked
   * against its SHA-256 on the way; when they differ, nothing is written and the promise
   * rejects.
   */
  list?: WrittenList
}

/**
 * Writes `record` as `.shutterproof/<kind>-<time>.json` under its root (temp + fsync +
 * rename + folder fsync) and returns the path. `files`, when given, stands for
 * `record.files` and is read once, entry by entry, as the file is written.
 */
export async function writeRecord(
  record: SessionRecord,
  files?: Iterable<RecordFile>,
  options: WriteRecordOptions = {},
): Promise<string> {
  const dir = join(record.root, DATA_FOLDER)
  await mkdir(dir, { recursive: true })
  let name = `${record.kind}-${stamp(new Date(record.createdAt))}.json`
  for (let n = 2; await exists(join(dir, name)); n++)
    name = `${record.kind}-${stamp(new Date(record.createdAt))}-${n}.json`
  const final = join(dir, name)
  const { head, tail } = recordFrame(record)
  if (options.list) {
    await writeChunksDurably(final, copiedList(head, options.list, tail))
    return final
  }
  const list = listChunks(files ?? record.files)
  if (!options.onList) {
    await writeChunksDurably(final, framed(head, list, tail))
    return final
  }
  const sha = createHash('sha256')
  let bytes = 0
  await writeChunksDurably(
    final,
    framed(
      head,
      tapped(list, (piece) => {
        sha.update(piece)
        bytes += Buffer.byteLength(piece)
      }),
      tail,
    ),
  )
  const start = Buffer.byteLength(head)
  options.onList({ path: final, start, end: start + bytes, sha256: sha.digest('hex') })
  return final
}

function* framed(head: string, list: Iterable<string>, tail: string): Generator<string> {
  yield head
  yield* list
  yield tail
}

function* tapped(pieces: Iterable<string>, see: (piece: string) => void): Generator<string> {
  for (const p of pieces) {
    see(p)
    yield p
  }
}

/** `head`, the bytes of `list` read from its file (checked against its SHA-256), then `tail`. */
async function* copiedList(
  head: string,
  list: WrittenList,
  tail: string,
): AsyncGenerator<string | Uint8Array> {
  yield head
  const sha = createHash('sha256')
  for await (const piece of readPieces(list.path, list.start, list.end)) {
    sha.update(piece)
    yield piece
  }
  if (sha.digest('hex') !== list.sha256)
    throw new Error(`${list.path}: its files list changed after it was written; not copied`)
  yield tail
}

async function exists(path: string): Promise<boolean> {
  try {
    await open(path, 'r').then((h) => h.close())
    return true
  } catch {
    return false
  }
}

/** Every readable record of a session root, oldest first (unreadable ones are listed apart). */
export async function readRecords(root: string): Promise<{ records: SessionRecord[]; unreadable: string[] }> {
  const dir = join(root, DATA_FOLDER)
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return { records: [], unreadable: [] }
  }
  const records: SessionRecord[] = []
  const unreadable: string[] = []
  for (const name of names.filter((n) => /^(ingest|verify)-.*\.json$/.test(n))) {
    try {
      const r = await parseRecordFile(join(dir, name))
      if (r?.format !== 'shutterproof-session-record/1' || !Array.isArray(r.files))
        throw new Error('not a session record')
      records.push(r)
    } catch {
      unreadable.push(join(dir, name))
    }
  }
  records.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0))
  return { records, unreadable }
}

/**
 * A record file as `JSON.parse` reads it, read a line at a time: laid out as
 * {@link recordChunks} writes it, each entry of `files` (`  {` … `  }`) is parsed on its
 * own and the rest apart, so that the text of a record of 20,000 files (~7 MB) is never
 * one string. A file laid out otherwise (edited by hand, another tool's) is parsed whole.
 */
export async function parseRecordFile(path: string): Promise<SessionRecord> {
  try {
    return await parseRecordLines(path)
  } catch {
    return JSON.parse(await readFile(path, 'utf8')) as SessionRecord
  }
}

/** {@link parseRecordFile} without its fallback: rejects a file not laid out as written. @internal */
export async function parseRecordLines(path: string): Promise<SessionRecord> {
  const files: RecordFile[] = []
  const record = await scanRecordLines(path, (f) => files.push(f))
  // Laid out otherwise (no `files` line of its own), the whole record came back as it is.
  if (files.length > 0) record.files = files
  return record
}

/**
 * A record laid out as {@link recordChunks} writes it, its `files` entries handed to
 * `onFile` one at a time as they are read (with the entry's JSON text) and not kept (the record comes back with
 * `files: []`); a file without a `files` line of its own (an empty list, another layout)
 * comes back whole, its entries not handed over. Rejects a file cut short or not
 * parseable, possibly after handing over some entries.
 * @internal
 */
export async function scanRecordLines(
  path: string,
  onFile: (f: RecordFile, text: string) => void,
  /** Bytes per read (tests cut the text everywhere with small ones); default 64 KiB. */
  chunkBytes?: number,
): Promise<SessionRecord> {
  const head: string[] = []
  let part: 'head' | 'files' | 'tail' = 'head'
  let after = ''
  let tail = ''
  let rest = ''
  const chunks = createReadStream(path, {
    encoding: 'utf8',
    ...(chunkBytes ? { highWaterMark: chunkBytes } : {}),
  })
  for await (const chunk of chunks) {
    const text = rest + (chunk as string)
    let at = 0
    if (part === 'head') at = headLines(text, head)
    if (head.length > 0 && head[head.length - 1] === FILES_LINE) {
      head.pop()
      part = 'files'
    }
    if (part === 'files') {
      const scanned = scanEntries(text, at, onFile)
      at = scanned.at
      if (scanned.after !== undefined) {
        after = scanned.after
        part = 'tail'
      }
    }
    if (part === 'tail') {
      tail += text.slice(at)
      at = text.length
    }
    rest = text.slice(at)
  }
  if (part === 'files') throw new Error('not laid out as written')
  // Without a `files` line of its own (an empty list, another layout), `head` is the whole text.
  if (part === 'head') return JSON.parse(head.join('\n') + (rest === '' ? '' : '\n' + rest)) as SessionRecord
  return JSON.parse(`${head.join('\n')}\n "files": []${after}\n${tail}`) as SessionRecord
}

/** The line that opens the `files` list in a record laid out as written. */
const FILES_LINE = ' "files": ['

/**
 * Adds `text`'s whole lines to `head`, up to and including the {@link FILES_LINE}; returns
 * where the rest starts. Lines end at "\n" only: not node:readline, which on Node 24 also
 * splits at U+2028 and U+2029 (`JSON.stringify` leaves them unescaped inside strings, so
 * a file name holding one cut its entry in two).
 */
function headLines(text: string, head: string[]): number {
  let at = 0
  for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', at)) {
    const line = text.slice(at, nl)
    head.push(line)
    at = nl + 1
    if (line === FILES_LINE) break
  }
  return at
}

/**
 * The `files` entries in `text` from `at` (the start of a line), each handed to `onFile`
 * as it is parsed: an entry is the text from a line `  {` to the next line `  }` or
 * `  },` (inside an entry every line is indented further; JSON strings hold no raw
 * newline), parsed as it stands, never split into lines and joined again (issue #18).
 * Returns where the unread text starts, and after the list's closing line (` ]` or
 * ` ],`) what followed its bracket. Throws on anything else.
 */
function scanEntries(
  text: string,
  at: number,
  onFile: (f: RecordFile, text: string) => void,
): { at: number; after?: string } {
  for (;;) {
    if (text.startsWith(' ]\n', at)) return { at: at + 3, after: '' }
    if (text.startsWith(' ],\n', at)) return { at: at + 4, after: ',' }
    if (!text.startsWith('  {\n', at)) {
      // A line not yet whole, or one that has no place here.
      if (text.length - at < 4 && ['  {\n', ' ]\n', ' ],\n'].some((l) => l.startsWith(text.slice(at))))
        return { at }
      throw new Error('not laid out as written')
    }
    const close = text.indexOf('\n  }', at + 3)
    if (close < 0 || text.length < close + 6) return { at }
    const next = text[close + 4] === '\n' ? close + 5 : text.startsWith(',\n', close + 4) ? close + 6 : -1
    if (next < 0) throw new Error('not laid out as written')
    const entry = text.slice(at + 2, close + 4)
    onFile(JSON.parse(entry) as RecordFile, entry)
    at = next
  }
}

/**
 * What a record says before its `files`: its format and `createdAt` (the order records are
 * folded in), read without its entries when it is laid out as written; another layout is
 * parsed whole.
 * @internal
 */
export async function recordHead(path: string): Promise<Pick<SessionRecord, 'format' | 'createdAt'>> {
  const head: string[] = []
  let rest = ''
  for await (const chunk of createReadStream(path, { encoding: 'utf8' })) {
    const text = rest + (chunk as string)
    const at = headLines(text, head)
    if (head[head.length - 1] === FILES_LINE) {
      head.pop()
      return JSON.parse(`${head.join('\n')}\n "files": []\n}`) as SessionRecord
    }
    rest = text.slice(at)
  }
  return JSON.parse(head.join('\n') + (rest === '' ? '' : '\n' + rest)) as SessionRecord
}

/** Statuses that say the bytes under the final name were checked (by some method). */
export const EVIDENCE: ReadonlySet<RecordStatus> = new Set([
  'verified',
  'copied',
  'skipped-identical',
  'previously-verified',
  'mismatch',
  'missing',
])

/**
 * Per path, the newest record entry that says something about the file now under its
 * final name. Failed or aborted attempts do not hide an earlier success: they never
 * touched the final name (the copy engine never overwrites and never renames an
 * unverified file). A later `verify` (`mismatch`/`missing`/`verified`) does.
 */
export function latestEvidence(records: readonly SessionRecord[]): Map<string, RecordFile> {
  const out = new Map<string, RecordFile>()
  for (const r of records) foldEvidence(out, r)
  return out
}

/** Adds one record (newer than those folded so far) to the newest entry per path. */
function foldEvidence(out: Map<string, RecordFile>, r: SessionRecord): void {
  for (const f of r.files) {
    if (!EVIDENCE.has(f.status)) continue
    out.set(f.path, newerEvidence(out.get(f.path), f))
  }
}

/**
 * What is known of a path once `f` (newer) is added to `prev`: `f`, keeping the source's
 * hashes and mtime known from the ingest when a verify omits them.
 * @internal
 */
export function newerEvidence(prev: RecordFile | undefined, f: RecordFile): RecordFile {
  return prev
    ? { ...prev, ...f, hashes: { ...prev.hashes, ...f.hashes }, mtimeMs: f.mtimeMs ?? prev.mtimeMs }
    : f
}

/** Whether an entry proves the device holds the bytes (read back from the disk, matched). */
export function isDiskVerified(f: RecordFile | undefined): boolean {
  return (
    f !== undefined &&
    (f.status === 'verified' || f.status === 'skipped-identical' || f.status === 'previously-verified') &&
    (f.method === 'disk-direct' || f.method === 'disk-evicted')
  )
}
