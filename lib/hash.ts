/**
 * Hashing: BLAKE3 by default, plus XXH128 / XXH64 / XXH3 (for ASC MHL), MD5, SHA-1 and
 * SHA-256, every requested algorithm computed from one read of the data, in Rust.
 * @module
 */
import { Transform, type TransformCallback, type TransformOptions } from 'node:stream'

import { withCancel } from './abort'
import { CallbackGuard } from './callbacks'
import { fromNative, InvalidArgumentError, type ShutterproofError } from './errors'
import { NativeHasher, nativeDeriveKey, nativeHashFile, nativeKeyedHash, type NativeDigests } from './native'
import { sizeOf, trackProgress, type ByteProgress, type Progress } from './progress'

export type { ByteProgress, Progress, ProgressPhase } from './progress'

/**
 * Every supported algorithm, in a stable order (the core's `Algorithm::ALL`): the one
 * list that {@link HashAlgorithm} and {@link HashResult} are made from.
 */
export const HASH_ALGORITHMS = ['blake3', 'xxh128', 'xxh64', 'xxh3', 'md5', 'sha1', 'sha256'] as const

/** The hash algorithms the library computes. */
export type HashAlgorithm = (typeof HASH_ALGORITHMS)[number]

/**
 * Digests of some data: lowercase hex for each requested algorithm, and the size.
 * XXH128 is printed big-endian, exactly as `xxhsum -H2` prints it.
 */
export interface HashResult extends Partial<Record<HashAlgorithm, string>> {
  /** Bytes hashed. */
  size: number
}

/** Options of {@link hashFile}. */
export interface HashFileOptions {
  /** Algorithms to compute in the same read; default `['blake3']`. */
  algorithms?: readonly HashAlgorithm[]
  /** Aborting rejects the promise with an `AbortError` (`E_ABORTED`) within milliseconds and stops the native work. */
  signal?: AbortSignal
  /**
   * Called at most ~20 times a second (phase `read`), and once more with
   * `bytes === bytesTotal` right before the promise resolves. If it throws, hashing
   * stops and the promise rejects with `E_CALLBACK`.
   */
  onProgress?: (progress: ByteProgress) => void
}

function checkAlgorithms(algorithms: readonly HashAlgorithm[] | undefined): HashAlgorithm[] {
  if (algorithms === undefined) return ['blake3']
  if (!Array.isArray(algorithms) || algorithms.length === 0) {
    throw new InvalidArgumentError(`algorithms must be a non-empty array of ${HASH_ALGORITHMS.join(', ')}`)
  }
  for (const a of algorithms) {
    if (!HASH_ALGORITHMS.includes(a)) {
      throw new InvalidArgumentError(
        `Unknown hash algorithm ${JSON.stringify(a)}; use one of ${HASH_ALGORITHMS.join(', ')}`,
      )
    }
  }
  return [...new Set(algorithms)]
}

/** The digests present in a native result (its absent algorithms come as `null`). */
export function digestsOf(d: NativeDigests): Omit<HashResult, 'size'> {
  const out: Omit<HashResult, 'size'> = {}
  for (const a of HASH_ALGORITHMS) {
    const hex = d[a]
    if (hex != null) out[a] = hex
  }
  return out
}

function toResult(d: NativeDigests): HashResult {
  return { size: d.size, ...digestsOf(d) }
}

/**
 * Hashes a file without blocking the event loop: the bytes are read and hashed on native
 * threads (BLAKE3 over all cores for large files, like `b3sum`), never passed through
 * JavaScript.
 *
 * @example
 * ```ts
 * import { hashFile } from 'shutterproof'
 * const { size, blake3, xxh128 } = await hashFile('DCIM/100CANON/IMG_0001.CR3', {
 *   algorithms: ['blake3', 'xxh128'],
 *   onProgress: ({ bytes, total }) => console.log(`${bytes} / ${total}`),
 * })
 * ```
 * @throws {@link FileSystemError} `ENOENT`, `EISDIR`, `EACCES`, `E_IO`
 * @throws {@link AbortError} `E_ABORTED` when `signal` aborts
 */
export async function hashFile(path: string, options: HashFileOptions = {}): Promise<HashResult> {
  if (typeof path !== 'string' || path === '') throw new InvalidArgumentError('hashFile needs a file path')
  const algorithms = checkAlgorithms(options.algorithms)
  const guard = new CallbackGuard(options.signal)
  guard.throwIfStopped()
  const onProgress = guard.wrap('onProgress', options.onProgress)
  const progress = trackProgress(onProgress, onProgress ? await sizeOf(path) : 0, guard.signal, {
    phase: 'read',
    file: path,
  })
  try {
    const digests = await withCancel(guard.signal, (token) =>
      nativeHashFile(path, algorithms, token, progress.native),
    )
    const result = toResult(digests)
    progress.settle(result.size)
    if (guard.stopped) throw guard.stopError()
    return result
  } catch (err) {
    progress.settle()
    throw guard.failure(fromNative(err, path))
  }
}

