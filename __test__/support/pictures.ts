/** Picture fixtures: camera-like JPEGs and DNGs made at run time, and what ExifTool (Debian's) reads back. */
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

import { ExifTool } from 'exiftool-vendored'
import sharp from 'sharp'

import { writeSampleDng, writeSampleJpeg } from '../../lib/demo/pictures'
import { makePreviews } from '../../lib/previews/run'
import { hasTool, tempDir } from './fixtures'

/** Debian's `exiftool` (libimage-exiftool-perl), the independent reader the privacy checks use. */
export const exiftoolOk = hasTool('exiftool')
if (!exiftoolOk)
  console.warn(
    '\n!!! SKIPPED: Debian exiftool (libimage-exiftool-perl) is absent: the privacy checks of previews are skipped (scripts/install-test-tools.sh installs it)\n',
  )

/** Every tag ExifTool finds, as `Group:Tag` → value (`-a -G1`, numbers as numbers). */
export function exifTags(path: string): Record<string, unknown> {
  const r = spawnSync('exiftool', ['-j', '-a', '-G1', '-n', '--System:all', path], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  })
  if (r.status !== 0) throw new Error(`exiftool ${path}: ${r.stderr}`)
  return (JSON.parse(r.stdout) as Array<Record<string, unknown>>)[0]!
}

/** Tag names (without group) that must never reach a client. */
export const PRIVATE_TAG =
  /GPS|Serial|Owner|Artist|Copyright|Creator|Rights|MakerNote|^Location|City|Sub-location|Country|State|ThumbnailImage|PreviewImage|Orientation|DateTimeOriginal|Make$|Model$|XMP|IPTC/i

/** The private tags ExifTool finds in a file (`Group:Tag` names). */
export function privateTags(path: string): string[] {
  return Object.keys(exifTags(path)).filter((k) => {
    const [group, name] = k.includes(':') ? k.split(':', 2) : ['', k]
    // The sRGB ICC profile names its own licence (ProfileCopyright: CC0) and device model.
    if (/^ICC/.test(group!)) return false
    return PRIVATE_TAG.test(name!) || /^(GPS|XMP|IPTC|MakerNotes|Canon|Nikon|Photoshop)/i.test(group!)
  })
}

let tool: ExifTool | undefined
/** One ExifTool (npm) for writing fixtures; ended when the process exits. */
export function fixtureExifTool(): ExifTool {
  if (!tool) {
    tool = new ExifTool({ maxProcs: 1 })
    const t = tool
    process.on('beforeExit', () => void t.end())
  }
  return tool
}

/** Ends the fixture ExifTool (uvu suites call it in their last `after`). */
export async function endFixtureExifTool(): Promise<void> {
  await tool?.end()
  tool = undefined
}

/** A camera-like JPEG (GPS, serials, owner, IPTC/XMP location, EXIF thumbnail), stored sideways with `orientation`. */
export async function cameraJpeg(
  path: string,
  o: { index?: number; width?: number; height?: number; orientation?: number } = {},
): Promise<string> {
  mkdirSync(dirname(path), { recursive: true })
  await writeSampleJpeg(fixtureExifTool(), path, {
    index: o.index ?? 1,
    width: o.width ?? 3000,
    height: o.height ?? 2000,
    orientation: o.orientation ?? 6,
  })
  return path
}

/** A DNG with an embedded preview of `width` × `height` and the same private tags. */
export async function cameraDng(
  path: string,
  o: { index?: number; width?: number; height?: number; orientation?: number } = {},
): Promise<string> {
  mkdirSync(dirname(path), { recursive: true })
  await writeSampleDng(fixtureExifTool(), path, {
    index: o.index ?? 2,
    width: o.width ?? 2400,
    height: o.height ?? 1600,
    orientation: o.orientation ?? 6,
    mosaicWidth: 600,
    mosaicHeight: 400,
  })
  return path
}

/** Mean R, G, B of a region of a picture (fractions of its size). */
export async function meanColour(
  input: string | Buffer,
  region: { left: number; top: number; width: number; height: number },
): Promise<[number, number, number]> {
  const img = sharp(input)
  const { width, height } = await img.metadata()
  const box = {
    left: Math.floor(region.left * width!),
    top: Math.floor(region.top * height!),
    width: Math.max(1, Math.floor(region.width * width!)),
    height: Math.max(1, Math.floor(region.height * height!)),
  }
  // stats() reads the input, not the pipeline: cut the region out first.
  const stats = await sharp(await sharp(input).extract(box).png().toBuffer()).stats()
  return [stats.channels[0]!.mean, stats.channels[1]!.mean, stats.channels[2]!.mean]
}

/** A session folder path inside `root`. */
export function sessionIn(root: string, name = '2026-04-26_Ada_Portraits'): string {
  const s = join(root, name)
  mkdirSync(s, { recursive: true })
  return s
}

const previewCache = new Map<string, Promise<Buffer>>()
/**
 * The bytes of a real preview made by makePreviews (of a plain `width` × `height` picture
 * of colour `colour`), for share tests that need previews at given paths; made once per
 * process and colour.
 */
export function generatedPreview(colour = '#4a7bb7', width = 800, height = 600): Promise<Buffer> {
  const key = `${colour} ${width}x${height}`
  let p = previewCache.get(key)
  if (!p) {
    p = (async () => {
      const s = sessionIn(tempDir('sp-preview-bytes-'))
      await sharp({ create: { width, height, channels: 3, background: colour } })
        .jpeg()
        .toFile(join(s, 'photo.jpg'))
      const r = await makePreviews(s)
      return readFileSync(r.items[0]!.preview!)
    })()
    previewCache.set(key, p)
  }
  return p
}
