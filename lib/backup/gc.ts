/**
 * `collectGarbage(store)`: lists and removes what interrupted runs left in a store —
 * incomplete multipart uploads (whose parts a provider bills for) and temporary files —
 * never an object, snapshot or record. Needs no key.
 * @module
 */
import { abortError, throwIfAborted } from '../abort'
import { FileSystemError } from '../errors'
import type { S3StoreOptions, PendingUploadInfo } from './s3-backend'
import { S3Backend } from './s3-backend'
import { backendFor, MARKER, readMarker } from './store'
import { registerWriter } from './writers'

/** Options of {@link collectGarbage}. */
export interface GcOptions {
  /** Settings of an `s3://` store. */
  s3?: S3StoreOptions
  /** List only; remove nothing. */
  dryRun?: boolean
  /**
   * Aborting stops between two removals (within one request): what was removed stays
   * removed, and the promise rejects with an `AbortError` whose `partial` is the report
   * so far.
   */
  signal?: AbortSignal
}

/** What {@link collectGarbage} resolves with. */
export interface GcReport {
  store: string
  dryRun: boolean
  /** Incomplete multipart uploads found (object storage only). */
  uploads: PendingUploadInfo[]
  /** Uploads aborted (their parts freed). */
  uploadsAborted: number
  /** Temporary files removed (folder stores). */
  temporariesRemoved: number
  /** Another writer was running: nothing was removed (run again later). */
  otherWriters: boolean
}

/**
 * Lists incomplete uploads and temporaries and, unless `dryRun` or another writer runs,
 * removes them all (an upload a backup could still resume is aborted too: that backup
 * then uploads the object again).
 *
 * @example
 * ```ts
 * const r = await collectGarbage('s3://studio-backup/offsite', { dryRun: true })
 * for (const u of r.uploads) console.log(u.key, u.initiated)
 * ```
 */
export async function collectGarbage(location: string, options: GcOptions = {}): Promise<GcReport> {
  const signal = options.signal
  throwIfAborted(signal)
  const backend = await backendFor(location, { s3: options.s3 })
  if (!(await readMarker(backend, backend.location)))
    throw new FileSystemError('ENOENT', `${backend.location} holds no Shutterproof store (no ${MARKER})`, {
      path: backend.location,
    })
  const dryRun = options.dryRun ?? false
  const report: GcReport = {
    store: backend.location,
    dryRun,
    uploads: [],
    uploadsAborted: 0,
    temporariesRemoved: 0,
    otherWriters: false,
  }
  const stopIfAborted = () => {
    if (signal?.aborted) throw abortError(signal, { ...report })
  }
  stopIfAborted()
  if (backend instanceof S3Backend)
    report.uploads = await backend
      .pendingUploads(signal)
      .catch((err: unknown) => Promise.reject(signal?.aborted ? abortError(signal, { ...report }) : err))
  stopIfAborted()
  if (dryRun) return report
  const writer = await registerWriter(backend, 'gc')
  try {
    report.temporariesRemoved = writer.temporariesRemoved
    report.otherWriters = writer.otherWriters
    if (!writer.otherWriters && backend instanceof S3Backend) {
      // For a bucket, the "temporaries" the registration swept are uploads too.
      report.uploadsAborted = writer.temporariesRemoved
      report.temporariesRemoved = 0
      for (const prefix of ['objects', 'index', 'tests']) {
        stopIfAborted()
        report.uploadsAborted += await backend.removeTemporaries(prefix, Date.now(), {
          all: true,
          ...(signal ? { signal } : {}),
        })
      }
    }
    stopIfAborted()
  } finally {
    await writer.release()
  }
  return report
}
