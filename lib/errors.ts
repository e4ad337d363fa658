/**
 * Typed errors with stable `code`s, in the style of Node's own (`err.code === 'ENOENT'`).
 *
 * Every error the library throws or rejects with is a {@link ShutterproofError}. Codes
 * for file-system problems keep Node's names (`ENOENT`, `EISDIR`, `EACCES`); the rest
 * start with `E_`. Messages name the file concerned and say what to do.
 * @module
 */

/** Every stable error code the library uses. */
export type ErrorCode =
  | 'ENOENT'
  | 'EISDIR'
  | 'EACCES'
  | 'E_NO_SPACE'
  | 'E_READ_ONLY'
  | 'E_ABORTED'
  | 'E_INVALID_ARGUMENT'
  | 'E_IO'
  | 'E_INTERNAL'
  | 'E_EXISTS'
  | 'E_AUTH'
  | 'E_TRUNCATED'
  | 'E_FORMAT'
  | 'E_WRONG_KEY'
  | 'E_BAD_PASSPHRASE'
  | 'E_BAD_RECOVERY_KEY'
  | 'E_KDF_LIMIT'
  | 'E_SOURCE_CHANGED'
  | 'E_VERIFY_MISMATCH'
  | 'E_MHL_NO_HISTORY'
  | 'E_MHL_INVALID'
  | 'E_MHL_CHAIN_MISMATCH'
  | 'E_MHL_MANIFEST_MISSING'
  | 'E_SHARE_NOT_FOUND'
  | 'E_TTL_TOO_LONG'
  | 'E_SCHEMA_TOO_NEW'
  | 'E_UNSAFE_ENTRY'
  | 'E_ARCHIVE_LIMIT'
  | 'E_NO_PREVIEW'
  | 'E_UNSUPPORTED_FORMAT'
  | 'E_CORRUPT_IMAGE'
  | 'E_IMAGE_TOO_LARGE'
  | 'E_NOT_A_PREVIEW'
  | 'E_WEAK_PASSPHRASE'
  | 'E_S3_NO_CREDENTIALS'
  | 'E_S3_BAD_CREDENTIALS'
  | 'E_S3_NO_BUCKET'
  | 'E_S3_ACCESS_DENIED'
  | 'E_S3_CLOCK_SKEW'
  | 'E_S3_UNREACHABLE'
  | 'E_S3'
  | 'E_UNSUPPORTED_PLATFORM'
  | 'E_NATIVE_LOAD'
  | 'E_SQLITE_UNAVAILABLE'

/** Base class of every error the library reports. */
export class ShutterproofError extends Error {
  /** Stable, documented code: switch on this, never on the message. */
  readonly code: ErrorCode
  /** The file or folder the error concerns, when there is one. */
  readonly path?: string

  constructor(code: ErrorCode, message: string, options?: { path?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.code = code
    if (options?.path !== undefined) this.path = options.path
  }
}

/** A file or folder could not be found, read or written (`ENOENT`, `EISDIR`, `EACCES`, `E_NO_SPACE`, `E_READ_ONLY`, `E_IO`), or would be overwritten (`E_EXISTS`). */
export class FileSystemError extends ShutterproofError {}

/** The operation was cancelled through its `AbortSignal` (`E_ABORTED`). */
export class AbortError extends ShutterproofError {
  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super('E_ABORTED', message, options)
  }
}

/** An argument was missing, of the wrong type or out of range (`E_INVALID_ARGUMENT`). */
export class InvalidArgumentError extends ShutterproofError {
  constructor(message: string) {
    super('E_INVALID_ARGUMENT', message)
  }
}

/**
 * An ASC MHL history could not be used: there is none (`E_MHL_NO_HISTORY`), a manifest or
 * the chain file is not well-formed ASC MHL (`E_MHL_INVALID`), a manifest's C4 differs
 * from the one recorded in `ascmhl_chain.xml` (`E_MHL_CHAIN_MISMATCH`), or a manifest the
 * chain lists is gone (`E_MHL_MANIFEST_MISSING`).
 */
