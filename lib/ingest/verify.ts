/**
 * `verify(sessionRoot)`: re-hash a session from the disk against what its history says,
 * and record the outcome as a new generation.
 * @module
 */
import { lstat } from 'node:fs/promises'
import { join, resolve } from 'node:path'

import { withCancel } from '../abort'
import { CallbackGuard } from '../callbacks'
import { FileSystemError, fromNative, InvalidArgumentError, MhlError, type ReportedError } from '../errors'
import { HASH_ALGORITHMS, hashFile, type HashAlgorithm, type HashResult } from '../hash'
import type { MhlFileEntry, MhlHashFormat, MhlHashRecord } from '../mhl'
import { nativeIsIdentical } from '../native'
import { SpillTable } from '../spill/table'
import { readEvidence } from './evidence'
import { appendGeneration, foldHistoryHashes, type HistoryFile } from './history'
import { defineLazyList, PackedRows } from './lazy-list'
import { writeRecord, type RecordFile, type SessionRecord } from './records'
import type { Progress } from '../progress'

/** One file's outcome. */
export interface VerifiedFile {
  path: string
  /** `verified`: the bytes on disk hash as recorded. `mismatch`: they do not (or the size differs). `missing`: gone. */
  status: 'verified' | 'mismatch' | 'missing'
  /** Algorithms compared. */
  algorithms: string[]
  size?: number
}

/** What {@link verify} resolves with. */
export interface VerifyReport {
  /**
   * `completed` when every recorded file is there and matches; otherwise `failed`
   * (`aborted` only in the `partial` report of an abort). Before 0.2 a good verify said
   * `verified`.
   */
  status: 'completed' | 'failed' | 'aborted'
  root: string
  /** Where the expected hashes came from: the ASC MHL history (any tool's) and/or our reports. */
  sources: Array<'ascmhl' | 'shutterproof'>
  /**
   * Every file checked, in path order. Kept packed (~40 bytes per file) until first read:
   * the first read of the property builds the array (one object and one array per file,
   * ~200 bytes each; 20,000 files ≈ 4 MB) and keeps it. Enumerable, so `JSON.stringify`
   * and spreading see it as before.
   */
  files: VerifiedFile[]
  /** Paths that differ from the history. */
  mismatches: string[]
  /** Paths the history lists that are gone. */
  missing: string[]
  /** Files the history knows but whose only hashes we cannot compute (e.g. C4 alone). */
  unverifiable: string[]
  reportPath?: string
  mhlManifest?: string
  mhlError?: ReportedError
}

/** Options of {@link verify}. */
export interface VerifyOptions {
  /** Aborting rejects with an `AbortError` whose `partial` lists the files checked so far (nothing is recorded). */
  signal?: AbortSignal
  /** Called after each file. If it throws, verify rejects with `E_CALLBACK`. */
  onFile?: (file: VerifiedFile, done: number, total: number) => void
  /**
   * Progress in the common shape (phase `read-back`, then `records`), after each file and
   * a last one right before the promise resolves. If it throws, verify rejects with
   * `E_CALLBACK`.
   */
  onProgress?: (progress: Progress) => void
}

const COMPARABLE: ReadonlySet<string> = new Set<HashAlgorithm>(HASH_ALGORITHMS)

/**
 * Re-hashes every file of a session from the disk (O_DIRECT, or with its page cache
 * evicted) against the newest known hashes — the ASC MHL history (also one written by
 * another tool) and our `.shutterproof/` reports (which add BLAKE3) — then appends an
 * `in-place` MHL generation (`verified` / `failed` per file) and a
 * `.shutterproof/verify-<time>.json` report. The report names exactly each mismatching
 * and each missing file.
 *
 * @example
 * ```ts
 * const r = await verify('/Volumes/SSD1/2026-04-26_Ada_Wedding')
 * if (r.status === 'failed') console.log('damaged:', r.mismatches, 'missing:', r.missing)
 * ```
 * @throws {@link MhlError} `E_MHL_NO_HISTORY` when the folder has neither an ASC MHL history nor our reports
 * @throws {@link AbortError} `E_ABORTED` when `signal` aborts (`partial`: the files checked so far)
 */
export async function verify(sessionRoot: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  if (typeof sessionRoot !== 'string' || sessionRoot === '')
    throw new InvalidArgumentError('verify needs the session folder')
  const root = resolve(sessionRoot)
  const guard = new CallbackGuard(options.signal)
  guard.throwIfStopped()
  const onFile = guard.wrap('onFile', options.onFile)
  const onProgress = guard.wrap('onProgress', options.onProgress)
  const st = await lstat(root).catch(() => undefined)
  if (!st?.isDirectory())
    throw new FileSystemError(
      'ENOENT',
      `${root}: no such folder; give a session folder written by ingest (or holding an ascmhl/ history)`,
      { path: root },
    )

  // Per path, what is expected, in a temporary on-disk table; each row gets its outcome as it is checked.
  const { expected, sources } = await expectedOf(root)
  try {
    if (sources.length === 0) {
      throw new MhlError(
        'E_MHL_NO_HISTORY',
        `${root}: no ASC MHL history and no Shutterproof reports; nothing to verify against`,
        { path: root },
      )
    }
    return await checkAll(root, expected, sources, guard, onFile, onProgress)
  } finally {
    expected.close()
  }
}

