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
  | 'E_MHL_UNREPRESENTABLE'
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
  | 'E_CALLBACK'

/** An error as a report keeps it (per file, per destination): a stable code and the message. */
export interface ReportedError {
  code: ErrorCode
  message: string
}

/**
 * A native failure (`{ code, message }` with a code string from Rust) as a
 * {@link ReportedError}.
 * @internal
 */
export function reported(e: { code: string; message: string }): ReportedError {
  return { code: e.code as ErrorCode, message: e.message }
}

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

/**
 * The operation was cancelled through its `AbortSignal` (`E_ABORTED`). Every async
 * function rejects with one when its signal aborts, before or during the work: `name` is
 * `'AbortError'` (as for `fetch`), `cause` is the signal's `reason`, and `partial` holds
 * what was done before the abort for the operations that report it (`ingest`, `backup`,
 * `restore`, `restoreTest`, `verify`, `hashFiles`).
 */
export class AbortError<P = unknown> extends ShutterproofError {
  /** What was done before the abort, for operations that return a report (its `status` says `aborted`). */
  readonly partial?: P

  constructor(
    message = 'The operation was aborted',
    options?: { cause?: unknown; partial?: P; path?: string },
  ) {
    super('E_ABORTED', message, options)
    if (options?.partial !== undefined) this.partial = options.partial
  }
}

/**
 * A callback you passed (`onProgress`, `onFile`, …) threw (`E_CALLBACK`). The operation
 * stopped as if aborted (nothing partial under a final name) and rejected with this
 * error; `cause` is what the callback threw, `callback` its option name, and `partial`
 * what was done, as for {@link AbortError}.
 */
export class CallbackError<P = unknown> extends ShutterproofError {
  /** The option the callback was given as, e.g. `onProgress`. */
  readonly callback: string
  /** What was done before the callback threw, for operations that return a report. */
  readonly partial?: P

  constructor(callback: string, cause: unknown, options?: { partial?: P }) {
    const why = cause instanceof Error ? cause.message : String(cause)
    super(
      'E_CALLBACK',
      `Your ${callback} callback threw (${why}); the operation stopped. Catch errors inside the callback to keep the operation going`,
      { cause },
    )
    this.callback = callback
    if (options?.partial !== undefined) this.partial = options.partial
  }
}

/**
 * Files would be overwritten (`E_EXISTS`): `conflicts` lists every one of them (relative
 * to `path`), and nothing was written. Pass `overwrite: true`, or choose an empty folder.
 */
export class ConflictError extends ShutterproofError {
  /** The files already there, relative to `path`. */
  readonly conflicts: readonly string[]

  constructor(message: string, options: { path: string; conflicts: readonly string[] }) {
    super('E_EXISTS', message, { path: options.path })
    this.conflicts = options.conflicts
  }
}

/** An argument was missing, of the wrong type or out of range (`E_INVALID_ARGUMENT`). */
export class InvalidArgumentError extends ShutterproofError {
  constructor(message: string, options?: { path?: string; cause?: unknown }) {
    super('E_INVALID_ARGUMENT', message, options)
  }
}

