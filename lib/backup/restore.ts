/**
 * `restore(store, session, intoDir)`: real restores, file by file under a temporary name,
 * never overwriting unless asked, mtimes restored.
 * @module
 */
import { lstat, mkdir, rm, utimes } from 'node:fs/promises'
import { dirname, join, resolve, sep } from 'node:path'

import { FileSystemError, InvalidArgumentError, type ShutterproofError } from '../errors'
import { hashFile } from '../hash'
import { openSealedFile } from '../seal/files'
import type { Store } from './store'

/** Options of {@link restore}. */
export interface RestoreOptions {
  /** Replace files that already exist in `intoDir` (default false). */
  overwrite?: boolean
  /** A snapshot key (default: the session's newest). */
  snapshot?: string
  signal?: AbortSignal
  /** Called after each file restored. */
  onProgress?: (p: { files: number; filesTotal: number; bytes: number }) => void
}

/** What {@link restore} resolves with. */
export interface RestoreReport {
  status: 'completed' | 'completed-with-errors' | 'failed'
  session: string
  snapshot: string
  into: string
  files: number
  bytes: number
  failures: Array<{ path: string; code: string; message: string }>
}

/**
 * Restores a session's files from the store into `intoDir`. Each file is decrypted to a
 * temporary name and renamed only after its last chunk authenticated, then re-hashed
 * against the index's BLAKE3; its mtime is restored. Into a folder that already holds
 * some of the files it refuses with `E_EXISTS` (listing every conflict in `conflicts`)
 * before writing anything, unless `overwrite`.
 *
 * @example
 * ```ts
 * await restore(store, '2026-04-26_Ada_Wedding', '/Volumes/Work/restored')
 * ```
 */
export async function restore(store: Store, session: string, intoDir: string, options: RestoreOptions = {}): Promise<RestoreReport> {
  if (typeof session !== 'string' || session === '') throw new InvalidArgumentError('name the session to restore')
  const into = resolve(intoDir)
  const { snapshots } = await store.snapshots()
  const snap = options.snapshot
    ? snapshots.find((s) => s.key === options.snapshot)
    : [...snapshots].reverse().find((s) => s.session === session)
  if (!snap || snap.session !== session) throw new FileSystemError('ENOENT', `${store.location} holds no readable snapshot of session ${session}; 'shutterproof restore-test' lists what it holds`)
  const plan = snap.files.map((f) => {
    const target = resolve(into, ...f.path.split('/'))
    if (!target.startsWith(into + sep) || f.path.split('/').includes('..')) throw new InvalidArgumentError(`the index names a path outside the restore folder: ${f.path}`)
    return { f, target }
  })
  const conflicts: string[] = []
  for (const { f, target } of plan) if (await lstat(target).then(() => true, () => false)) conflicts.push(f.path)
  if (conflicts.length > 0 && !options.overwrite) {
    const shown = conflicts.slice(0, 10).join(', ') + (conflicts.length > 10 ? `, … (${conflicts.length} in all)` : '')
    throw Object.assign(new FileSystemError('E_EXISTS', `${into} already holds ${conflicts.length} of the files to restore (${shown}); nothing was written. Restore into an empty folder, or ask to overwrite`, { path: into }), { conflicts })
  }
  const report: RestoreReport = { status: 'completed', session, snapshot: snap.key, into, files: 0, bytes: 0, failures: [] }
  let integrity = false
  for (const { f, target } of plan) {
    try {
      await mkdir(dirname(target), { recursive: true })
      const local = await store.backend.localFile(store.objectKey(f.object))
      try {
        await openSealedFile(local.path, target, { vault: store.vault, overwrite: options.overwrite ?? false, signal: options.signal })
      } finally {
        await local.release()
      }
      const h = await hashFile(target, { algorithms: ['blake3'] })
      if (h.blake3 !== f.blake3) {
        await rm(target, { force: true })
        throw Object.assign(new Error(`${join(into, f.path)}: restored bytes hash differently from the index (objects swapped or replaced); removed`), { code: 'E_VERIFY_MISMATCH' })
      }
      // Seconds as a number keep sub-millisecond precision (a Date would truncate to ms).
      await utimes(target, f.mtimeMs / 1000, f.mtimeMs / 1000)
      report.files++
      report.bytes += f.size
    } catch (err) {
      const e = err as ShutterproofError
      if (e.code === 'E_ABORTED') throw e
      if (['E_AUTH', 'E_TRUNCATED', 'E_VERIFY_MISMATCH', 'E_FORMAT'].includes(e.code)) integrity = true
      report.failures.push({ path: f.path, code: e.code ?? 'E_IO', message: e.message })
    }
    options.onProgress?.({ files: report.files, filesTotal: plan.length, bytes: report.bytes })
  }
  if (report.failures.length > 0) report.status = integrity ? 'failed' : 'completed-with-errors'
  return report
}
