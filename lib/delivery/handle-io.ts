/**
 * Streams over an open `FileHandle` that leave closing to their owner. (Node's
 * `handle.createReadStream({ autoClose: false })` keeps a reference on the handle, and a
 * later `handle.close()` then waits forever.)
 * @internal
 * @module
 */
import type { FileHandle } from 'node:fs/promises'
import { Readable, Writable } from 'node:stream'

const READ_SIZE = 256 * 1024

/**
 * The first `size` bytes of the file, in fresh buffers; stops early (with fewer bytes)
 * when the file shrank, so the reader can notice.
 */
export function readPrefix(handle: FileHandle, size: number): Readable {
  async function* chunks() {
    for (let position = 0; position < size;) {
      const buffer = Buffer.allocUnsafe(Math.min(READ_SIZE, size - position))
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position)
      if (bytesRead === 0) return
      position += bytesRead
      yield buffer.subarray(0, bytesRead)
    }
  }
  return Readable.from(chunks(), { objectMode: false })
}

/** A Writable that appends to the handle's file; the caller syncs and closes. */
export function handleSink(handle: FileHandle): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      writeAll(handle, chunk).then(() => callback(), callback)
    },
  })
}

/** Writes every byte of `chunk` at the handle's current position. */
export async function writeAll(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  for (let offset = 0; offset < chunk.length;) offset += (await handle.write(chunk, offset)).bytesWritten
}