/**
 * An ASC MHL history could not be used: there is none (`E_MHL_NO_HISTORY`), a manifest or
 * the chain file is not well-formed ASC MHL (`E_MHL_INVALID`), a manifest's C4 differs
 * from the one recorded in `ascmhl_chain.xml` (`E_MHL_CHAIN_MISMATCH`), or a manifest the
 * chain lists is gone (`E_MHL_MANIFEST_MISSING`). In reports, `E_MHL_UNREPRESENTABLE`: a
 * file name XML 1.0 cannot hold kept that file out of the history.
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
/** No share has the given id (`E_SHARE_NOT_FOUND`); `registry.listShares()` gives the ids. */
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

  constructor(
    code: 'E_UNSAFE_ENTRY' | 'E_ARCHIVE_LIMIT',
    message: string,
    options?: { path?: string; entry?: string },
  ) {
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
  constructor(
    code:
      'E_NO_PREVIEW' | 'E_UNSUPPORTED_FORMAT' | 'E_CORRUPT_IMAGE' | 'E_IMAGE_TOO_LARGE' | 'E_NOT_A_PREVIEW',
    message: string,
    options?: { path?: string; cause?: unknown },
  ) {
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

  constructor(
    code: ErrorCode,
    message: string,
    options?: { path?: string; cause?: unknown; s3Code?: string; status?: number },
  ) {
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

  constructor(
    code: 'E_UNSUPPORTED_PLATFORM' | 'E_NATIVE_LOAD',
    message: string,
    options: { platform: string; supported: readonly string[]; cause?: unknown },
  ) {
    super(code, message, { cause: options.cause })
    this.platform = options.platform
    this.supported = options.supported
  }
}

/**
 * Something this Node needs is not installed (`E_SQLITE_UNAVAILABLE`: SQLite, on a Node
 * older than 22.13 — which has no built-in `node:sqlite` — without the `better-sqlite3`
 * fallback). `path` is the database that was being opened; the message says what to install.
 */
export class DependencyError extends ShutterproofError {
  /** The npm package that would provide it, e.g. `better-sqlite3`. */
  readonly dependency: string

  constructor(
    code: 'E_SQLITE_UNAVAILABLE',
    message: string,
    options: { dependency: string; path?: string; cause?: unknown },
  ) {
    super(code, message, options)
    this.dependency = options.dependency
  }
}

/** A bug in Shutterproof itself (`E_INTERNAL`): please report it. */
export class InternalError extends ShutterproofError {}

const FILE_SYSTEM_CODES = new Set<ErrorCode>([
  'ENOENT',
  'EISDIR',
  'EACCES',
  'E_NO_SPACE',
  'E_READ_ONLY',
  'E_IO',
  'E_EXISTS',
])
/** The codes of {@link IntegrityError}: the one definition of "integrity failure". */
export const INTEGRITY_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'E_AUTH',
  'E_TRUNCATED',
  'E_FORMAT',
  'E_VERIFY_MISMATCH',
  'E_SOURCE_CHANGED',
])
const KEY_CODES = new Set<ErrorCode>(['E_WRONG_KEY', 'E_BAD_PASSPHRASE', 'E_BAD_RECOVERY_KEY', 'E_KDF_LIMIT'])
const MHL_CODES = new Set<ErrorCode>([
  'E_MHL_NO_HISTORY',
  'E_MHL_INVALID',
  'E_MHL_CHAIN_MISMATCH',
  'E_MHL_MANIFEST_MISSING',
  'E_MHL_UNREPRESENTABLE',
])

/**
 * Whether an error — thrown, or a `{ code }` entry of a report — is an integrity failure:
 * data that does not read back as written (`E_AUTH`, `E_TRUNCATED`, `E_FORMAT`,
 * `E_VERIFY_MISMATCH`, `E_SOURCE_CHANGED`). The one predicate the library and the CLI use.
 *
 * @example
 * ```ts
 * try { await openSealedFile(src, dst, { vault }) } catch (err) {
 *   if (isIntegrityError(err)) console.error('damaged:', err.path)
 * }
 * ```
 */
export function isIntegrityError(err: unknown): boolean {
  if (err instanceof IntegrityError) return true
  const code = (err as { code?: unknown } | null | undefined)?.code
  return typeof code === 'string' && INTEGRITY_CODES.has(code as ErrorCode)
}

/** Whether an error means a key did not fit (`E_WRONG_KEY`, `E_BAD_PASSPHRASE`, `E_BAD_RECOVERY_KEY`, `E_KDF_LIMIT`). */
export function isKeyError(err: unknown): boolean {
  if (err instanceof KeyError) return true
  const code = (err as { code?: unknown } | null | undefined)?.code
  return typeof code === 'string' && KEY_CODES.has(code as ErrorCode)
}

/**
 * The typed error for a stable code: the matching subclass ({@link IntegrityError},
 * {@link FileSystemError}, …), so that no error is ever a bare `Error` with a code
 * assigned to it.
 * @internal
 */
export function errorFor(
  code: ErrorCode,
  message: string,
  options?: { path?: string; cause?: unknown },
): ShutterproofError {
  if (code === 'E_ABORTED') return new AbortError(message, options)
  if (code === 'E_INVALID_ARGUMENT') return new InvalidArgumentError(message, options)
  if (FILE_SYSTEM_CODES.has(code)) return new FileSystemError(code, message, options)
  if (INTEGRITY_CODES.has(code)) return new IntegrityError(code, message, options)
  if (KEY_CODES.has(code)) return new KeyError(code, message, options)
  if (MHL_CODES.has(code)) return new MhlError(code, message, options)
  if (code === 'E_INTERNAL') return new InternalError(code, message, options)
  return new ShutterproofError(code, message, options)
}

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
  if (!match)
    return new InternalError('E_INTERNAL', `Unexpected native error: ${String(e?.message ?? err)}`, {
      cause: err,
    })
  const [, code, message] = match as unknown as [string, ErrorCode, string]
  const options = path === undefined ? { cause: err } : { path, cause: err }
  if (code === 'E_ABORTED') return new AbortError(message, { cause: err })
  return errorFor(code, message, options)
}