/** What is expected of one path, and (once checked) what was found. */
interface Row {
  size?: number
  mtimeMs?: number
  hashes: Partial<Record<HashAlgorithm, string>>
  /** Set once checked (none for an unverifiable file). */
  status?: VerifiedFile['status']
  /** The file's mtime now, and the hashes the disk gave when they differ. */
  actual?: { mtimeMs: number; hashes?: Partial<Record<HashAlgorithm, string>> }
}

function rowsOf(table: SpillTable): Generator<[string, Row]> {
  return (function* () {
    for (const [path, text] of table.entries()) yield [path, JSON.parse(text) as Row]
  })()
}

/** Checks every expected file, in path order, then records the outcome (JSON record and MHL generation). */
async function checkAll(
  root: string,
  expected: SpillTable,
  sources: VerifyReport['sources'],
  guard: CallbackGuard,
  onFile: VerifyOptions['onFile'],
  onProgress: VerifyOptions['onProgress'],
): Promise<VerifyReport> {
  const signal = guard.signal
  let total = 0
  let bytesTotal = 0
  for (const [, e] of rowsOf(expected)) {
    total++
    bytesTotal += e.size ?? 0
  }
  const checked = new PackedRows<{ status: VerifiedFile['status']; algorithms: string[] }>()
  const mismatches: string[] = []
  const missing: string[] = []
  const unverifiable: string[] = []
  let bytesDone = 0
  let done = 0
  const reportOf = (status: VerifyReport['status']): VerifyReport => {
    const report: VerifyReport = {
      status,
      root,
      sources,
      files: [],
      mismatches,
      missing,
      unverifiable,
    }
    defineLazyList(report, 'files', checked.length, () => verifiedFiles(checked))
    return report
  }
  const partial = () => reportOf('aborted')
  for (const [path, e] of rowsOf(expected)) {
    if (guard.stopped) throw guard.stopError(partial())
    const algorithms = Object.keys(e.hashes)
    const abs = join(root, path)
    let status: VerifiedFile['status']
    const fst = await lstat(abs).catch(() => undefined)
    if (!fst || !fst.isFile()) status = 'missing'
    else if (algorithms.length === 0) {
      unverifiable.push(path)
      continue
    } else if (e.size !== undefined) {
      const digests = { size: e.size, ...e.hashes }
      const same = await withCancel(signal, (token) => nativeIsIdentical(abs, e.size!, digests, token)).catch(
        (err: unknown) => Promise.reject(guard.failure(fromNative(err, abs), partial())),
      )
      status = same ? 'verified' : 'mismatch'
      if (!same) {
        // Record what the disk holds now, as ASC MHL does for a failed check.
        const got = await hashFile(abs, { algorithms: algorithms as HashAlgorithm[], signal }).catch(
          (err: unknown) => Promise.reject(guard.failure(err, partial())),
        )
        const { size: _size, ...hashes } = got
        e.actual = { mtimeMs: fst.mtimeMs, hashes }
      }
    } else {
      const got: HashResult = await hashFile(abs, {
        algorithms: algorithms as HashAlgorithm[],
        signal,
      }).catch((err: unknown) => Promise.reject(guard.failure(err, partial())))
      status = algorithms.every((a) => got[a as HashAlgorithm] === e.hashes[a as HashAlgorithm])
        ? 'verified'
        : 'mismatch'
    }
    if (fst && !e.actual) e.actual = { mtimeMs: fst.mtimeMs }
    e.status = status
    expected.set(path, JSON.stringify(e))
    checked.push(path, { status, algorithms }, e.size)
    if (status === 'mismatch') mismatches.push(path)
    if (status === 'missing') missing.push(path)
    const v: VerifiedFile = { path, status, algorithms }
    if (e.size !== undefined) v.size = e.size
    bytesDone += e.size ?? 0
    done++
    onFile?.(v, done, total)
    onProgress?.({
      phase: 'read-back',
      bytes: bytesDone,
      bytesTotal,
      files: done,
      filesTotal: total,
      currentFile: path,
    })
  }
  if (guard.stopped) throw guard.stopError(partial())
  const report = reportOf(mismatches.length || missing.length ? 'failed' : 'completed')
  onProgress?.({ phase: 'records', bytes: bytesDone, bytesTotal, files: done, filesTotal: total })

  const now = new Date().toISOString()
  // Made one at a time as the record is written, never all at once.
  function* recFiles(): Generator<RecordFile> {
    for (const [path, e] of rowsOf(expected)) {
      if (!e.status) continue
      yield {
        path,
        size: e.size ?? 0,
        hashes: e.status === 'verified' ? e.hashes : {},
        status: e.status,
        method: e.status === 'missing' ? 'none' : 'disk-direct',
        checkedAt: now,
      }
    }
  }
  const record: SessionRecord = {
    format: 'shutterproof-session-record/1',
    kind: 'verify',
    createdAt: now,
    tool: { name: 'shutterproof', version: require('../../package.json').version },
    root,
    // Records keep the word they always had for a good verify.
    status: report.status === 'completed' ? 'verified' : report.status,
    files: [],
  }
  report.reportPath = await writeRecord(record, recFiles()).catch((err: unknown) =>
    Promise.reject(fromNative(err, root)),
  )
  // A missing file has nothing to hash; a mismatching one is recorded `failed` with the
  // hash the disk gave now (latestHashes skips failed records, so the reference stays).
  function* hist(): Generator<HistoryFile> {
    for (const [path, e] of rowsOf(expected)) {
      if (!e.status || e.status === 'missing') continue
      yield {
        path,
        size: e.size ?? 0,
        mtimeMs: e.actual?.mtimeMs ?? e.mtimeMs ?? 0,
        hashes: e.actual?.hashes ?? e.hashes,
        action: e.status === 'verified' ? 'verified' : 'failed',
      }
    }
  }
  const h = await appendGeneration(root, 'in-place', hist, `verify: ${report.status}`)
  if (h.manifestPath) report.mhlManifest = h.manifestPath
  if (h.error) report.mhlError = h.error
  if (guard.stopped) throw guard.stopError(report)
  onProgress?.({ phase: 'records', bytes: bytesDone, bytesTotal, files: done, filesTotal: total })
  return report
}

