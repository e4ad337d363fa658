/**
 * Durable writes: a file appears under its final name only whole and on disk (write to a
 * temporary name in the same folder, fsync, rename, fsync the folder). One place for the
 * steps that the store, the ingest records, the offload report, ASC MHL histories and
 * deliveries all need.
 * @internal
 * @module
 */
import { randomBytes } from 'node:crypto'
import { open, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

import { toFsError } from './errors'

/** Writes `data` to a new file `temp` (never an existing one) and fsyncs it; removes it on failure. */
export async function writeSynced(temp: string, data: string | Uint8Array): Promise<void> {
  const fh = await open(temp, 'wx')
  try {
    await fh.writeFile(data)
    await fh.sync()
  } catch (err) {
    await fh.close().catch(() => {})
    await rm(temp, { force: true })
    throw err
  }
  await fh.close()
}

/**
 * fsyncs a folder, so that a rename inside it survives a crash; a no-op where folders
 * cannot be fsynced. Other failures are typed errors naming the folder.
 */
export async function syncFolder(dir: string): Promise<void> {
  let handle
  try {
    handle = await open(dir, 'r')
    await handle.sync()
  } catch (err) {
    const code = (err as { code?: string }).code
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EBADF')
      throw toFsError(err, dir, 'flush folder')
  } finally {
    await handle?.close()
  }
}

/** A hidden temporary name beside `path` that no reader mistakes for the file itself. */
export function tempNameFor(path: string, suffix = '.tmp'): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(4).toString('hex')}${suffix}`)
}

/** Writes `path` durably through a temporary name beside it (replacing an existing file). */
export async function writeFileDurably(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path)
  const temp = tempNameFor(path)
  await writeSynced(temp, data)
  try {
    await rename(temp, path)
  } catch (err) {
    await rm(temp, { force: true })
    throw err
  }
  await syncFolder(dir)
}
