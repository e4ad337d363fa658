/**
 * `restore(store, intoDir, { session })`: real restores, file by file under a temporary
 * name, never overwriting unless asked, mtimes restored.
 * @module
 */
import { lstat, mkdir, rm, utimes } from 'node:fs/promises'
import { dirname, join, resolve, sep } from 'node:path'

import { CallbackGuard } from '../callbacks'
import {
  ConflictError,
  FileSystemError,
  IntegrityError,
  InvalidArgumentError,
  isIntegrityError,
  reported,
  type ReportedError,
  type ShutterproofError,
} from '../errors'
import { deprecated } from '../deprecate'
import { hashFile } from '../hash'
import type { Progress } from '../progress'
import { openSealedFile } from '../seal/files'
import type { OperationStatus } from '../status'
import type { Store } from './store'

/** Options of {@link restore}. */
export interface RestoreOptions {
  /** Replace files that already exist in `intoDir` (default false). */
  overwrite?: boolean
  /** A snapshot key (default: the session's newest). */
  snapshot?: string
  /** Aborting stops the file being restored (no partial file remains) and rejects with an `AbortError` whose `partial` is the report so far. */
  signal?: AbortSignal
  /**
   * Progress in the common shape (phase `write`, `currentFile` relative to the session),
   * after each file and a last time right before the promise resolves. If it throws,
   * the restore stops and rejects with `E_CALLBACK`.
   */
  onProgress?: (p: Progress) => void
}

/** Options of {@link restore} in its `(store, intoDir, options)` form: which session to restore. */
export interface RestoreSessionOptions extends RestoreOptions {
  /** The session (folder name) to restore. */
  session: string
}

/** What {@link restore} resolves with. */
export interface RestoreReport {
  status: OperationStatus
  session: string
  snapshot: string
  into: string
  files: number
  bytes: number
  failures: Array<ReportedError & { path: string }>
}

/**
 * Restores a session's files from the store into `intoDir`. Each file is decrypted to a
 * temporary name and renamed only after its last chunk authenticated, then re-hashed
 * against the index's BLAKE3; its mtime is restored. Into a folder that already holds
 * some of the files it refuses with a {@link ConflictError} (`E_EXISTS`, listing every
 * conflict in `conflicts`) before writing anything, unless `overwrite`.
 *
 * @example
 * ```ts
 * await restore(store, '/Volumes/Work/restored', { session: '2026-04-26_Ada_Wedding' })
 * ```
 */
export async function restore(
  store: Store,
  intoDir: string,
  options: RestoreSessionOptions,
): Promise<RestoreReport>
/** @deprecated Use `restore(store, intoDir, { session, ...options })` (source, target, options); this form goes in 0.3. */
export async function restore(
  store: Store,
  session: string,
  intoDir: string,
  options?: RestoreOptions,
): Promise<RestoreReport>
export async function restore(
  store: Store,
  a: string,
  b: string | RestoreSessionOptions,
  c?: RestoreOptions,
): Promise<RestoreReport> {
  if (typeof b === 'string') {
    deprecated(
      'SP_DEP_RESTORE_ARGS',
      'restore(store, session, intoDir, options) is deprecated: use restore(store, intoDir, { session, ...options })',
    )
    return restoreSession(store, a, b, c ?? {})
  }
  if (!b || typeof b !== 'object')
    throw new InvalidArgumentError('restore needs (store, intoDir, { session })')
  return restoreSession(store, b.session, a, b)
}

async function restoreSession(
  store: Store,
  session: string,
  intoDir: string,
  options: RestoreOptions,
): Promise<RestoreReport> {
  if (typeof session !== 'string' || session === '')
    throw new InvalidArgumentError('name the session to restore: { session }')
  if (typeof intoDir !== 'string' || intoDir === '')
    throw new InvalidArgumentError('give the folder to restore into')
  const guard = new CallbackGuard(options.signal)
  guard.throwIfStopped()
  const onProgress = guard.wrap('onProgress', options.onProgress)
  const into = resolve(intoDir)
  const { snapshots } = await store.snapshots()
  const snap = options.snapshot
    ? snapshots.find((s) => s.key === options.snapshot)
    : [...snapshots].reverse().find((s) => s.session === session)
  if (!snap || snap.session !== session)
    throw new FileSystemError(
      'ENOENT',
      `${store.location} holds no readable snapshot of session ${session}; restoreTest(store) lists the sessions it holds`,
      { path: store.location },
    )
  const plan = snap.files.map((f) => {
    const target = resolve(into, ...f.path.split('/'))
    if (!target.startsWith(into + sep) || f.path.split('/').includes('..'))
      throw new InvalidArgumentError(`the index names a path outside the restore folder: ${f.path}`)
    return { f, target }
  })
  const conflicts: string[] = []
  for (const { f, target } of plan)
    if (
      await lstat(target).then(
        () => true,
        () => false,
      )
    )
      conflicts.push(f.path)
  if (conflicts.length > 0 && !options.overwrite) {
    const shown =
      conflicts.slice(0, 10).join(', ') + (conflicts.length > 10 ? `, … (${conflicts.length} in all)` : '')
    throw new ConflictError(
      `${into} already holds ${conflicts.length} of the files to restore (${shown}); nothing was written. Restore into an empty folder, or pass overwrite: true`,
      { path: into, conflicts },
    )
  }
  const report: RestoreReport = {
    status: 'completed',
    session,
    snapshot: snap.key,
    into,
    files: 0,
    bytes: 0,
    failures: [],
  }
  const bytesTotal = plan.reduce((n, p) => n + p.f.size, 0)
  for (const { f, target } of plan) {
    if (guard.stopped) break
    try {
      await mkdir(dirname(target), { recursive: true })
      const local = await store.backend.localFile(store.objectKey(f.object))
      try {
        await openSealedFile(local.path, target, {
          vault: store.vault,
          overwrite: options.overwrite ?? false,
          signal: guard.signal,
        })
      } finally {
        await local.release()
      }
      const h = await hashFile(target, { algorithms: ['blake3'], signal: guard.signal })
      if (h.blake3 !== f.blake3) {
        await rm(target, { force: true })
        throw new IntegrityError(
          'E_VERIFY_MISMATCH',
          `${join(into, f.path)}: restored bytes hash differently from the index (objects swapped or replaced); removed`,
          { path: join(into, f.path) },
        )
      }
      // Seconds as a number keep sub-millisecond precision (a Date would truncate to ms).
      await utimes(target, f.mtimeMs / 1000, f.mtimeMs / 1000)
      report.files++
      report.bytes += f.size
    } catch (err) {
      if (guard.stopped) break
      const e = err as ShutterproofError
      report.failures.push({ path: f.path, ...reported({ code: e.code ?? 'E_IO', message: e.message }) })
    }
    onProgress?.({
      phase: 'write',
      files: report.files,
      filesTotal: plan.length,
      bytes: report.bytes,
      bytesTotal,
      currentFile: f.path,
      destination: into,
    })
  }
  if (guard.stopped) throw guard.stopError({ ...report, status: 'aborted' })
  if (report.failures.length > 0)
    report.status = report.failures.some(isIntegrityError) ? 'failed' : 'completed-with-errors'
  onProgress?.({
    phase: 'write',
    files: report.files,
    filesTotal: plan.length,
    bytes: report.bytes,
    bytesTotal,
    destination: into,
  })
  return report
}
