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
export { generatePassphrase, uniformInt, PASSPHRASE_WORDS, type PassphraseOptions } from './passphrase'
export { ShareNotFoundError, TtlTooLongError, SchemaVersionError } from './errors'
export {
  openShareRegistry,
  ShareRegistry,
  type ShareRegistryOptions,
  type CreateShareOptions,
  type CreatedShare,
  type ShareInfo,
  type ShareStatus,
  type ShareFilter,
  type AccessStatus,
  type AccessResult,
  type VerifyAccessOptions,
  type AccessLogEntry,
} from './share/registry'
export { createShareHandler, type ShareHandlerOptions, type ShareRequestHandler } from './share/handler'
export { type ShareItem, type ShareItemInput, type ShareScope } from './share/items'
export { type ShareAudit, type AuditOptions } from './share/audit'
export { systemClock, manualClock, type Clock, type ManualClock } from './share/clock'
export { parseDuration } from './share/duration'
