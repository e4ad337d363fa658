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

/** What {@link writeChunksDurably} writes: text pieces (UTF-8) or bytes, in order. */
export type Chunks = Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>

/** Bytes gathered before each write: large enough for few syscalls, small enough to stay flat. */
const WRITE_BATCH = 256 * 1024
/** Room past a batch in the write buffer, so that most pieces fit before it is written. */
const BATCH_SLACK = 64 * 1024

/**
 * Writes `chunks` to a new file `temp` (never an existing one) and fsyncs it; removes it
 * on failure. Pieces are joined into batches of about 256 KiB, so a report of any size
 * never needs more memory than one batch. `onBytes` sees every batch as written (for a
 * digest computed on the way), in a buffer reused for the next batch: read it during the
 * call, never keep it. Each piece is taken (copied or written) before the next is asked
 * for, so a source may hand over pieces that reuse one buffer (./read-pieces.ts).
 */
export async function writeChunksSynced(
  temp: string,
  chunks: Chunks,
  onBytes?: (bytes: Buffer) => void,
): Promise<void> {
  const fh = await open(temp, 'wx')
  try {
    // One buffer for the whole file, filled and written a batch at a time: no Buffer per
    // piece and no concatenation (a record of 2,000 files is ~2,000 pieces; issue #18).
    const buf = Buffer.allocUnsafe(WRITE_BATCH + BATCH_SLACK)
    let used = 0
    const write = async (bytes: Uint8Array, length: number) => {
      const view = Buffer.from(bytes.buffer, bytes.byteOffset, length)
      onBytes?.(view)
      for (let at = 0; at < length;) at += (await fh.write(view, at, length - at)).bytesWritten
    }
    for await (const c of chunks) {
      // At most 3 bytes of UTF-8 per UTF-16 unit (a surrogate pair: 4 for 2).
      const most = typeof c === 'string' ? c.length * 3 : c.length
      if (most > buf.length - used && used > 0) {
        await write(buf, used)
        used = 0
      }
      if (most > buf.length) {
        // A piece larger than the buffer goes on its own.
        const bytes = typeof c === 'string' ? Buffer.from(c, 'utf8') : c
        await write(bytes, bytes.length)
        continue
      }
      used += typeof c === 'string' ? buf.write(c, used, 'utf8') : (buf.set(c, used), c.length)
      if (used >= WRITE_BATCH) {
        await write(buf, used)
        used = 0
      }
    }
    if (used > 0) await write(buf, used)
    await fh.sync()
  } catch (err) {
    await fh.close().catch(() => {})
    await rm(temp, { force: true })
    throw err
  }
  await fh.close()
}

/** Renames a synced `temp` to `path` and fsyncs the folder; removes `temp` if the rename fails. */
export async function publish(temp: string, path: string): Promise<void> {
  try {
    await rename(temp, path)
  } catch (err) {
    await rm(temp, { force: true })
    throw err
  }
  await syncFolder(dirname(path))
}

/**
 * Writes `path` durably from `chunks` (see {@link writeChunksSynced}) through a temporary
 * name beside it, replacing an existing file: for reports and manifests that grow with
 * the number of files and are never held whole in memory.
 */
export async function writeChunksDurably(
  path: string,
  chunks: Chunks,
  onBytes?: (bytes: Buffer) => void,
): Promise<void> {
  const temp = tempNameFor(path)
  await writeChunksSynced(temp, chunks, onBytes)
  await publish(temp, path)
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