export class MhlError extends ShutterproofError {}

/**
 * Data failed an integrity check: a sealed file was modified (`E_AUTH`), cut short or
 * extended (`E_TRUNCATED`), is not in a format this version reads (`E_FORMAT`), a copy
 * does not match its source (`E_VERIFY_MISMATCH`), or a source changed while it was read
 * (`E_SOURCE_CHANGED`).
 */
export class IntegrityError extends ShutterproofError {}

/**
 * A key did not fit: wrong vault or file key (`E_WRONG_KEY`), wrong passphrase
 * (`E_BAD_PASSPHRASE`), mistyped recovery words (`E_BAD_RECOVERY_KEY`), or a header
 * demanding key-derivation costs over the caps (`E_KDF_LIMIT`).
 */
export class KeyError extends ShutterproofError {}
/** No share has the given id (`E_SHARE_NOT_FOUND`); `shutterproof share list` shows the ids. */
export class ShareNotFoundError extends ShutterproofError {
  constructor(message: string) {
    super('E_SHARE_NOT_FOUND', message)
  }
}

/** A share was asked to live longer than the configured cap allows (`E_TTL_TOO_LONG`). */
export class TtlTooLongError extends ShutterproofError {
  constructor(message: string) {
    super('E_TTL_TOO_LONG', message)
  }
}

/** A database was written by a newer Shutterproof than this one (`E_SCHEMA_TOO_NEW`). */
export class SchemaVersionError extends ShutterproofError {
  constructor(message: string, options?: { path?: string }) {
    super('E_SCHEMA_TOO_NEW', message, options)
  }
}

/**
 * An archive holds an entry Shutterproof will not write (`E_UNSAFE_ENTRY`): an absolute
 * path, a `..` component, a symbolic or hard link, a device or fifo, a duplicate name, or
 * a name that is not a plain relative path; or it exceeds the entry-count or size cap
 * (`E_ARCHIVE_LIMIT`). Nothing of the archive is left under a final name.
 */
export class UnsafeArchiveError extends ShutterproofError {
  /** The entry's name as it appears in the archive, when the problem is one entry. */
  readonly entry?: string

  constructor(code: 'E_UNSAFE_ENTRY' | 'E_ARCHIVE_LIMIT', message: string, options?: { path?: string; entry?: string }) {
    super(code, message, options)
    if (options?.entry !== undefined) this.entry = options.entry
  }
}

/**
 * A photo could not become a preview, or a file is not one: a RAW file with no usable
 * embedded preview (`E_NO_PREVIEW`), a format this machine's image library cannot read
 * (`E_UNSUPPORTED_FORMAT`), an unreadable, truncated or empty image (`E_CORRUPT_IMAGE`),
 * an image over the pixel limit (`E_IMAGE_TOO_LARGE`), or a file given as a preview that
 * Shutterproof did not make (`E_NOT_A_PREVIEW`). `path` names the file.
 */
export class PreviewError extends ShutterproofError {
  constructor(code: 'E_NO_PREVIEW' | 'E_UNSUPPORTED_FORMAT' | 'E_CORRUPT_IMAGE' | 'E_IMAGE_TOO_LARGE' | 'E_NOT_A_PREVIEW', message: string, options?: { path?: string; cause?: unknown }) {
    super(code, message, options)
  }
}

/**
 * A chosen passphrase or share password is too easy to guess (`E_WEAK_PASSPHRASE`); the
 * message says why and how to make it stronger (or to let Shutterproof generate one).
 */
export class WeakPassphraseError extends ShutterproofError {
  constructor(message: string) {
    super('E_WEAK_PASSPHRASE', message)
  }
}

/**
 * Object storage (S3-compatible) refused or could not be reached: no credentials were
 * found (`E_S3_NO_CREDENTIALS`), the server rejected them (`E_S3_BAD_CREDENTIALS`), the
 * bucket does not exist (`E_S3_NO_BUCKET`), the credentials may not use it
 * (`E_S3_ACCESS_DENIED`), this computer's clock is too far from the server's
 * (`E_S3_CLOCK_SKEW`), the server stayed unreachable through every retry
 * (`E_S3_UNREACHABLE`), or another S3 error (`E_S3`, with the server's code in `s3Code`).
 * Messages say what to fix.
 */
