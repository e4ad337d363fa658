/**
 * Node file-system errors turned into typed Shutterproof errors that name the path.
 * @internal
 * @module
 */
import { type ErrorCode, FileSystemError, ShutterproofError } from '../errors'

const CODES: Record<string, ErrorCode> = {
  ENOENT: 'ENOENT',
  ENOTDIR: 'ENOENT',
  EISDIR: 'EISDIR',
  EACCES: 'EACCES',
  EPERM: 'EACCES',
  ENOSPC: 'E_NO_SPACE',
  EDQUOT: 'E_NO_SPACE',
  EROFS: 'E_READ_ONLY',
}

/** A Node file-system error as a {@link FileSystemError} naming `path` (typed errors pass through). */
export function toFsError(err: unknown, path: string, doing: string): ShutterproofError {
  if (err instanceof ShutterproofError) return err
  const nodeCode = (err as { code?: unknown })?.code
  const code = (typeof nodeCode === 'string' && CODES[nodeCode]) || 'E_IO'
  const reason = err instanceof Error ? err.message : String(err)
  return new FileSystemError(code, `Could not ${doing} ${path}: ${reason}`, { path, cause: err })
}
