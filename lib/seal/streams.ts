/**
 * Sealing and opening as Node `Transform` streams, for data that is not a file (an
 * archive being built, an upload). Opening releases only authenticated chunks and keeps
 * failing once it failed.
 * @module
 */
import { Transform, type TransformCallback } from 'node:stream'

import { fromNative } from '../errors'
import { toNativeKdf } from '../keys/kdf'
import { NativeOpener, NativeSealer } from '../native'
import { splitOpenKey, splitSealKey, type OpenKey, type SealKey } from './keys'

type Pusher = { push(data: Uint8Array): Buffer; finish(): Buffer }

class NativeTransform extends Transform {
  readonly #native: Pusher
  #failed: Error | undefined

  constructor(native: Pusher) {
    super()
    this.#native = native
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.#failed) return callback(this.#failed)
    if (chunk.length === 0) return callback()
    try {
      const out = this.#native.push(chunk)
      callback(null, out.length ? out : undefined)
    } catch (err) {
      this.#failed = fromNative(err)
      callback(this.#failed)
    }
  }

  override _flush(callback: TransformCallback): void {
    if (this.#failed) return callback(this.#failed)
    try {
      const out = this.#native.finish()
      callback(null, out.length ? out : undefined)
    } catch (err) {
      this.#failed = fromNative(err)
      callback(this.#failed)
    }
  }
}

/**
 * A Transform that seals what flows through it (header first, then 16 KiB chunks).
 *
 * @example
 * ```ts
 * await pipeline(createReadStream('shoot.tar'), createSealStream({ vault }), createWriteStream('shoot.tar.sealed'))
 * ```
 */
export function createSealStream(key: SealKey): Transform {
  const { vault, passphrase, kdf } = splitSealKey(key)
  try {
    return new NativeTransform(new NativeSealer(vault, passphrase, toNativeKdf(kdf)))
  } catch (err) {
    throw fromNative(err)
  }
}

/**
 * A Transform that opens a sealed stream. It emits plaintext only after each chunk
 * authenticated; a modified, truncated or extended stream errors (`E_AUTH`,
 * `E_TRUNCATED`) and stays failed.
 *
 * @example
 * ```ts
 * await pipeline(createReadStream('shoot.tar.sealed'), createOpenStream({ passphrase }), extractor)
 * ```
 */
export function createOpenStream(key: OpenKey): Transform {
  const { vault, unlock } = splitOpenKey(key)
  try {
    return new NativeTransform(new NativeOpener(vault, unlock))
  } catch (err) {
    throw fromNative(err)
  }
}