export class CloudError extends ShutterproofError {
  /** The server's error code (`AccessDenied`, `SlowDown`, …), when it sent one. */
  readonly s3Code?: string
  /** The HTTP status, when the server answered. */
  readonly status?: number

  constructor(code: ErrorCode, message: string, options?: { path?: string; cause?: unknown; s3Code?: string; status?: number }) {
    super(code, message, options)
    if (options?.s3Code !== undefined) this.s3Code = options.s3Code
    if (options?.status !== undefined) this.status = options.status
  }
}

/**
 * The native addon is missing for this machine: none is published for its platform
 * (`E_UNSUPPORTED_PLATFORM`; the message says how to build one from source), or the one
 * for its platform is not installed or does not load (`E_NATIVE_LOAD`). Thrown by
 * `require('shutterproof')` / `import`, so test `err.code`: the class cannot be imported then.
 */
export class PlatformError extends ShutterproofError {
  /** This machine's platform as the addon names it, e.g. `linux-arm64-musl`, `freebsd-x64`. */
  readonly platform: string
  /** The platforms a prebuilt addon is published for. */
  readonly supported: readonly string[]

  constructor(code: 'E_UNSUPPORTED_PLATFORM' | 'E_NATIVE_LOAD', message: string, options: { platform: string; supported: readonly string[]; cause?: unknown }) {
    super(code, message, { cause: options.cause })
    this.platform = options.platform
    this.supported = options.supported
  }
}

/** A bug in Shutterproof itself (`E_INTERNAL`): please report it. */
export class InternalError extends ShutterproofError {}

const FILE_SYSTEM_CODES = new Set<ErrorCode>(['ENOENT', 'EISDIR', 'EACCES', 'E_NO_SPACE', 'E_READ_ONLY', 'E_IO', 'E_EXISTS'])
const INTEGRITY_CODES = new Set<ErrorCode>(['E_AUTH', 'E_TRUNCATED', 'E_FORMAT', 'E_VERIFY_MISMATCH', 'E_SOURCE_CHANGED'])
const KEY_CODES = new Set<ErrorCode>(['E_WRONG_KEY', 'E_BAD_PASSPHRASE', 'E_BAD_RECOVERY_KEY', 'E_KDF_LIMIT'])

/** Native errors arrive as `CODE: message` (see crates/node/src/errors.rs). */
const NATIVE_MESSAGE = /^([A-Z][A-Z0-9_]*): ([\s\S]*)$/

/**
 * Turns an error from the native addon into the matching typed error.
 * @internal
 */
export function fromNative(err: unknown, path?: string): ShutterproofError {
  if (err instanceof ShutterproofError) return err
  const e = err as { message?: unknown; code?: unknown }
  if (e?.code === 'Cancelled') return new AbortError(undefined, { cause: err })
  const match = typeof e?.message === 'string' ? NATIVE_MESSAGE.exec(e.message) : null
  if (!match) return new InternalError('E_INTERNAL', `Unexpected native error: ${String(e?.message ?? err)}`, { cause: err })
  const [, code, message] = match as unknown as [string, ErrorCode, string]
  const options = path === undefined ? { cause: err } : { path, cause: err }
  if (code === 'E_ABORTED') return new AbortError(message, { cause: err })
  if (code === 'E_INVALID_ARGUMENT') return new InvalidArgumentError(message)
  if (FILE_SYSTEM_CODES.has(code)) return new FileSystemError(code, message, options)
  if (INTEGRITY_CODES.has(code)) return new IntegrityError(code, message, options)
  if (KEY_CODES.has(code)) return new KeyError(code, message, options)
  if (code === 'E_INTERNAL') return new InternalError(code, message, options)
  return new ShutterproofError(code, message, options)
}
