/**
 * A realistic sample memory card for the demo: a DCIM tree of RAW-sized and JPEG-sized
 * files of random content, XMP sidecars and one large video file.
 * @internal
 * @module
 */
import { randomFillSync } from 'node:crypto'
import { closeSync, mkdirSync, openSync, utimesSync, writeSync } from 'node:fs'
import { join } from 'node:path'

const MiB = 1024 * 1024

/** What was written, for the summary. */
export interface SampleCard {
  root: string
  files: number
  bytes: number
  /** Card-relative paths of the JPEGs (the demo shares them as previews). */
  jpegs: string[]
}

function randomFile(path: string, size: number, block: Buffer, mtime: Date): void {
  const fd = openSync(path, 'w')
  try {
    for (let done = 0; done < size; done += block.length) {
      randomFillSync(block)
      writeSync(fd, block, 0, Math.min(block.length, size - done))
    }
  } finally {
    closeSync(fd)
  }
  utimesSync(path, mtime, mtime)
}

/** Parses DEMO_SIZE (`64MiB`, `1GiB`, `500MB`, bytes) — default about 1 GiB. */
export function parseDemoSize(text: string | undefined): number {
  if (!text) return 1024 * MiB
  const m = /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|KB|MB|GB|K|M|G)?$/i.exec(text.trim())
  if (!m) throw new Error(`DEMO_SIZE=${text}: use a size such as 64MiB or 1GiB`)
  const unit = (m[2] ?? 'B').toUpperCase()
  const mult = unit.startsWith('G') ? 1024 ** 3 : unit.startsWith('M') ? MiB : unit.startsWith('K') ? 1024 : 1
  return Math.max(8 * MiB, Math.round(Number(m[1]) * mult))
}

/**
 * Writes a card of about `totalBytes`: a quarter in one video file, the rest in
 * RAW (about 25 MB) + JPEG (about 8 MB) + XMP triples, shrunk proportionally for small sizes.
 */
export function writeSampleCard(root: string, totalBytes: number): SampleCard {
  const scale = Math.min(1, totalBytes / (1024 * MiB))
  const rawSize = Math.max(256 * 1024, Math.round(25 * MiB * scale))
  const jpegSize = Math.max(64 * 1024, Math.round(8 * MiB * scale))
  const videoSize = Math.round(totalBytes / 4)
  const photos = Math.max(2, Math.floor((totalBytes - videoSize) / (rawSize + jpegSize)))
  const dcim = join(root, 'DCIM', '100CANON')
  mkdirSync(dcim, { recursive: true })
  mkdirSync(join(root, 'PRIVATE', 'M4ROOT', 'CLIP'), { recursive: true })
  const block = Buffer.alloc(4 * MiB)
  const shotAt = new Date('2026-04-26T14:00:00Z').getTime()
  const jpegs: string[] = []
  let bytes = 0
  for (let i = 1; i <= photos; i++) {
    const name = `IMG_${String(i).padStart(4, '0')}`
    const when = new Date(shotAt + i * 7000)
    randomFile(join(dcim, `${name}.CR3`), rawSize, block, when)
    randomFile(join(dcim, `${name}.JPG`), jpegSize, block, when)
    const xmp = Buffer.from(`<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><!-- rating ${i % 5} --></rdf:RDF></x:xmpmeta>\n`)
    const fd = openSync(join(dcim, `${name}.xmp`), 'w')
    writeSync(fd, xmp)
    closeSync(fd)
    jpegs.push(`DCIM/100CANON/${name}.JPG`)
    bytes += rawSize + jpegSize + xmp.length
  }
  randomFile(join(root, 'PRIVATE', 'M4ROOT', 'CLIP', 'C0001.MP4'), videoSize, block, new Date(shotAt + 3_600_000))
  bytes += videoSize
  return { root, files: photos * 3 + 1, bytes, jpegs }
}
