/**
 * A file's bytes a piece at a time, read into one buffer that every piece reuses: for
 * copying what a run just wrote (a manifest, a record's `files` list) into another file
 * through {@link writeChunksDurably}, which takes each piece before it asks for the next.
 * A stream would hand over a new 64 KiB buffer per piece, all of them external memory
 * until a collection: ~10 MiB at once for a 20,000-file record (issue #18).
 * @internal
 * @module
 */
import { open } from 'node:fs/promises'

/** Bytes read at a time. */
const PIECE = 256 * 1024

/**
 * Bytes `start` to `end` (default: to the end of the file) of `path`, in pieces that
 * are valid only until the next one is asked for. Ends early if the file is shorter.
 */
export async function* readPieces(path: string, start = 0, end = Infinity): AsyncGenerator<Buffer> {
  const fh = await open(path, 'r')
  try {
    const buf = Buffer.allocUnsafe(PIECE)
    for (let at = start; at < end;) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(PIECE, end - at), at)
      if (bytesRead === 0) return
      at += bytesRead
      yield buf.subarray(0, bytesRead)
    }
  } finally {
    await fh.close()
  }
}
