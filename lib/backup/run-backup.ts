/**
 * `backup(sessionDir, store)`: incremental, verified, resumable.
 * @module
 */
import { rm, stat } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'

import { CallbackGuard } from '../callbacks'
import {
  IntegrityError,
  InvalidArgumentError,
  isIntegrityError,
  reported,
  type ReportedError,
  type ShutterproofError,
} from '../errors'
import type { Progress } from '../progress'
import type { OperationStatus } from '../status'
import { sealFile } from '../seal/files'
import { openSpillFolder, removeSpillFolder } from '../spill/folder'
import { checkSealed, objectDigest } from './objects'
import type { SnapshotFile, Store } from './store'
import { PreviousFiles, readPriorSnapshots } from './prior-snapshots'
import { SnapshotWriter } from './snapshot-writer'
import { sessionFiles, spillSessionFiles, type SessionFile } from './walk'
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
  /** Files worked on at once (default 2; 4 for object storage). */
  concurrency?: number
  /**
   * Aborting stops the file being sealed within milliseconds; no snapshot is published,
   * the promise rejects with an `AbortError` whose `partial` is the report so far, and the
   * next run resumes.
   */
  signal?: AbortSignal
  /**
   * The end of the time window (e.g. 06:00 for an overnight upload): the run stops then
   * cleanly — objects complete by then are kept, no snapshot is published, and the next
   * run goes on from there. That is not an abort: the promise resolves, with status
   * `aborted` and `windowEnded: true`.
   */
  until?: Date
  /**
   * Called as files are sealed and sent (at most ~10 times a second while an upload is
   * under way), after each file, and a last time right before the promise resolves. If it
   * throws, the backup stops as if aborted and rejects with `E_CALLBACK`.
   */
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
  /**
   * The run stopped because its time window (`until`) ended: the promise resolved (it is
   * not an abort) with status `aborted`, what was done kept, and no new snapshot.
   */
  windowEnded?: boolean
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
export async function backup(
  sessionDir: string,
  store: Store,
  options: BackupOptions = {},
): Promise<BackupReport> {
  if (typeof sessionDir !== 'string' || sessionDir === '')
    throw new InvalidArgumentError('backup needs a session folder')
  const root = resolve(sessionDir)
  const st = await stat(root).catch(() => undefined)
  if (!st?.isDirectory())
    throw new InvalidArgumentError(`${root} is not a folder; give the session folder to back up`)
  const session = options.session ?? basename(root)
  const guard = new CallbackGuard(options.signal)
  guard.throwIfStopped()
  if (
    options.until !== undefined &&
    !(options.until instanceof Date && Number.isFinite(options.until.getTime()))
  )
    throw new InvalidArgumentError('until must be a valid Date')
  const onProgress = guard.wrap('onProgress', options.onProgress)
  const window = timeWindow(options.until)
  let last: BackupProgress | undefined
  try {
    const run: Run = {
      concurrency: options.concurrency ?? store.backend.defaultConcurrency ?? 2,
      guard,
      // The work stops when the user aborts, a callback throws, or the window ends.
      signal: window.signal ? AbortSignal.any([guard.signal, window.signal]) : guard.signal,
      windowEnded: window.ended,
      onProgress: (p) => {
        last = p
        onProgress?.(p)
      },
    }
    const report = await asWriter(store.backend, 'backup', (writer) =>
      backupAsWriter(root, session, store, run, writer),
    )
    // The last event, once the store is released: right before the promise resolves.
    if (last && !report.windowEnded)
      onProgress?.({ ...last, phase: 'records', objectsWritten: report.objectsWritten })
    return report
  } finally {
    window.dispose()
  }
}

/** How one backup runs: what stops it, and where its progress goes. */
interface Run {
  concurrency: number
  guard: CallbackGuard
  /** Trips on the user's abort, a throwing callback, or the end of the time window. */
  signal: AbortSignal
  windowEnded: () => boolean
  onProgress: (p: BackupProgress) => void
}

/** A signal that trips when the time window `until` ends (none without one). */
function timeWindow(until: Date | undefined): {
  signal?: AbortSignal
  ended: () => boolean
  dispose: () => void
} {
  if (!until) return { ended: () => false, dispose: () => {} }
  const controller = new AbortController()
  let ended = false
  const end = () => {
    ended = true
    controller.abort(new Error(`the time window ended at ${until.toISOString()}`))
  }
  const ms = until.getTime() - Date.now()
  const timer = ms > 0 ? setTimeout(end, Math.min(ms, 2 ** 31 - 1)) : undefined
  if (ms <= 0) end()
  return {
    signal: controller.signal,
    ended: () => ended,
    dispose: () => clearTimeout(timer),
  }
}

/**
 * The backup itself, run while registered as a writer of the store. What it learns per
 * file (the session's file list, the new snapshot's entries and text) goes to spill files
 * in a private temporary folder (lib/spill/folder.ts), removed after: its memory stays
 * flat in the session's file count (issue #18). They hold names and hashes the session
 * folder's own disk already shows in the clear; what leaves for the store is sealed.
 */
