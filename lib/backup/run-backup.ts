/**
 * `backup(sessionDir, store)`: incremental, verified, resumable.
 * @module
 */
import { stat } from 'node:fs/promises'
import { basename, resolve } from 'node:path'

import { CallbackGuard } from '../callbacks'
import { IntegrityError, InvalidArgumentError, isIntegrityError, reported, type ReportedError, type ShutterproofError } from '../errors'
import type { Progress } from '../progress'
import type { OperationStatus } from '../status'
import { sealFile } from '../seal/files'
import { checkSealed, objectDigest } from './objects'
import type { SnapshotFile, Store } from './store'
import { walkSession, type SessionFile } from './walk'
import { asWriter, type Writer } from './writers'

/**
 * Progress of {@link backup}: the common shape (phase `write` while files are sealed and
 * read back, `records` while the snapshot is published; `currentFile` the file just
 * finished, relative to the session folder; `destination` the store), plus objects
 * written.
 */
export interface BackupProgress extends Progress {
  objectsWritten: number
}

/** Options of {@link backup}. */
export interface BackupOptions {
  /** Session name kept in the index (default: the folder's name). */
  session?: string
  /** Files worked on at once (default 2). */
  concurrency?: number
  /**
   * Aborting stops the file being sealed within milliseconds; no snapshot is published,
   * the promise rejects with an `AbortError` whose `partial` is the report so far, and the
   * next run resumes.
   */
  signal?: AbortSignal
  /** Called after each file, and a last time right before the promise resolves. If it throws, the backup stops as if aborted and rejects with `E_CALLBACK`. */
  onProgress?: (p: BackupProgress) => void
}

/** One file that could not be backed up. */
export interface BackupFailure extends ReportedError {
  path: string
}

/** What {@link backup} resolves with. */
export interface BackupReport {
  /**
   * `completed`: every file is in the store, verified, and the new snapshot is published.
   * `failed`: an object read back wrong (integrity). `completed-with-errors`: some files
   * could not be read. `aborted`: stopped by the signal (in an `AbortError`'s `partial`).
   * Only `completed` publishes a snapshot; otherwise the previous snapshot stays the
   * newest and a re-run completes the work.
   */
  status: OperationStatus
  session: string
  store: string
  /** Key of the newest snapshot of the session after this run. */
  snapshot?: string
  /** True when nothing changed since the previous snapshot (no new one published). */
  unchanged: boolean
  files: number
  bytes: number
  objectsWritten: number
  /** Files whose object was already in the store (unchanged, duplicate, or written by an interrupted run). */
  objectsReused: number
  /** Sealed bytes written by this run. */
  bytesWritten: number
  /**
   * Temporary files left in the store by killed runs and removed by this one (only when
   * no other writer was running; see docs/BACKUP.md).
   */
  temporariesRemoved: number
  /** How written objects were read back: `disk-evicted` or `cache` (tmpfs). */
  verifyMethods: Record<string, number>
  failures: BackupFailure[]
  startedAt: string
  finishedAt: string
}

/**
 * Backs up a session folder into a store: each new or changed file is sealed into an
 * object named by its keyed BLAKE3 (identical files, in any session, are stored once),
 * read back from the disk with the page cache evicted, decrypted and re-hashed in Rust;
 * then a sealed index snapshot is published last, atomically.
 *
 * @example
 * ```ts
 * const store = await openStore('/Volumes/Offsite/store', { vault })
 * const r = await backup('/Volumes/SSD1/2026-04-26_Ada_Wedding', store, { onProgress: console.log })
 * if (r.status !== 'completed') console.error(r.failures)
 * ```
 */
export async function backup(sessionDir: string, store: Store, options: BackupOptions = {}): Promise<BackupReport> {
  if (typeof sessionDir !== 'string' || sessionDir === '') throw new InvalidArgumentError('backup needs a session folder')
  const root = resolve(sessionDir)
  const st = await stat(root).catch(() => undefined)
  if (!st?.isDirectory()) throw new InvalidArgumentError(`${root} is not a folder; give the session folder to back up`)
  const session = options.session ?? basename(root)
  const guard = new CallbackGuard(options.signal)
  guard.throwIfStopped()
  const onProgress = guard.wrap('onProgress', options.onProgress)
  let last: BackupProgress | undefined
  const report = await asWriter(store.backend, 'backup', (writer) =>
    backupAsWriter(root, session, store, options.concurrency ?? 2, writer, guard, (p) => {
      last = p
      onProgress?.(p)
    }),
  )
  // The last event, once the store is released: right before the promise resolves.
  if (last) onProgress?.({ ...last, phase: 'records', objectsWritten: report.objectsWritten })
  return report
}