/** One entry of {@link hashFiles}'s result: the file's digests or its error. */
export type HashFilesEntry =
  { path: string; ok: true; result: HashResult } | { path: string; ok: false; error: ShutterproofError }

/** Options of {@link hashFiles}. */
export interface HashFilesOptions extends Omit<HashFileOptions, 'onProgress'> {
  /** Files hashed at the same time (default 2; each large file already uses every core). */
  concurrency?: number
  /** Called when each file is done, in completion order. If it throws, the batch rejects with `E_CALLBACK`. */
  onFile?: (entry: HashFilesEntry) => void
  /**
   * Bytes and files of the whole batch (phase `read`, `currentFile` the file that last
   * moved), at most ~20 a second per file being hashed, and a last one right before the
   * promise resolves. If it throws, the batch rejects with `E_CALLBACK`.
   */
  onProgress?: (progress: Progress) => void
}

/**
 * Hashes many files with bounded parallelism. One failing file does not lose the others:
 * each entry says `ok` with its result or carries its error. Aborting rejects the whole
 * batch with an `AbortError` whose `partial` holds the entries finished so far.
 *
 * @example
 * ```ts
 * const entries = await hashFiles(['a.CR3', 'b.CR3'], { algorithms: ['xxh128'] })
 * for (const e of entries) console.log(e.path, e.ok ? e.result.xxh128 : e.error.code)
 * ```
 */
export async function hashFiles(
  paths: readonly string[],
  options: HashFilesOptions = {},
): Promise<HashFilesEntry[]> {
  if (!Array.isArray(paths)) throw new InvalidArgumentError('hashFiles needs an array of paths')
  const concurrency = options.concurrency ?? 2
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new InvalidArgumentError('concurrency must be a whole number ≥ 1')
  checkAlgorithms(options.algorithms)
  const guard = new CallbackGuard(options.signal)
  guard.throwIfStopped()
  const onFile = guard.wrap('onFile', options.onFile)
  const onProgress = guard.wrap('onProgress', options.onProgress)
  const entries: HashFilesEntry[] = new Array(paths.length)
  const sizes = onProgress ? await Promise.all(paths.map((p) => sizeOf(p))) : []
  const bytesTotal = sizes.reduce((a, b) => a + b, 0)
  const moving = new Map<number, number>()
  let bytesDone = 0
  let filesDone = 0
  const emit = (currentFile?: string) => {
    let bytes = bytesDone
    for (const b of moving.values()) bytes += b
    const p: Progress = {
      phase: 'read',
      bytes,
      bytesTotal: Math.max(bytesTotal, bytes),
      files: filesDone,
      filesTotal: paths.length,
    }
    if (currentFile !== undefined) p.currentFile = currentFile
    onProgress?.(p)
  }
  let next = 0
  const worker = async () => {
    while (next < paths.length && !guard.stopped) {
      const i = next++
      const path = paths[i]!
      try {
        const fileOptions: HashFileOptions = {
          algorithms: options.algorithms ?? ['blake3'],
          signal: guard.signal,
        }
        if (onProgress) fileOptions.onProgress = (p) => (moving.set(i, p.bytes), emit(path))
        entries[i] = { path, ok: true, result: await hashFile(path, fileOptions) }
      } catch (err) {
        const error = fromNative(err, path)
        if (guard.stopped) return
        entries[i] = { path, ok: false, error }
      }
      moving.delete(i)
      bytesDone += entries[i]!.ok ? (entries[i] as { result: HashResult }).result.size : 0
      filesDone++
      onFile?.(entries[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, paths.length) }, worker))
  if (guard.stopped) throw guard.stopError(entries.filter((e) => e !== undefined))
  emit()
  return entries
}

/** An incremental hasher: feed it with {@link Hasher.update}, read with {@link Hasher.digest}. */
export interface Hasher {
  /** Adds bytes; returns the hasher for chaining. Synchronous: feed large data in chunks. */
  update(data: Uint8Array): Hasher
  /** The digests of everything fed so far (the hasher may go on afterwards). */
  digest(): HashResult
}