async function backupAsWriter(
  root: string,
  session: string,
  store: Store,
  run: Run,
  writer: Writer,
): Promise<BackupReport> {
  const scratch = openSpillFolder('backup')
  try {
    return await backupWithScratch(root, session, store, run, writer, scratch)
  } finally {
    removeSpillFolder(scratch)
  }
}

async function backupWithScratch(
  root: string,
  session: string,
  store: Store,
  run: Run,
  writer: Writer,
  scratch: string,
): Promise<BackupReport> {
  const { guard, signal } = run
  const stopped = () => signal.aborted
  const startedAt = new Date().toISOString()
  const walk = await spillSessionFiles(root, join(scratch, 'files.jsonl'))
  // An empty snapshot would become the session's newest and hide the last good one.
  if (walk.files === 0)
    throw new InvalidArgumentError(
      `${root} holds no files to back up; is its drive mounted, and is this the session folder?`,
    )
  const bytesTotal = walk.bytes

  const { trusted, previous } = await readPriorSnapshots(store, session, scratch)
  const present = await store.objectSet()

  const report: BackupReport = {
    status: 'completed',
    session,
    store: store.location,
    unchanged: false,
    files: walk.files,
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
  const entries = await SnapshotWriter.create(join(scratch, 'entries.jsonl'))
  const inFlight = new Map<string, Promise<void>>()
  let filesDone = 0
  let bytesDone = 0
  // Progress lives here only: whole files done, plus the share of files being uploaded.
  const partial = new Map<SessionFile, number>()
  let lastTick = 0
  const tick = (phase: BackupProgress['phase'], currentFile?: string, force = true) => {
    const now = Date.now()
    if (!force && now - lastTick < 100) return
    lastTick = now
    let inFlightBytes = 0
    for (const n of partial.values()) inFlightBytes += n
    const p: BackupProgress = {
      phase,
      files: filesDone,
      filesTotal: walk.files,
      bytes: bytesDone + inFlightBytes,
      bytesTotal,
      objectsWritten: report.objectsWritten,
      destination: store.location,
    }
    if (currentFile !== undefined) p.currentFile = currentFile
    run.onProgress(p)
  }
  /** Counts bytes sent for a file (sealed bytes, capped at its size); the worker drops it once the file is done. */
  const inFlightBytes = (f: SessionFile) => (n: number) => {
    if (stopped()) return
    partial.set(f, Math.min(f.size, (partial.get(f) ?? 0) + n))
    tick('write', f.path, false)
  }

  /**
   * Whether the object already stored as `name` is whole and decrypts to `blake3`: then
   * it is taken as is. One that does not is removed (it can only be damage: names are
   * content addresses), so that it can be written again.
   */
  const adoptExisting = async (name: string, blake3: string): Promise<boolean> => {
    const key = store.objectKey(name)
    const local = await store.backend.localFile(key)
    try {
      const d = await checkSealed(store.vault, local.path, signal)
      if (d.blake3 === blake3) {
        trusted.add(name)
        present.add(name)
        report.objectsReused++
        return true
      }
    } catch (err) {
      if ((err as ShutterproofError).code === 'E_ABORTED' || stopped()) throw err
    } finally {
      await local.release()
    }
    await store.backend.delete(key)
    present.delete(name)
    return false
  }

  /** Makes sure object `name` holds a file hashing to `blake3`: reuse, check an orphan, or write. */
  const ensureObject = async (f: SessionFile, name: string, blake3: string): Promise<void> => {
    if (trusted.has(name) && present.has(name)) {
      report.objectsReused++
      return
    }
    // Written by an interrupted run (or a concurrent one) and not indexed yet: check it before trusting it.
    if (present.has(name) && (await adoptExisting(name, blake3))) return
    const key = store.objectKey(name)
    /** Reads a sealed file back (from the disk, cache evicted) and checks it holds the file. */
    const holdsFile = async (path: string): Promise<boolean> => {
      const d = await checkSealed(store.vault, path, signal)
      report.verifyMethods[d.method] = (report.verifyMethods[d.method] ?? 0) + 1
      return d.blake3 === blake3
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await store.backend.putWith(
          key,
          async (dst) => {
            const r = await sealFile(f.abs, dst, { vault: store.vault, signal })
            report.bytesWritten += r.sealedSize
            // Checked before it is published or uploaded: a file that changed while it was
            // sealed must not sit under the address of its earlier contents.
            if (!(await holdsFile(dst))) {
              await rm(dst, { force: true })
              throw new IntegrityError(
                'E_VERIFY_MISMATCH',
                `${f.abs}: the object written for it reads back with another BLAKE3 (the file changed while it was sealed, or the store drive corrupts data); run the backup again`,
                { path: f.abs },
              )
            }
          },
          { reuse: (path) => holdsFile(path).catch(() => false), onBytes: inFlightBytes(f), signal },
        )
        break
      } catch (err) {
        // Another backup running at the same time published the same content first: objects
        // are content-addressed, so an existing one with the right content is success.
        // (Object storage settles that itself: a refused write of the same size succeeds.)
        if ((err as ShutterproofError).code !== 'E_EXISTS' || attempt > 1) throw err
        if (await adoptExisting(name, blake3)) return
      }
    }
    present.add(name)
    trusted.add(name)
    report.objectsWritten++
  }

  const one = async (f: SessionFile, prev: SnapshotFile | undefined): Promise<SnapshotFile> => {
    if (
      prev &&
      prev.size === f.size &&
      prev.mtimeMs === f.mtimeMs &&
      present.has(prev.object) &&
      trusted.has(prev.object)
    ) {
      report.objectsReused++
      return prev
    }
    const d = await objectDigest(store.vault, f.abs, signal)
    const after = await stat(f.abs)
    if (after.size !== f.size || after.mtimeMs !== f.mtimeMs || d.size !== f.size) {
      throw new IntegrityError(
        'E_SOURCE_CHANGED',
        `${f.abs} changed while it was read; run the backup again when it is not being written`,
        { path: f.abs },
      )
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
    return { path: f.path, object: d.name, size: f.size, mtimeMs: f.mtimeMs, blake3: d.blake3 }
  }

  const previousFiles = previous ? new PreviousFiles(previous.spill) : undefined
  const next = nextFile(sessionFiles(root, walk.spill), previousFiles)
  const worker = async () => {
    while (!stopped()) {
      const item = await next.take()
      if (!item) return
      const { file: f, index, prev } = item
      let entry: SnapshotFile | undefined
      try {
        entry = await one(f, prev?.entry)
      } catch (err) {
        if (stopped()) return
        const e = err as ShutterproofError
        report.failures.push({ path: f.path, ...reported({ code: e.code ?? 'E_IO', message: e.message }) })
      }
      // In one turn, so that `bytes` never goes back: the file's share in flight becomes whole.
      partial.delete(f)
      filesDone++
      bytesDone += f.size
      tick('write', f.path)
      await entries.add(index, entry, entry !== undefined && unchanged(entry, index, prev))
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.max(1, run.concurrency) }, worker))
  } catch (err) {
    await entries.discard()
    throw err
  } finally {
    await next.close()
  }
  const same = await entries.finish(previous?.files)

  if (guard.stopped) {
    report.status = 'aborted'
    report.snapshot = previous?.key
    report.finishedAt = new Date().toISOString()
    throw guard.stopError(report)
  }
  if (run.windowEnded()) {
    // The end of the window is not an abort: what was done is kept, the next run goes on.
    report.status = 'aborted'
    report.windowEnded = true
    report.snapshot = previous?.key
    report.finishedAt = new Date().toISOString()
    return report
  }
  if (report.failures.some(isIntegrityError)) report.status = 'failed'
  else if (report.failures.length > 0) report.status = 'completed-with-errors'
  else {
    tick('records')
    if (same) {
      report.unchanged = true
      report.snapshot = previous!.key
    } else {
      const createdAt = new Date().toISOString()
      const text = join(scratch, 'snapshot.json')
      await entries.writeText(text, { format: 'shutterproof-snapshot/1', session, createdAt })
      report.snapshot = await store.publishSnapshotFile(createdAt, text)
    }
  }
  if (report.status !== 'completed') report.snapshot = previous?.key
  report.finishedAt = new Date().toISOString()
  return report
}

