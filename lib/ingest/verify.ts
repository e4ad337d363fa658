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
import type { MhlHashFormat } from '../mhl'
import { nativeIsIdentical } from '../native'
import { appendGeneration, historyHashes, type HistoryFile } from './history'
import { readEvidence, writeRecord, type RecordFile, type SessionRecord } from './records'
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

interface Expected {
  path: string
  size?: number
  mtimeMs?: number
  hashes: Partial<Record<HashAlgorithm, string>>
}

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
  const signal = guard.signal
  const onFile = guard.wrap('onFile', options.onFile)
  const onProgress = guard.wrap('onProgress', options.onProgress)
  const st = await lstat(root).catch(() => undefined)
  if (!st?.isDirectory())
    throw new FileSystemError(
      'ENOENT',
      `${root}: no such folder; give a session folder written by ingest (or holding an ascmhl/ history)`,
      { path: root },
    )

  // Built in its own function: the history and records it reads are let go before the files are read.
  const { expected, sources } = await expectedOf(root)
  if (sources.length === 0) {
    throw new MhlError(
      'E_MHL_NO_HISTORY',
      `${root}: no ASC MHL history and no Shutterproof reports; nothing to verify against`,
      { path: root },
    )
  }

  const files: VerifiedFile[] = []
  const actual = new Map<string, { mtimeMs: number; hashes?: Partial<Record<HashAlgorithm, string>> }>()
  const unverifiable: string[] = []
  const paths = [...expected.keys()].sort()
  const bytesTotal = paths.reduce((n, p) => n + (expected.get(p)!.size ?? 0), 0)
  let bytesDone = 0
  let done = 0
  const partial = (): VerifyReport => {
    const mismatches = files.filter((f) => f.status === 'mismatch').map((f) => f.path)
    const missing = files.filter((f) => f.status === 'missing').map((f) => f.path)
    return { status: 'aborted', root, sources, files, mismatches, missing, unverifiable }
  }
  for (const path of paths) {
    if (guard.stopped) throw guard.stopError(partial())
    const e = expected.get(path)!
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
        actual.set(path, { mtimeMs: fst.mtimeMs, hashes })
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
    if (fst && !actual.has(path)) actual.set(path, { mtimeMs: fst.mtimeMs })
    const v: VerifiedFile = { path, status, algorithms }
    if (e.size !== undefined) v.size = e.size
    files.push(v)
    bytesDone += e.size ?? 0
    done++
    onFile?.(v, done, paths.length)
    onProgress?.({
      phase: 'read-back',
      bytes: bytesDone,
      bytesTotal,
      files: done,
      filesTotal: paths.length,
      currentFile: path,
    })
  }
  if (guard.stopped) throw guard.stopError(partial())
  const mismatches = files.filter((f) => f.status === 'mismatch').map((f) => f.path)
  const missing = files.filter((f) => f.status === 'missing').map((f) => f.path)
  const report: VerifyReport = {
    status: mismatches.length || missing.length ? 'failed' : 'completed',
    root,
    sources,
    files,
    mismatches,
    missing,
    unverifiable,
  }
  onProgress?.({ phase: 'records', bytes: bytesDone, bytesTotal, files: done, filesTotal: paths.length })

  const now = new Date().toISOString()
  // Made one at a time as the record is written, never all at once.
  function* recFiles(): Generator<RecordFile> {
    for (const f of files)
      yield {
        path: f.path,
        size: expected.get(f.path)!.size ?? 0,
        hashes: f.status === 'verified' ? expected.get(f.path)!.hashes : {},
        status: f.status,
        method: f.status === 'missing' ? 'none' : 'disk-direct',
        checkedAt: now,
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
  const hist: HistoryFile[] = files
    .filter((f) => f.status !== 'missing')
    .map((f) => {
      const e = expected.get(f.path)!
      const a = actual.get(f.path)
      return {
        path: f.path,
        size: e.size ?? 0,
        mtimeMs: a?.mtimeMs ?? e.mtimeMs ?? 0,
        hashes: a?.hashes ?? e.hashes,
        action: f.status === 'verified' ? 'verified' : 'failed',
      }
    })
  const h = await appendGeneration(root, 'in-place', hist, `verify: ${report.status}`)
  if (h.manifestPath) report.mhlManifest = h.manifestPath
  if (h.error) report.mhlError = h.error
  if (guard.stopped) throw guard.stopError(report)
  onProgress?.({ phase: 'records', bytes: bytesDone, bytesTotal, files: done, filesTotal: paths.length })
  return report
}

/** Per path, what the history (any tool's) and our records expect of the file, and where that came from. */
async function expectedOf(
  root: string,
): Promise<{ expected: Map<string, Expected>; sources: VerifyReport['sources'] }> {
  const expected = new Map<string, Expected>()
  const sources: VerifyReport['sources'] = []
  const mhl = await historyHashes(root)
  if (!mhl.error) {
    sources.push('ascmhl')
    for (const [path, f] of mhl.files) {
      const e: Expected = { path, hashes: {} }
      if (f.size !== undefined) e.size = f.size
      if (f.lastModified) e.mtimeMs = f.lastModified.getTime()
      for (const [fmt, h] of Object.entries(f.hashes) as Array<[MhlHashFormat, { value: string }]>)
        if (COMPARABLE.has(fmt)) e.hashes[fmt as HashAlgorithm] = h.value
      expected.set(path, e)
    }
  } else if (mhl.error.code !== 'E_MHL_NO_HISTORY') {
    throw mhl.error
  }
  const own = await readEvidence(root)
  if (own.size > 0) sources.push('shutterproof')
  for (const [path, f] of own) {
    const e = expected.get(path) ?? { path, hashes: {}, size: f.size }
    // Our reports add BLAKE3; the MHL's hashes, when present, stay the reference.
    for (const [a, v] of Object.entries(f.hashes) as Array<[HashAlgorithm, string]>) e.hashes[a] ??= v
    e.size ??= f.size
    if (f.mtimeMs !== undefined) e.mtimeMs ??= f.mtimeMs
    expected.set(path, e)
  }
  return { expected, sources }
}
