/**
 * Building an encrypted delivery: one tar of the chosen files, sealed with a passphrase,
 * written under a temporary name and renamed into place only when complete.
 * @module
 */
import { open, stat, unlink, type FileHandle } from 'node:fs/promises'
import { basename, dirname, resolve } from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'

import { pack as tarPack } from 'tar-stream'

import { FileSystemError, IntegrityError, InvalidArgumentError, ShutterproofError } from '../errors'
import type { KdfOptions } from '../keys/kdf'
import { generatePassphrase } from '../keys/passphrase'
import { syncFolder, tempNameFor } from '../fs/durable'
import { toFsError } from '../fs/errors'
import { CallbackGuard } from '../callbacks'
import { byteProgress, type ByteProgress } from '../progress'
import { createSealStream } from '../seal/streams'
import { handleSink, readPrefix } from './handle-io'
import { nameTaken, placeNoOverwrite } from './place'
import { checkEntryName, NameSet } from './safe-paths'
import { paxMtime } from './tar-mtime'

/** A file to deliver, optionally under another name inside the archive. */
export interface DeliveryInput {
  /** The file on disk. */
  path: string
  /** Its name inside the archive (default: the file's base name); may hold `/` folders. */
  name?: string
}

/** Options of {@link createDelivery}. */
export interface CreateDeliveryOptions {
  /** The passphrase to seal with; when absent, a 6-word one is generated and returned. */
  passphrase?: string
  /** Aborting rejects with an `AbortError` (`E_ABORTED`) and removes the temporary file. */
  signal?: AbortSignal
  /**
   * Plaintext bytes of the files packed so far (phase `write`, `currentFile` the file
   * being packed; at most ~20 events a second, plus the last right before the promise
   * resolves). If it throws, nothing is written and the promise rejects with `E_CALLBACK`.
   */
  onProgress?: (progress: ByteProgress) => void
  /** Argon2id costs for the passphrase (defaults: 64 MiB, 3 passes, 4 lanes). */
  kdf?: KdfOptions
}

/** One file inside a delivery. */
export interface DeliveryFile {
  /** Its name inside the archive. */
  name: string
  /** Its size in bytes. */
  size: number
}

/** What {@link createDelivery} wrote. */
export interface CreatedDelivery {
  /** The sealed archive (absolute path). */
  path: string
  /**
   * The generated passphrase, present only when none was given. It is returned this once
   * and stored nowhere: send it to the client through another channel than the archive.
   */
  passphrase?: string
  /** The files inside, in archive order. */
  files: DeliveryFile[]
  /** Size of the sealed archive on disk. */
  bytes: number
}

const PROGRESS_INTERVAL_MS = 50

interface Planned {
  source: string
  name: string
}

function plan(files: ReadonlyArray<string | DeliveryInput>): Planned[] {
  if (!Array.isArray(files) || files.length === 0)
    throw new InvalidArgumentError('give at least one file to deliver')
  const names = new NameSet()
  return files.map((f) => {
    const input: DeliveryInput = typeof f === 'string' ? { path: f } : f
    if (typeof input?.path !== 'string' || input.path === '')
      throw new InvalidArgumentError('each file must be a path or { path, name? } with a non-empty path')
    const wanted = input.name ?? basename(input.path)
    const checked = checkEntryName(wanted)
    if (!checked.ok) {
      throw new InvalidArgumentError(
        `${input.path}: "${wanted}" cannot be a name inside a delivery because ${checked.problem}; give it a plain relative name with { path, name }`,
      )
    }
    const clash = names.add(checked.name)
    if (clash)
      throw new InvalidArgumentError(
        `two files would collide inside the delivery: ${clash}; give one of them another name with { path, name }`,
      )
    return { source: input.path, name: checked.name }
  })
}

/** Counts plaintext bytes for progress, throttled. */
function progressCounter(onProgress: (p: ByteProgress) => void, total: number, files: number) {
  let bytes = 0
  let last = 0
  let done = 0
  return {
    tap(file: string): Transform {
      return new Transform({
        transform(chunk: Buffer, _enc, cb) {
          bytes += chunk.length
          const now = Date.now()
          if (now - last >= PROGRESS_INTERVAL_MS) {
            last = now
            onProgress({
              ...byteProgress('write', file, bytes, total, false),
              files: done,
              filesTotal: files,
            })
          }
          cb(null, chunk)
        },
        flush(cb) {
          done++
          cb()
        },
      })
    },
    finish(file: string) {
      onProgress({ ...byteProgress('write', file, bytes, bytes, true), files, filesTotal: files })
    },
  }
}

/**
 * Packs `files` into one tar, sealed with a passphrase, at `out`. Names inside are the
 * files' base names (or the given names); they must be unique, relative and free of `..`.
 * File bytes are streamed, modification times kept. The archive appears at `out` only
 * when complete and flushed to disk; an existing `out` is never replaced (`E_EXISTS`).
 *
 * When no passphrase is given, a 6-word one (66 bits) is generated and returned in the
 * result, once: send it to the client through another channel than the archive.
 *
 * @example
 * ```ts
 * const d = await createDelivery(['IMG_0001.jpg', { path: 'edit/final.tif', name: 'final.tif' }], 'ada-wedding.sealed')
 * console.log(`Send ${d.path}; tell them the passphrase by phone: ${d.passphrase}`)
 * ```
 * @throws `E_EXISTS`, `ENOENT`, `EISDIR`, `E_INVALID_ARGUMENT` (bad or duplicate names),
 *   `E_SOURCE_CHANGED`, `E_NO_SPACE`, `E_ABORTED`
 */
