/**
 * Native helpers of the backup store, wrapped with typed errors and cancellation.
 * @internal
 * @module
 */
import { withCancel } from '../abort'
import { fromNative } from '../errors'
import {
  nativeHashSealedFile,
  nativeOpenBytes,
  nativeSealBytes,
  nativeStoreObjectName,
  type Vault,
} from '../native'

/** A file's object name (keyed BLAKE3 under the vault's store key) and its BLAKE3. */
export async function objectDigest(vault: Vault, path: string, signal?: AbortSignal) {
  try {
    return await withCancel(signal, (t) => nativeStoreObjectName(vault, path, t, undefined))
  } catch (err) {
    throw fromNative(err, path)
  }
}

/** Reads a sealed object back from the disk, authenticates it and hashes its plaintext. */
export async function checkSealed(vault: Vault, path: string, signal?: AbortSignal) {
  try {
    return await withCancel(signal, (t) => nativeHashSealedFile(vault, path, t, undefined))
  } catch (err) {
    throw fromNative(err, path)
  }
}

export async function sealBytes(vault: Vault, data: Buffer): Promise<Buffer> {
  try {
    return await nativeSealBytes(vault, data)
  } catch (err) {
    throw fromNative(err)
  }
}

export async function openBytes(vault: Vault, data: Buffer, what: string): Promise<Buffer> {
  try {
    return await nativeOpenBytes(vault, data)
  } catch (err) {
    throw fromNative(err, what)
  }
}