/**
 * Creates an incremental hasher computing every given algorithm at once.
 *
 * @example
 * ```ts
 * const h = createHasher(['blake3', 'sha256'])
 * h.update(Buffer.from('hello ')).update(Buffer.from('world'))
 * console.log(h.digest().blake3)
 * ```
 */
export function createHasher(algorithms: readonly HashAlgorithm[] = ['blake3']): Hasher {
  const native = new NativeHasher(checkAlgorithms(algorithms))
  // Small updates are gathered here and handed to native code together: one call into the
  // addon costs a few hundred nanoseconds, copying a few hundred bytes far less
  // (bench/RESULTS.md, case C).
  let staged: Buffer | undefined
  let used = 0
  const flush = () => {
    if (used > 0) native.update(staged!.subarray(0, used))
    used = 0
  }
  const hasher: Hasher = {
    update(data: Uint8Array) {
      if (!(data instanceof Uint8Array))
        throw new InvalidArgumentError('update() takes a Buffer or Uint8Array')
      const n = data.byteLength
      if (n <= STAGE_INPUT_MAX_BYTES) {
        if (used + n > STAGE_BYTES) flush()
        staged ??= Buffer.allocUnsafe(STAGE_BYTES)
        staged.set(data, used)
        used += n
      } else {
        flush()
        native.update(data)
      }
      return hasher
    },
    digest: () => {
      flush()
      return toResult(native.digest())
    },
  }
  return hasher
}

/** Inputs up to this size are copied into the staging buffer instead of crossing into native code alone. */
const STAGE_INPUT_MAX_BYTES = 2048
/** The staging buffer: 16 BLAKE3 chunks, what its widest SIMD path hashes at once. */
const STAGE_BYTES = 16 * 1024

/** Options of {@link HashStream}. */
export interface HashStreamOptions extends TransformOptions {
  /** Algorithms to compute; default `['blake3']`. */
  algorithms?: readonly HashAlgorithm[]
}

/**
 * A pass-through `Transform` that hashes what flows through it. The bytes come out
 * unchanged; the digests are on {@link HashStream.digests} and in a `'digests'` event
 * once the stream has finished. Works with `stream.pipeline`.
 *
 * @example
 * ```ts
 * import { pipeline } from 'node:stream/promises'
 * const hs = new HashStream({ algorithms: ['blake3', 'xxh128'] })
 * await pipeline(createReadStream('in.CR3'), hs, createWriteStream('out.CR3'))
 * console.log(hs.digests?.blake3)
 * ```
 */
export class HashStream extends Transform {
  /** The digests, set when the stream has flushed; `undefined` before. */
  digests: HashResult | undefined
  readonly #hasher: Hasher

  constructor(options: HashStreamOptions = {}) {
    const { algorithms, ...transformOptions } = options
    super(transformOptions)
    this.#hasher = createHasher(algorithms ?? ['blake3'])
  }

  /** @internal */
  override _transform(chunk: unknown, encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : (chunk as Uint8Array)
      this.#hasher.update(bytes)
      callback(null, chunk)
    } catch (err) {
      callback(err as Error)
    }
  }

  /** @internal */
  override _flush(callback: TransformCallback): void {
    this.digests = this.#hasher.digest()
    this.emit('digests', this.digests)
    callback()
  }
}

/**
 * BLAKE3 keyed hash (a MAC) of `data` under a 32-byte key.
 *
 * @example
 * ```ts
 * const tag = keyedHash(key32, Buffer.from('message'))  // 32-byte Buffer
 * ```
 */
export function keyedHash(key: Uint8Array, data: Uint8Array): Buffer {
  if (!(key instanceof Uint8Array) || key.byteLength !== 32)
    throw new InvalidArgumentError('keyedHash needs a 32-byte key')
  if (!(data instanceof Uint8Array))
    throw new InvalidArgumentError('keyedHash data must be a Buffer or Uint8Array')
  try {
    return nativeKeyedHash(key, data.byteLength === 0 ? Buffer.alloc(0) : data)
  } catch (err) {
    throw fromNative(err)
  }
}

/**
 * BLAKE3 `derive_key`: a 32-byte key for one purpose, named by a hard-coded, globally
 * unique `context` string, from secret key material.
 *
 * @example
 * ```ts
 * const storeKey = deriveKey('shutterproof 2026-11 store object names', vaultKey)
 * ```
 */
export function deriveKey(context: string, material: Uint8Array): Buffer {
  if (typeof context !== 'string') throw new InvalidArgumentError('deriveKey context must be a string')
  if (!(material instanceof Uint8Array))
    throw new InvalidArgumentError('deriveKey material must be a Buffer or Uint8Array')
  return nativeDeriveKey(context, material)
}
