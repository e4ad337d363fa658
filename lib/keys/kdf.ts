/**
 * Argon2id cost options.
 * @module
 */
import type { NativeKdf } from '../native'

/**
 * Argon2id costs for a passphrase. Defaults follow RFC 9106's second recommendation
 * (64 MiB, 3 passes, 4 lanes). Headers from untrusted files are capped at 2 GiB, 10
 * passes, 16 lanes.
 */
export interface KdfOptions {
  /** Memory in KiB (default 65536 = 64 MiB). */
  memoryKiB?: number
  /** Passes over memory (default 3). */
  iterations?: number
  /** Lanes (default 4). */
  parallelism?: number
}

/** @internal */
export function toNativeKdf(kdf: KdfOptions | undefined): NativeKdf | undefined {
  if (!kdf) return undefined
  const out: NativeKdf = {}
  if (kdf.memoryKiB !== undefined) out.memoryKib = kdf.memoryKiB
  if (kdf.iterations !== undefined) out.iterations = kdf.iterations
  if (kdf.parallelism !== undefined) out.parallelism = kdf.parallelism
  return out
}
