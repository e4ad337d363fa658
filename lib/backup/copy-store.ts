/**
 * `copyStore(source, destination)`: one backup, two places (a local encrypted drive and
 * the cloud). Copies sealed objects, then index snapshots and restore-test records, between
 * any two stores (folder ↔ S3) without any key: nothing is decrypted. Incremental (only
 * what the destination lacks), each copy checked by SHA-256 against the source's bytes,
 * and a snapshot is copied only after every object is in the destination.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { open, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { pipeline } from 'node:stream/promises'

import { CallbackGuard } from '../callbacks'
import {
  FileSystemError,
  IntegrityError,
  KeyError,
  reported,
  type ReportedError,
  type ShutterproofError,
} from '../errors'
import { syncFolder } from '../fs/durable'
import type { Progress } from '../progress'
import { LocalFolderBackend, type StoreBackend } from './backend'
import type { S3StoreOptions } from './s3-backend'
import { backendFor, MARKER, readMarker } from './store'
import { asWriter } from './writers'

/** Options of {@link copyStore}. */
export interface CopyStoreOptions {
  /** Settings of an `s3://` source. */
  sourceS3?: S3StoreOptions
  /** Settings of an `s3://` destination. */
  destinationS3?: S3StoreOptions
  /** Objects copied at once (default 4). */
  concurrency?: number
  /**
   * Aborting stops within one read or one request: what is copied stays (a re-run goes
   * on from there), no snapshot is copied, and the promise rejects with an `AbortError`
   * whose `partial` is the report so far (status `aborted`).
   */
  signal?: AbortSignal
  /**
   * Progress in the common shape (phase `write`; `files` counts objects, snapshots and
   * records copied, `bytes` their sealed bytes; `currentFile` the key just copied;
   * `destination` the destination store), after each copy and a last time right before
   * the promise resolves. If it throws, the copy stops as if aborted and rejects with
   * `E_CALLBACK` (`partial` as for an abort).
   */
  onProgress?: (p: Progress) => void
}

/** What {@link copyStore} resolves with. */
export interface CopyStoreReport {
  /**
   * `completed`: the destination holds everything the source held. `failed`: see
   * `failures`. `aborted`: only in the `partial` report of an `AbortError`.
   */
  status: 'completed' | 'failed' | 'aborted'
  source: string
  destination: string
  /** Objects copied by this run, and those the destination already had. */
  objectsCopied: number
  objectsPresent: number
  snapshotsCopied: number
  testsCopied: number
  /** Bytes copied (sealed). */
  bytesCopied: number
  failures: Array<{ key: string } & ReportedError>
}

/** SHA-256 of a file, streamed. */
async function sha256File(path: string, signal?: AbortSignal): Promise<string> {
  const h = createHash('sha256')
  for await (const c of createReadStream(path, { highWaterMark: 1024 * 1024, signal })) h.update(c as Buffer)
  return h.digest('hex')
}

/** Copies a file by streams, so that `signal` stops it within one read. */
async function copyStreamed(src: string, dst: string, signal: AbortSignal): Promise<void> {
  await pipeline(createReadStream(src, { highWaterMark: 1024 * 1024 }), createWriteStream(dst), { signal })
}

/** Copies `src` to `dst` under a temporary name, fsyncs and renames (a local folder's final path). */
async function copyAtomically(src: string, dst: string, signal: AbortSignal): Promise<void> {
  const temp = join(dirname(dst), `.${basename(dst)}.${randomBytes(6).toString('hex')}.sptmp`)
  try {
    await copyStreamed(src, temp, signal)
    const fh = await open(temp, 'r+')
    try {
      await fh.datasync()
    } finally {
      await fh.close()
    }
    await rename(temp, dst)
    await syncFolder(dirname(dst))
  } finally {
    await rm(temp, { force: true })
  }
}

/**
 * Copies a store to another place (see the module's description).
 *
 * @example
 * ```ts
 * const r = await copyStore('/Volumes/Offsite/store', 's3://studio-backup/offsite', { destinationS3: { bwlimit: 20e6 } })
 * console.log(r.status, r.objectsCopied)
 * ```
 * @throws `E_WRONG_KEY` when the destination is a store of another vault; `ENOENT` when the source is no store.
 */
export async function copyStore(
  source: string,
  destination: string,
  options: CopyStoreOptions = {},
): Promise<CopyStoreReport> {
  const guard = new CallbackGuard(options.signal)
  guard.throwIfStopped()
  const src = await backendFor(source, { s3: options.sourceS3 })
  const dst = await backendFor(destination, { s3: options.destinationS3 })
  guard.throwIfStopped()
  const marker = await readMarker(src, src.location)
  if (!marker)
    throw new FileSystemError('ENOENT', `${src.location} holds no Shutterproof store (no ${MARKER})`, {
      path: src.location,
    })
  const there = await readMarker(dst, dst.location)
  if (there && there.keyId !== marker.keyId) {
    throw new KeyError(
      'E_WRONG_KEY',
      `${dst.location} is a store of the vault with key id ${there.keyId}, ${src.location} of ${marker.keyId}: copy into an empty place or the same vault's store`,
      { path: dst.location },
    )
  }
  // The marker names the vault's public key id only: the copy is a store of the same vault.
  if (!there) await dst.putBytes(MARKER, await src.getBytes(MARKER))
  const onProgress = guard.wrap('onProgress', options.onProgress)
  let last: Progress | undefined
  const report = await asWriter(dst, 'copy', () =>
    copyAll(src, dst, options.concurrency ?? 4, guard, (p) => {
      last = p
      onProgress?.(p)
    }),
  )
  // The last event, once the destination is released: right before the promise resolves.
  if (last) onProgress?.(last)
  return report
}