/** A file of the walk, its place in it, and its entry in the previous snapshot with that entry's place. */
interface NextFile {
  file: SessionFile
  index: number
  prev: { entry: SnapshotFile; index: number } | undefined
}

/**
 * The walk's files handed out one at a time, with their place in the walk and their
 * previous entry, to workers that ask at the same time (each `take` waits for the one
 * before it, so both lists are read in order).
 */
function nextFile(
  files: AsyncGenerator<SessionFile>,
  previous: PreviousFiles | undefined,
): { take: () => Promise<NextFile | undefined>; close: () => Promise<void> } {
  let index = 0
  let queue: Promise<unknown> = Promise.resolve()
  return {
    take: () => {
      const taken = queue.then(async (): Promise<NextFile | undefined> => {
        const r = await files.next()
        if (r.done) return undefined
        return { file: r.value, index: index++, prev: await previous?.find(r.value.path) }
      })
      queue = taken.catch(() => {})
      return taken
    },
    close: async () => {
      await queue.catch(() => {})
      await files.return(undefined)
      await previous?.close()
    },
  }
}

/** The entry is the previous snapshot's at the same place in the list. */
function unchanged(e: SnapshotFile, index: number, prev: NextFile['prev']): boolean {
  return (
    prev !== undefined &&
    prev.index === index &&
    prev.entry.path === e.path &&
    prev.entry.object === e.object &&
    prev.entry.size === e.size &&
    prev.entry.mtimeMs === e.mtimeMs
  )
}
