/**
 * A small but real DNG for the demo, the tests and the benchmark (no camera file can be
 * shipped): IFD0 is the embedded preview (a baseline JPEG made by sharp, NewSubFileType 1,
 * JPEG compression), its SubIFD the raw sensor data (16-bit RGGB Bayer mosaic, 12 bits
 * used, uncompressed), with the DNG tags a reader needs (DNGVersion, UniqueCameraModel,
 * ColorMatrix1, CFA pattern, white level). ExifTool sees the preview as `PreviewImage`;
 * camera metadata (GPS, serial numbers, …) is added afterwards with ExifTool.
 *
 * Only the TIFF container is written here (a header and two IFDs), following the
 * TIFF 6.0 and DNG 1.4 specifications; the pixels come from sharp.
 * @internal
 * @module
 */

/** What goes into the DNG. */
export interface DngParts {
  /** The embedded preview, a baseline JPEG. */
  preview: Buffer
  previewWidth: number
  previewHeight: number
  /** RGGB mosaic, one 12-bit value per photosite, row by row. */
  mosaic: Uint16Array
  width: number
  height: number
  /** EXIF orientation (1–8) of the whole picture. */
  orientation: number
  make: string
  model: string
}

const BYTE = 1
const ASCII = 2
const SHORT = 3
const LONG = 4
const SRATIONAL = 10
const TYPE_SIZE: Record<number, number> = { [BYTE]: 1, [ASCII]: 1, [SHORT]: 2, [LONG]: 4, [SRATIONAL]: 8 }

interface Entry {
  tag: number
  type: number
  values: number[] | string
}

function count(e: Entry): number {
  return typeof e.values === 'string'
    ? Buffer.byteLength(e.values, 'latin1') + 1
    : e.type === SRATIONAL
      ? e.values.length / 2
      : e.values.length
}

function dataSize(e: Entry): number {
  return count(e) * TYPE_SIZE[e.type]!
}

/** Bytes of an IFD (entries, next-IFD pointer 0, then values over 4 bytes), to be placed at `at`. */
function encodeIfd(entries: Entry[], at: number): Buffer {
  const sorted = [...entries].sort((a, b) => a.tag - b.tag)
  const head = 2 + 12 * sorted.length + 4
  const extra = sorted.reduce((n, e) => n + (dataSize(e) > 4 ? dataSize(e) + (dataSize(e) & 1) : 0), 0)
  const buf = Buffer.alloc(head + extra)
  buf.writeUInt16LE(sorted.length, 0)
  let spill = head
  sorted.forEach((e, i) => {
    const o = 2 + 12 * i
    buf.writeUInt16LE(e.tag, o)
    buf.writeUInt16LE(e.type, o + 2)
    buf.writeUInt32LE(count(e), o + 4)
    let target = o + 8
    if (dataSize(e) > 4) {
      buf.writeUInt32LE(at + spill, o + 8)
      target = spill
      spill += dataSize(e) + (dataSize(e) & 1)
    }
    if (typeof e.values === 'string') buf.write(e.values, target, 'latin1')
    else
      e.values.forEach((v, k) => {
        if (e.type === BYTE) buf.writeUInt8(v, target + k)
        else if (e.type === SHORT) buf.writeUInt16LE(v, target + 2 * k)
        else if (e.type === LONG) buf.writeUInt32LE(v, target + 4 * k)
        else buf.writeInt32LE(v, target + 4 * k)
      })
  })
  return buf
}

/** The DNG file's bytes. */
export function encodeDng(p: DngParts): Buffer {
  if (p.mosaic.length !== p.width * p.height)
    throw new Error('encodeDng: mosaic size does not match width × height')
  const mosaicBytes = p.width * p.height * 2
  // sRGB → camera matrix of a plain sRGB-like camera (XYZ D65 → linear sRGB), ×10000.
  const colorMatrix = [32406, -15372, -4986, -9689, 18758, 415, 557, -2040, 10570].flatMap((v) => [v, 10000])
  const ifd0 = (subIfd: number, previewAt: number): Entry[] => [
    { tag: 254, type: LONG, values: [1] },
    { tag: 256, type: LONG, values: [p.previewWidth] },
    { tag: 257, type: LONG, values: [p.previewHeight] },
    { tag: 258, type: SHORT, values: [8, 8, 8] },
    { tag: 259, type: SHORT, values: [7] },
    { tag: 262, type: SHORT, values: [6] },
    { tag: 271, type: ASCII, values: p.make },
    { tag: 272, type: ASCII, values: p.model },
    { tag: 273, type: LONG, values: [previewAt] },
    { tag: 274, type: SHORT, values: [p.orientation] },
    { tag: 277, type: SHORT, values: [3] },
    { tag: 278, type: LONG, values: [p.previewHeight] },
    { tag: 279, type: LONG, values: [p.preview.length] },
    { tag: 284, type: SHORT, values: [1] },
    { tag: 305, type: ASCII, values: 'Shutterproof demo' },
    { tag: 330, type: LONG, values: [subIfd] },
    { tag: 50706, type: BYTE, values: [1, 4, 0, 0] },
    { tag: 50707, type: BYTE, values: [1, 1, 0, 0] },
    { tag: 50708, type: ASCII, values: `${p.make} ${p.model}` },
    { tag: 50721, type: SRATIONAL, values: colorMatrix },
    { tag: 50778, type: SHORT, values: [21] },
  ]
  const raw = (mosaicAt: number): Entry[] => [
    { tag: 254, type: LONG, values: [0] },
    { tag: 256, type: LONG, values: [p.width] },
    { tag: 257, type: LONG, values: [p.height] },
    { tag: 258, type: SHORT, values: [16] },
    { tag: 259, type: SHORT, values: [1] },
    { tag: 262, type: SHORT, values: [32803] },
    { tag: 273, type: LONG, values: [mosaicAt] },
    { tag: 277, type: SHORT, values: [1] },
    { tag: 278, type: LONG, values: [p.height] },
    { tag: 279, type: LONG, values: [mosaicBytes] },
    { tag: 284, type: SHORT, values: [1] },
    { tag: 33421, type: SHORT, values: [2, 2] },
    { tag: 33422, type: BYTE, values: [0, 1, 1, 2] },
    { tag: 50717, type: LONG, values: [4095] },
  ]
  // Sizes do not depend on the offsets, so lay out once with zeros, then for real.
  const ifd0At = 8
  const rawAt = ifd0At + encodeIfd(ifd0(0, 0), ifd0At).length
  const previewAt = rawAt + encodeIfd(raw(0), rawAt).length
  const mosaicAt = previewAt + p.preview.length + (p.preview.length & 1)
  const header = Buffer.from([0x49, 0x49, 42, 0, ifd0At, 0, 0, 0])
  const mosaic = Buffer.from(p.mosaic.buffer, p.mosaic.byteOffset, mosaicBytes)
  const pad = Buffer.alloc(p.preview.length & 1)
  // The mosaic's bytes are taken as they are in memory: little-endian, like the header says.
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1)
    throw new Error('encodeDng needs a little-endian machine')
  return Buffer.concat([
    header,
    encodeIfd(ifd0(rawAt, previewAt), ifd0At),
    encodeIfd(raw(mosaicAt), rawAt),
    p.preview,
    pad,
    mosaic,
  ])
}
