/**
 * Shutterproof: keeps photographers' work safe from loss, theft and accidental sharing.
 *
 * @example
 * ```ts
 * import { hashFile } from 'shutterproof'
 * console.log((await hashFile('IMG_0001.CR3')).blake3)
 * ```
 * @module shutterproof
 */
export {
  hashFile,
  hashFiles,
  createHasher,
  HashStream,
  keyedHash,
  deriveKey,
  HASH_ALGORITHMS,
  type HashAlgorithm,
  type HashResult,
  type ByteProgress,
  type HashFileOptions,
  type HashFilesOptions,
  type HashFilesEntry,
  type Hasher,
  type HashStreamOptions,
} from './hash'
export {
  ShutterproofError,
  FileSystemError,
  AbortError,
  InvalidArgumentError,
  InternalError,
  type ErrorCode,
} from './errors'