async function copyAll(
  src: StoreBackend,
  dst: StoreBackend,
  concurrency: number,
  guard: CallbackGuard,
  onProgress: (p: Progress) => void,
): Promise<CopyStoreReport> {
  const signal = guard.signal
  const report: CopyStoreReport = {
    status: 'completed',
    source: src.location,
    destination: dst.location,
    objectsCopied: 0,
    objectsPresent: 0,
    snapshotsCopied: 0,
    testsCopied: 0,
    bytesCopied: 0,
    failures: [],
  }
  const stopped = () => {
    if (guard.stopped) throw guard.stopError({ ...report, status: 'aborted' })
  }
  const have = new Set([
    ...(await dst.list('objects')),
    ...(await dst.list('index')),
    ...(await dst.list('tests')),
  ])
  const objects = (await src.list('objects')).filter((k) => /^objects\/[0-9a-f]{2}\/[0-9a-f]{64}$/.test(k))
  const snapshots = (await src.list('index')).filter((k) => k.endsWith('.sealed'))
  const tests = (await src.list('tests')).filter((k) => k.endsWith('.sealed'))
  stopped()
  const todo = [
    ...objects.filter((k) => !have.has(k)),
    ...snapshots.filter((k) => !have.has(k)),
    ...tests.filter((k) => !have.has(k)),
  ]
  report.objectsPresent = objects.length - todo.filter((k) => k.startsWith('objects/')).length
  // Sizes first, so that progress knows its total: one stat per key to copy.
  const sizes = new Map<string, number>()
  let nextSize = 0
  const sizeWorker = async () => {
    while (nextSize < todo.length && !guard.stopped) {
      const key = todo[nextSize++]!
      sizes.set(key, (await src.stat(key))?.size ?? 0)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, sizeWorker))
  stopped()
  const bytesTotal = [...sizes.values()].reduce((n, x) => n + x, 0)
  let files = 0
  let bytes = 0
  const done = (key: string) => {
    files++
    bytes += sizes.get(key) ?? 0
    onProgress({
      phase: 'write',
      bytes,
      bytesTotal,
      files,
      filesTotal: todo.length,
      currentFile: key,
      destination: dst.location,
    })
  }
  const fail = (key: string, err: unknown) => {
    const e = err as ShutterproofError
    report.failures.push({ key, ...reported({ code: e.code ?? 'E_IO', message: `${key}: ${e.message}` }) })
  }

  const copyObject = async (key: string) => {
    const local = await src.localFile(key)
    try {
      const want = await sha256File(local.path, signal)
      await dst.putWith(
        key,
        async (path) => {
          if (dst instanceof LocalFolderBackend) await copyAtomically(local.path, path, signal)
          else await copyStreamed(local.path, path, signal)
          // Read back what will be published (or uploaded with this checksum for the server to check).
          if ((await sha256File(path, signal)) !== want) {
            await rm(path, { force: true })
            throw new IntegrityError(
              'E_VERIFY_MISMATCH',
              `the copy of ${key} reads back with another SHA-256 than the source; run the copy again`,
            )
          }
        },
        { signal },
      )
      report.bytesCopied += (await dst.stat(key))?.size ?? 0
      report.objectsCopied++
    } finally {
      await local.release()
    }
  }

  const objectsTodo = todo.filter((k) => k.startsWith('objects/'))
  let next = 0
  const worker = async () => {
    while (next < objectsTodo.length && !guard.stopped) {
      const key = objectsTodo[next++]!
      try {
        await copyObject(key)
      } catch (err) {
        if (guard.stopped) return
        fail(key, err)
      }
      done(key)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker))
  stopped()

  // Snapshots last, and only when every object is there: a snapshot never names a missing object.
  if (report.failures.length === 0) {
    for (const [keys, count] of [
      [snapshots, 'snapshotsCopied'],
      [tests, 'testsCopied'],
    ] as const) {
      for (const key of keys.filter((k) => !have.has(k))) {
        stopped()
        try {
          const bytes = await src.getBytes(key)
          await dst.putBytes(key, bytes)
          if (
            createHash('sha256')
              .update(await dst.getBytes(key))
              .digest('hex') !== createHash('sha256').update(bytes).digest('hex')
          ) {
            throw new IntegrityError(
              'E_VERIFY_MISMATCH',
              `the copy of ${key} reads back with another SHA-256 than the source`,
            )
          }
          report[count]++
          report.bytesCopied += bytes.length
        } catch (err) {
          fail(key, err)
        }
        done(key)
      }
    }
  }
  if (report.failures.length > 0) report.status = 'failed'
  return report
}
