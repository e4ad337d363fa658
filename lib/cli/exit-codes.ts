/**
 * The CLI's exit codes: the one table of docs/CLI.md ("Exit codes"), and the two functions
 * every command uses to follow it.
 * @module
 */
import { isIntegrityError, isKeyError, type ErrorCode } from '../errors'

export const EXIT = {
  /** Everything completed. */
  OK: 0,
  /** A verification, integrity or authentication check failed. */
  INTEGRITY: 1,
  /** The command line was wrong. */
  USAGE: 2,
  /** Completed, but some items failed (each one is reported). */
  COMPLETED_WITH_ERRORS: 3,
  /** A backup stopped at the end of its time window (`--until`); running it again goes on. */
  WINDOW_ENDED: 4,
  /** Aborted by Ctrl-C / SIGINT. */
  ABORTED: 130,
  /** The reader of stdout went away (`… | head`): stopped quietly, as a process ended by SIGPIPE reports it (128 + 13). */
  STDOUT_CLOSED: 141,
} as const

/** Errors that mean the command line asked for something wrong. */
const USAGE_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'E_INVALID_ARGUMENT',
  'E_TTL_TOO_LONG',
  'E_SHARE_NOT_FOUND',
  'E_WEAK_PASSPHRASE',
  'E_NOT_A_PREVIEW',
])

/** Whether a failure is a check that failed: integrity (isIntegrityError), a key that does not fit, or a damaged ASC MHL history. */
export function isCheckFailure(err: { code?: unknown }): boolean {
  return (
    isIntegrityError(err) ||
    isKeyError(err) ||
    (typeof err.code === 'string' && err.code.startsWith('E_MHL_') && err.code !== 'E_MHL_NO_HISTORY')
  )
}

/** The exit code of a command that failed as a whole with `err`. */
export function exitForError(err: { code?: unknown }): number {
  if (err.code === 'E_ABORTED') return EXIT.ABORTED
  if (typeof err.code === 'string' && USAGE_CODES.has(err.code)) return EXIT.USAGE
  return EXIT.INTEGRITY
}

/** The exit code of a command that went through items, some of which failed: 0, 3, or 1 when a check failed. */
export function exitForItems(failures: ReadonlyArray<{ code?: unknown }>): number {
  if (failures.length === 0) return EXIT.OK
  return failures.some(isCheckFailure) ? EXIT.INTEGRITY : EXIT.COMPLETED_WITH_ERRORS
}
