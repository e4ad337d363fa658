/**
 * Durable writes: a file appears under its final name only whole and on disk (write to a
 * temporary name in the same folder, fsync, rename, fsync the folder). One place for the
 * steps that the store, the ingest records and the offload report all need.
 * @internal
 * @module
 */
import { randomBytes } from 'node:crypto'
import { open, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

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

/** fsyncs a folder, so that a rename inside it survives a crash. */
export async function syncFolder(dir: string): Promise<void> {
  const dh = await open(dir, 'r')
  try {
    await dh.sync()
  } finally {
    await dh.close()
  }
}

/** Writes `path` durably through a temporary name beside it (replacing an existing file). */
export async function writeFileDurably(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path)
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  await writeSynced(temp, data)
  try {
    await rename(temp, path)
  } catch (err) {
    await rm(temp, { force: true })
    throw err
  }
  await syncFolder(dir)
}
