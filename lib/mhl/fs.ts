/**
 * Durable small-file writes for ASC MHL histories: temporary name, fsync, rename, fsync
 * of the folder, and Node file-system errors turned into typed ones.
 * @internal
 * @module
 */
import { randomBytes } from 'node:crypto'
import { open, rename, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

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

/** A Node file-system error as a {@link FileSystemError} naming `path`. */
export function toFsError(err: unknown, path: string, doing: string): ShutterproofError {
  if (err instanceof ShutterproofError) return err
  const nodeCode = (err as { code?: unknown })?.code
  const code = (typeof nodeCode === 'string' && CODES[nodeCode]) || 'E_IO'
  const reason = err instanceof Error ? err.message : String(err)
  return new FileSystemError(code, `Could not ${doing} ${path}: ${reason}`, { path, cause: err })
}

/** Flushes a folder's entries (renames) to disk; a no-op where folders cannot be fsynced. */
export async function fsyncDir(dir: string): Promise<void> {
  let handle
  try {
    handle = await open(dir, 'r')
    await handle.sync()
  } catch (err) {
    const code = (err as { code?: string }).code
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EBADF') throw toFsError(err, dir, 'flush folder')
  } finally {
    await handle?.close()
  }
}

/** A temporary name next to `path` that no ASC MHL reader mistakes for a manifest. */
export function tempNameFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`)
}

/** Writes `data` under a temporary name and fsyncs it; returns that name. */
export async function writeTemp(path: string, data: Uint8Array): Promise<string> {
  const temp = tempNameFor(path)
  let handle
  try {
    handle = await open(temp, 'wx')
    await handle.writeFile(data)
    await handle.sync()
    await handle.close()
    handle = undefined
    return temp
  } catch (err) {
    await handle?.close().catch(() => {})
    await unlink(temp).catch(() => {})
    throw toFsError(err, path, 'write')
  }
}

/** Renames a fsynced temporary file over `path` and flushes the folder. */
export async function commitTemp(temp: string, path: string): Promise<void> {
  try {
    await rename(temp, path)
  } catch (err) {
    await unlink(temp).catch(() => {})
    throw toFsError(err, path, 'rename a temporary file to')
  }
  await fsyncDir(dirname(path))
}
