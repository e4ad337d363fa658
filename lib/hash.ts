/**
 * Hashing: BLAKE3 by default, plus XXH128 / XXH64 / XXH3 (for ASC MHL), MD5, SHA-1 and
 * SHA-256, every requested algorithm computed from one read of the data, in Rust.
 * @module
 */
import { Transform, type TransformCallback, type TransformOptions } from 'node:stream'

import { fromNative, InvalidArgumentError } from './errors'
import { checkAlgorithms, toResult, type HashAlgorithm, type HashResult } from './hash-file'
import { NativeHasher, nativeDeriveKey, nativeKeyedHash } from './native'

export {
  HASH_ALGORITHMS,
  digestsOf,
  hashFile,
  hashFiles,
  type HashAlgorithm,
  type HashFileOptions,
  type HashFilesEntry,
  type HashFilesOptions,
  type HashResult,
} from './hash-file'
export type { ByteProgress, Progress, ProgressPhase } from './progress'

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