export async function createDelivery(
  files: ReadonlyArray<string | DeliveryInput>,
  out: string,
  options: CreateDeliveryOptions = {},
): Promise<CreatedDelivery> {
  const planned = plan(files)
  if (typeof out !== 'string' || out === '')
    throw new InvalidArgumentError('give the path of the delivery to write')
  if (
    options.passphrase !== undefined &&
    (typeof options.passphrase !== 'string' || options.passphrase === '')
  ) {
    throw new InvalidArgumentError(
      'the passphrase must be a non-empty string; leave it out to have one generated',
    )
  }
  const guard = new CallbackGuard(options.signal)
  guard.throwIfStopped()
  const signal = guard.signal
  const onProgress = guard.wrap('onProgress', options.onProgress)
  const target = resolve(out)
  const fix = 'choose another name or move the old delivery away'
  if (await nameTaken(target))
    throw new FileSystemError('E_EXISTS', `${target} already exists and is never overwritten; ${fix}`, {
      path: target,
    })

  let total = 0
  for (const p of planned) {
    const s = await stat(p.source).catch((err: unknown) => {
      throw toFsError(err, p.source, 'read')
    })
    if (!s.isFile())
      throw new FileSystemError(
        'EISDIR',
        `${p.source} is not a regular file; deliver the files inside a folder one by one`,
        { path: p.source },
      )
    total += s.size
  }

  const generated = options.passphrase === undefined ? generatePassphrase({ words: 6 }).passphrase : undefined
  const passphrase = options.passphrase ?? generated!
  const seal = createSealStream(options.kdf ? { passphrase, kdf: options.kdf } : { passphrase })
  const counter = onProgress ? progressCounter(onProgress, total, planned.length) : undefined

  const temp = tempNameFor(target, '.partial')
  let handle: FileHandle | undefined
  const written: DeliveryFile[] = []
  try {
    handle = await open(temp, 'wx').catch((err: unknown) => {
      throw toFsError(err, temp, 'create')
    })
    const tar = tarPack()
    const feed = (async () => {
      for (const p of planned) written.push(await packOne(tar, p, counter?.tap(p.source)))
      tar.finalize()
    })()
    feed.catch((err: unknown) => tar.destroy(err as Error))
    const sink = handleSink(handle)
    const results = await Promise.allSettled([pipeline(tar, seal, sink, { signal }), feed])
    const reasons = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []))
    // A typed error (a file that changed, an unreadable file) explains more than the
    // "stream destroyed" it causes on the other side; else the archive side's own error.
    if (reasons.length) throw reasons.find((r) => r instanceof ShutterproofError) ?? reasons[0]
    await handle.sync()
    const bytes = (await handle.stat()).size
    await handle.close()
    handle = undefined
    // Stopped while flushing: the temporary goes (below), nothing takes the final name.
    if (guard.stopped) throw guard.stopError()
    await placeNoOverwrite(temp, target, fix)
    await syncFolder(dirname(target))
    counter?.finish(target)
    const result: CreatedDelivery = { path: target, files: written, bytes }
    if (generated !== undefined) result.passphrase = generated
    return result
  } catch (err) {
    await handle?.close().catch(() => undefined)
    await unlink(temp).catch(() => undefined)
    if (guard.stopped) throw guard.stopError()
    if (err instanceof ShutterproofError) throw err
    throw toFsError(err, target, 'write the delivery')
  }
}

/** Appends one file to the tar, streaming its bytes; refuses a file that changes meanwhile. */
async function packOne(
  tar: ReturnType<typeof tarPack>,
  p: Planned,
  tap: Transform | undefined,
): Promise<DeliveryFile> {
  const src = await open(p.source, 'r').catch((err: unknown) => {
    throw toFsError(err, p.source, 'read')
  })
  try {
    const before = await src.stat()
    if (!before.isFile())
      throw new FileSystemError(
        'EISDIR',
        `${p.source} is not a regular file; deliver the files inside a folder one by one`,
        { path: p.source },
      )
    const entry = tar.entry({
      name: p.name,
      size: before.size,
      mtime: before.mtime,
      mode: 0o644,
      type: 'file',
      pax: paxMtime(before.mtime),
    })
    const body = readPrefix(src, before.size)
    try {
      await (tap ? pipeline(body, tap, entry) : pipeline(body, entry))
    } catch (err) {
      // A file that shrank gives fewer bytes than the header announced.
      if ((err as Error)?.message === 'Size mismatch') throw changed(p.source)
      throw err
    }
    const after = await src.stat()
    if (after.size !== before.size || after.mtimeMs !== before.mtimeMs) throw changed(p.source)
    return { name: p.name, size: before.size }
  } finally {
    await src.close().catch(() => undefined)
  }
}

function changed(path: string): IntegrityError {
  return new IntegrityError(
    'E_SOURCE_CHANGED',
    `${path} changed while it was being packed; wait until nothing writes to it and deliver again`,
    { path },
  )
}
