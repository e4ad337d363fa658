/**
 * `copyStore(source, destination)`: one backup, two places (a local encrypted drive and
 * the cloud). Copies sealed objects, then index snapshots and restore-test records, between
 * any two stores (folder ↔ S3) without any key: nothing is decrypted. Incremental (only
 * what the destination lacks), each copy checked by SHA-256 against the source's bytes,
 * and a snapshot is copied only after every object is in the destination.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { copyFile, open, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

import { AbortError, FileSystemError, IntegrityError, KeyError, type ShutterproofError } from '../errors'
import { syncFolder } from '../fs/durable'
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
  signal?: AbortSignal
  /** Called after each object, snapshot or record copied. */
  onProgress?: (p: { files: number; filesTotal: number; bytes: number }) => void
}

/** What {@link copyStore} resolves with. */
export interface CopyStoreReport {
  /** `completed`: the destination holds everything the source held. `failed`: see `failures`. */
  status: 'completed' | 'failed'
  source: string
  destination: string
  /** Objects copied by this run, and those the destination already had. */
  objectsCopied: number
  objectsPresent: number
  snapshotsCopied: number
  testsCopied: number
  /** Bytes copied (sealed). */
  bytesCopied: number
  failures: Array<{ key: string; code: string; message: string }>
}

/** SHA-256 of a file, streamed. */
async function sha256File(path: string, signal?: AbortSignal): Promise<string> {
  const h = createHash('sha256')
  for await (const c of createReadStream(path, { highWaterMark: 1024 * 1024, signal })) h.update(c as Buffer)
  return h.digest('hex')
}

/** Copies `src` to `dst` under a temporary name, fsyncs and renames (a local folder's final path). */
async function copyAtomically(src: string, dst: string): Promise<void> {
  const temp = join(dirname(dst), `.${basename(dst)}.${randomBytes(6).toString('hex')}.sptmp`)
  try {
    await copyFile(src, temp)
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
export async function copyStore(source: string, destination: string, options: CopyStoreOptions = {}): Promise<CopyStoreReport> {
  options.signal?.throwIfAborted?.()
  const src = await backendFor(source, { s3: options.sourceS3 })
  const dst = await backendFor(destination, { s3: options.destinationS3 })
  const marker = await readMarker(src, src.location)
  if (!marker) throw new FileSystemError('ENOENT', `${src.location} holds no Shutterproof store (no ${MARKER})`, { path: src.location })
  const there = await readMarker(dst, dst.location)
  if (there && there.keyId !== marker.keyId) {
    throw new KeyError('E_WRONG_KEY', `${dst.location} is a store of the vault with key id ${there.keyId}, ${src.location} of ${marker.keyId}: copy into an empty place or the same vault's store`, { path: dst.location })
  }
  // The marker names the vault's public key id only: the copy is a store of the same vault.
  if (!there) await dst.putBytes(MARKER, await src.getBytes(MARKER))
  return asWriter(dst, 'copy', () => copyAll(src, dst, options))
}

async function copyAll(src: StoreBackend, dst: StoreBackend, options: CopyStoreOptions): Promise<CopyStoreReport> {
  const report: CopyStoreReport = { status: 'completed', source: src.location, destination: dst.location, objectsCopied: 0, objectsPresent: 0, snapshotsCopied: 0, testsCopied: 0, bytesCopied: 0, failures: [] }
  const have = new Set([...(await dst.list('objects')), ...(await dst.list('index')), ...(await dst.list('tests'))])
  const objects = (await src.list('objects')).filter((k) => /^objects\/[0-9a-f]{2}\/[0-9a-f]{64}$/.test(k))
  const snapshots = (await src.list('index')).filter((k) => k.endsWith('.sealed'))
  const tests = (await src.list('tests')).filter((k) => k.endsWith('.sealed'))
  const todo = objects.filter((k) => !have.has(k))
  report.objectsPresent = objects.length - todo.length
  const filesTotal = todo.length + snapshots.filter((k) => !have.has(k)).length + tests.filter((k) => !have.has(k)).length
  let files = 0
  const progress = () => options.onProgress?.({ files, filesTotal, bytes: report.bytesCopied })
  const fail = (key: string, err: unknown) => {
    const e = err as ShutterproofError
    if (e.code === 'E_ABORTED') throw e
    report.failures.push({ key, code: e.code ?? 'E_IO', message: `${key}: ${e.message}` })
  }

  const copyObject = async (key: string) => {
    const local = await src.localFile(key)
    try {
      const want = await sha256File(local.path, options.signal)
      await dst.putWith(
        key,
        async (path) => {
          if (dst instanceof LocalFolderBackend) await copyAtomically(local.path, path)
          else await copyFile(local.path, path)
          // Read back what will be published (or uploaded with this checksum for the server to check).
          if ((await sha256File(path, options.signal)) !== want) {
            await rm(path, { force: true })
            throw new IntegrityError('E_VERIFY_MISMATCH', `the copy of ${key} reads back with another SHA-256 than the source; run the copy again`)
          }
        },
        { signal: options.signal },
      )
      report.bytesCopied += (await dst.stat(key))?.size ?? 0
      report.objectsCopied++
    } finally {
      await local.release()
    }
  }

  let next = 0
  const worker = async () => {
    while (next < todo.length) {
      if (options.signal?.aborted) throw new AbortError(undefined, { cause: options.signal.reason })
      const key = todo[next++]!
      try {
        await copyObject(key)
      } catch (err) {
        fail(key, err)
      }
      files++
      progress()
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker))

  // Snapshots last, and only when every object is there: a snapshot never names a missing object.
  if (report.failures.length === 0) {
    for (const [keys, count] of [
      [snapshots, 'snapshotsCopied'],
      [tests, 'testsCopied'],
    ] as const) {
      for (const key of keys.filter((k) => !have.has(k))) {
        try {
          const bytes = await src.getBytes(key)
          await dst.putBytes(key, bytes)
          if (createHash('sha256').update(await dst.getBytes(key)).digest('hex') !== createHash('sha256').update(bytes).digest('hex')) {
            throw new IntegrityError('E_VERIFY_MISMATCH', `the copy of ${key} reads back with another SHA-256 than the source`)
          }
          report[count]++
          report.bytesCopied += bytes.length
        } catch (err) {
          fail(key, err)
        }
        files++
        progress()
      }
    }
  }
  if (report.failures.length > 0) report.status = 'failed'
  return report
}
