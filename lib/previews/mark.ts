/**
 * How a preview is told from an original: every JPEG that makePreviews writes carries a
 * JPEG comment (COM segment) starting with {@link PREVIEW_MARK}, placed right after the
 * APPn segments. Cameras and editors never write it, so an original is never mistaken for
 * a preview; the share layer refuses, at creation and again on every request, to serve a
 * file without it under preview scope. ExifTool shows it as `Comment`.
 * @module
 */
import type { FileHandle } from 'node:fs/promises'

/** The first bytes of the comment every generated preview carries. */
export const PREVIEW_MARK = 'shutterproof-preview/1'

const COMMENT = `${PREVIEW_MARK} a downscaled copy without private metadata; not the original`
/** How much of a file is read to find the mark: the APPn segments before it are small (ICC, a short EXIF). */
const HEAD_BYTES = 128 * 1024

/**
 * Where the APPn (and comment) segments after SOI end (the offset of the next marker), or
 * -1 when the bytes are not a JPEG. `visit` sees each segment's marker and the bounds of
 * its data, and may stop the walk (returning true), which then returns that segment's offset.
 */
export function afterAppSegments(
  jpeg: Uint8Array,
  visit?: (marker: number, start: number, end: number) => boolean,
): number {
  if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) return -1
  let i = 2
  while (i + 4 <= jpeg.length && jpeg[i] === 0xff) {
    const marker = jpeg[i + 1]!
    if (!((marker >= 0xe0 && marker <= 0xef) || marker === 0xfe)) break
    const length = (jpeg[i + 2]! << 8) | jpeg[i + 3]!
    if (length < 2) return -1
    if (visit?.(marker, i + 4, Math.min(jpeg.length, i + 2 + length))) return i
    i += 2 + length
  }
  return i
}

/**
 * A JPEG with the preview comment inserted after its APPn segments, and before it the
 * whole segments given (e.g. an ICC profile's APP2).
 */
export function withPreviewMark(jpeg: Buffer, ...segments: Buffer[]): Buffer {
  const at = afterAppSegments(jpeg)
  if (at < 0) throw new Error('withPreviewMark: not a JPEG')
  const text = Buffer.from(COMMENT, 'latin1')
  const header = Buffer.alloc(4)
  header.writeUInt16BE(0xfffe, 0)
  header.writeUInt16BE(text.length + 2, 2)
  return Buffer.concat([jpeg.subarray(0, at), ...segments, header, text, jpeg.subarray(at)])
}

/** Whether these first bytes of a file are a JPEG that carries the preview comment. */
export function hasPreviewMark(head: Uint8Array): boolean {
  let found = false
  const mark = Buffer.from(PREVIEW_MARK, 'latin1')
  afterAppSegments(head, (marker, start, end) => {
    found =
      marker === 0xfe &&
      end - start >= mark.length &&
      Buffer.from(head.buffer, head.byteOffset + start, mark.length).equals(mark)
    return found
  })
  return found
}

/** Whether an open file is a preview made by Shutterproof (reads its first bytes, positionally). */
export async function isMarkedPreview(handle: FileHandle): Promise<boolean> {
  const head = Buffer.alloc(HEAD_BYTES)
  const { bytesRead } = await handle.read(head, 0, HEAD_BYTES, 0)
  return hasPreviewMark(head.subarray(0, bytesRead))
}