/** {@link VerifyReport.files} from its packed rows. */
function* verifiedFiles(
  rows: PackedRows<{ status: VerifiedFile['status']; algorithms: string[] }>,
): Generator<VerifiedFile> {
  for (const { path, shape, n } of rows.rows()) {
    const v: VerifiedFile = { path, status: shape.status, algorithms: shape.algorithms }
    if (n !== undefined) v.size = n
    yield v
  }
}

/**
 * Per path, what the history (any tool's) and our records expect of the file (in a
 * temporary on-disk table, sorted by path), and where that came from.
 */
async function expectedOf(root: string): Promise<{ expected: SpillTable; sources: VerifyReport['sources'] }> {
  const expected = new SpillTable()
  try {
    const sources: VerifyReport['sources'] = []
    const error = await foldHistoryHashes(root, (files) => {
      for (const f of files) expected.set(f.path, JSON.stringify(newerHistoryEntry(expected.get(f.path), f)))
    })
    if (!error) sources.push('ascmhl')
    else if (error.code !== 'E_MHL_NO_HISTORY') throw error
    const own = await readEvidence(root)
    try {
      if (own.size > 0) sources.push('shutterproof')
      for (const f of own.entries()) {
        const text = expected.get(f.path)
        const e: Row = text ? (JSON.parse(text) as Row) : { hashes: {}, size: f.size }
        // Our reports add BLAKE3; the MHL's hashes, when present, stay the reference.
        for (const [a, v] of Object.entries(f.hashes) as Array<[HashAlgorithm, string]>) e.hashes[a] ??= v
        e.size ??= f.size
        if (f.mtimeMs !== undefined) e.mtimeMs ??= f.mtimeMs
        expected.set(f.path, JSON.stringify(e))
      }
    } finally {
      own.clear()
    }
    return { expected, sources }
  } catch (err) {
    expected.close()
    throw err
  }
}

/**
 * A history entry (newer) added to what earlier generations said of its path, as
 * {@link latestHashes} folds them: size and date from the newest entry giving them, each
 * comparable hash from the newest that did not record a failed check.
 */
function newerHistoryEntry(prevText: string | undefined, f: MhlFileEntry): Row {
  const e: Row = prevText ? (JSON.parse(prevText) as Row) : { hashes: {} }
  if (f.size !== undefined) e.size = f.size
  if (f.lastModified) e.mtimeMs = f.lastModified.getTime()
  for (const [fmt, h] of Object.entries(f.hashes) as Array<[MhlHashFormat, MhlHashRecord]>)
    if (h.action !== 'failed' && COMPARABLE.has(fmt)) e.hashes[fmt as HashAlgorithm] = h.value
  return e
}