/** The backup itself, run while registered as a writer of the store. */
async function backupAsWriter(
  root: string,
  session: string,
  store: Store,
  concurrency: number,
  writer: Writer,
  guard: CallbackGuard,
  onProgress: (p: BackupProgress) => void,
): Promise<BackupReport> {
  const signal = guard.signal
  const startedAt = new Date().toISOString()
  const files = await walkSession(root)
  const bytesTotal = files.reduce((n, f) => n + f.size, 0)

  const { snapshots } = await store.snapshots()
  const trusted = new Set(snapshots.flatMap((s) => s.files.map((f) => f.object)))
  const previous = [...snapshots].reverse().find((s) => s.session === session)
  const prevByPath = new Map(previous?.files.map((f) => [f.path, f]) ?? [])
  const present = await store.objectNames()

  const report: BackupReport = {
    status: 'completed',
    session,
    store: store.location,
    unchanged: false,
    files: files.length,
    bytes: bytesTotal,
    objectsWritten: 0,
    objectsReused: 0,
    bytesWritten: 0,
    temporariesRemoved: writer.temporariesRemoved,
    verifyMethods: {},
    failures: [],
    startedAt,
    finishedAt: startedAt,
  }
  const entries = new Map<string, SnapshotFile>()
  const inFlight = new Map<string, Promise<void>>()
  let filesDone = 0
  let bytesDone = 0
  const tick = (phase: BackupProgress['phase'], currentFile?: string) => {
    const p: BackupProgress = { phase, files: filesDone, filesTotal: files.length, bytes: bytesDone, bytesTotal, objectsWritten: report.objectsWritten, destination: store.location }
    if (currentFile !== undefined) p.currentFile = currentFile
    onProgress(p)
  }

  /** Makes sure object `name` holds a file hashing to `blake3`: reuse, check an orphan, or write. */
  const ensureObject = async (f: SessionFile, name: string, blake3: string): Promise<void> => {
    if (trusted.has(name) && present.has(name)) {
      report.objectsReused++
      return
    }
    const key = store.objectKey(name)
    if (present.has(name)) {
      // Written by an interrupted run and never indexed: check it before trusting it.
      const local = await store.backend.localFile(key)
      try {
        const d = await checkSealed(store.vault, local.path, signal)
        if (d.blake3 === blake3) {
          trusted.add(name)
          report.objectsReused++
          return
        }
      } catch (err) {
        if ((err as ShutterproofError).code === 'E_ABORTED') throw err
      } finally {
        await local.release()
      }
      await store.backend.delete(key)
      present.delete(name)
    }
    await store.backend.putWith(key, async (dst) => {
      const r = await sealFile(f.abs, dst, { vault: store.vault, signal })
      report.bytesWritten += r.sealedSize
    })
    present.add(name)
    report.objectsWritten++
    const local = await store.backend.localFile(key)
    try {
      const d = await checkSealed(store.vault, local.path, signal)
      report.verifyMethods[d.method] = (report.verifyMethods[d.method] ?? 0) + 1
      if (d.blake3 !== blake3) {
        await store.backend.delete(key)
        present.delete(name)
        throw new IntegrityError('E_VERIFY_MISMATCH', `${f.abs}: the object written for it reads back with another BLAKE3 (the file changed while it was sealed, or the store drive corrupts data); run the backup again`, { path: f.abs })
      }
      trusted.add(name)
    } finally {
      await local.release()
    }
  }

  const one = async (f: SessionFile): Promise<void> => {
    const prev = prevByPath.get(f.path)
    if (prev && prev.size === f.size && prev.mtimeMs === f.mtimeMs && present.has(prev.object) && trusted.has(prev.object)) {
      entries.set(f.path, prev)
      report.objectsReused++
      return
    }
    const d = await objectDigest(store.vault, f.abs, signal)
    const after = await stat(f.abs)
    if (after.size !== f.size || after.mtimeMs !== f.mtimeMs || d.size !== f.size) {
      throw new IntegrityError('E_SOURCE_CHANGED', `${f.abs} changed while it was read; run the backup again when it is not being written`, { path: f.abs })
    }
    let pending = inFlight.get(d.name)
    if (pending) await pending
    else {
      pending = ensureObject(f, d.name, d.blake3)
      inFlight.set(d.name, pending)
      try {
        await pending
      } finally {
        inFlight.delete(d.name)
      }
    }
    entries.set(f.path, { path: f.path, object: d.name, size: f.size, mtimeMs: f.mtimeMs, blake3: d.blake3 })
  }

  let next = 0
  const worker = async () => {
    while (next < files.length && !guard.stopped) {
      const f = files[next++]!
      try {
        await one(f)
      } catch (err) {
        if (guard.stopped) return
        const e = err as ShutterproofError
        report.failures.push({ path: f.path, ...reported({ code: e.code ?? 'E_IO', message: e.message }) })
      }
      filesDone++
      bytesDone += f.size
      tick('write', f.path)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker))

  if (guard.stopped) {
    report.status = 'aborted'
    report.snapshot = previous?.key
    report.finishedAt = new Date().toISOString()
    throw guard.stopError(report)
  }
  if (report.failures.some(isIntegrityError)) report.status = 'failed'
  else if (report.failures.length > 0) report.status = 'completed-with-errors'
  else {
    tick('records')
    const list = files.map((f) => entries.get(f.path)!)
    const same =
      previous !== undefined &&
      previous.files.length === list.length &&
      previous.files.every((p, i) => p.path === list[i]!.path && p.object === list[i]!.object && p.size === list[i]!.size && p.mtimeMs === list[i]!.mtimeMs)
    if (same) {
      report.unchanged = true
      report.snapshot = previous.key
    } else {
      report.snapshot = await store.publishSnapshot({ format: 'shutterproof-snapshot/1', session, createdAt: new Date().toISOString(), files: list })
    }
  }
  if (report.status !== 'completed') report.snapshot = previous?.key
  report.finishedAt = new Date().toISOString()
  return report
}
