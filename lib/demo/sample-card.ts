/**
 * A realistic sample memory card for the demo: a DCIM tree of real pictures made on the
 * spot — RAW+JPEG pairs of one scene each (a DNG with an embedded preview and a sensor
 * mosaic, and a camera JPEG), both carrying GPS, serial numbers and the owner's name,
 * every other one shot upright (EXIF orientation 6) — XMP sidecars and one large video
 * file (random bytes: no player needs to open it).
 * @internal
 * @module
 */
import { randomFillSync } from 'node:crypto'
import { closeSync, mkdirSync, openSync, statSync, utimesSync, writeSync } from 'node:fs'
import { join } from 'node:path'

import { ExifTool } from 'exiftool-vendored'

import { scene, writeSampleDng, writeSampleJpeg } from './pictures'

const MiB = 1024 * 1024

/** What was written, for the summary. */
export interface SampleCard {
  root: string
  files: number
  bytes: number
  /** Card-relative paths of the JPEGs. */
  jpegs: string[]
  /** Card-relative paths of the RAW files (DNG, each with an embedded preview). */
  raws: string[]
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
 * Writes a card of about `totalBytes`: a quarter in one video file, the rest in 6 to 12
 * RAW+JPEG+XMP triples whose RAW sensor mosaics grow with the size (a 1 GiB card has 8
 * photos with 45-megapixel mosaics, like a current full-frame camera).
 */
export async function writeSampleCard(root: string, totalBytes: number): Promise<SampleCard> {
  const videoSize = Math.round(totalBytes / 4)
  const photos = Math.min(12, Math.max(6, Math.round(totalBytes / (128 * MiB))))
  // The JPEGs are about 2 MB each; the RAW files take the rest of the budget.
  const rawBytes = Math.max(512 * 1024, Math.floor((totalBytes - videoSize) / photos) - 2 * MiB)
  const photosites = rawBytes / 2
  const mosaicHeight = Math.max(200, Math.round(Math.sqrt(photosites / 1.5) / 2) * 2)
  const mosaicWidth = Math.max(300, Math.round(photosites / mosaicHeight / 2) * 2)
  const dcim = join(root, 'DCIM', '100CANON')
  mkdirSync(dcim, { recursive: true })
  mkdirSync(join(root, 'PRIVATE', 'M4ROOT', 'CLIP'), { recursive: true })
  const shotAt = new Date('2026-04-26T14:00:00Z').getTime()
  const card: SampleCard = { root, files: 0, bytes: 0, jpegs: [], raws: [] }
  const et = new ExifTool({ maxProcs: 2 })
  try {
    const one = async (i: number) => {
      const name = `IMG_${String(i).padStart(4, '0')}`
      const when = new Date(shotAt + i * 7000)
      // Every other photo is a portrait shot: the camera stores it sideways, orientation 6.
      const orientation = i % 2 === 0 ? 6 : 1
      const [width, height] = orientation === 6 ? [2000, 3000] : [3000, 2000]
      const picture = await scene(i, width, height)
      const sample = { index: i, width, height, orientation, scene: picture }
      await writeSampleDng(et, join(dcim, `${name}.DNG`), {
        ...sample,
        mosaicWidth: orientation === 6 ? mosaicHeight : mosaicWidth,
        mosaicHeight: orientation === 6 ? mosaicWidth : mosaicHeight,
        previewLongEdge: 1620,
      })
      await writeSampleJpeg(et, join(dcim, `${name}.JPG`), sample)
      const xmp = Buffer.from(
        `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><!-- rating ${i % 5} --></rdf:RDF></x:xmpmeta>\n`,
      )
      const fd = openSync(join(dcim, `${name}.xmp`), 'w')
      writeSync(fd, xmp)
      closeSync(fd)
      for (const ext of ['DNG', 'JPG', 'xmp']) {
        utimesSync(join(dcim, `${name}.${ext}`), when, when)
        card.bytes += statSync(join(dcim, `${name}.${ext}`)).size
      }
      card.raws.push(`DCIM/100CANON/${name}.DNG`)
      card.jpegs.push(`DCIM/100CANON/${name}.JPG`)
      card.files += 3
    }
    // Two at a time: drawing and encoding keep both cores busy.
    for (let i = 1; i <= photos; i += 2) await Promise.all([one(i), ...(i + 1 <= photos ? [one(i + 1)] : [])])
  } finally {
    await et.end()
  }
  card.raws.sort()
  card.jpegs.sort()
  randomFile(
    join(root, 'PRIVATE', 'M4ROOT', 'CLIP', 'C0001.MP4'),
    videoSize,
    Buffer.alloc(4 * MiB),
    new Date(shotAt + 3_600_000),
  )
  card.bytes += videoSize
  card.files += 1
  return card
}
