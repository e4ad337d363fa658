/**
 * RAW files: the JPEGs the camera embedded (no demosaicing), found by ExifTool in one
 * call per file (exiftool-vendored keeps a few `-stay_open` ExifTool processes, so a file
 * costs no Perl start-up) and read from their byte ranges, or extracted by ExifTool. The embedded JPEG carries no orientation
 * of its own: the RAW's `Orientation` is returned beside it. Also reads the owner tags
 * `keep: ['copyright']` keeps.
 * @module
 */
import { open } from 'node:fs/promises'

import type { ExifTool } from 'exiftool-vendored'

import { PreviewError } from '../errors'
import { exiftoolVendored } from './libs'
import type { KeptTags } from './render'

/** The embedded images ExifTool can extract, in the order tried when sizes tie. */
const IMAGE_TAGS = ['JpgFromRaw', 'PreviewImage', 'OtherImage', 'ThumbnailImage'] as const
/** Smaller "images" are placeholders (cameras and stripped test files write a few bytes). */
const MIN_JPEG_BYTES = 128

/** An embedded JPEG of a RAW file, read on demand (its bytes are fetched only when tried). */
export interface EmbeddedImage {
  tag: (typeof IMAGE_TAGS)[number]
  /** Its size in bytes, as ExifTool reports it. */
  length: number
  jpeg(): Promise<Buffer>
}

/** What a RAW file holds: its orientation and its embedded JPEGs, largest first. */
export interface RawContents {
  orientation: number
  images: EmbeddedImage[]
}

/** A pool of ExifTool processes for one run, started on first use. */
export class ExifToolPool {
  #tool: ExifTool | undefined
  readonly #procs: number

  constructor(procs: number) {
    this.#procs = Math.max(1, procs)
  }

  get tool(): ExifTool {
    this.#tool ??= new (exiftoolVendored().ExifTool)({ maxProcs: this.#procs, taskTimeoutMillis: 120_000 })
    return this.#tool
  }

  /** Stops the processes (if any were started). */
  async end(): Promise<void> {
    await this.#tool?.end()
    this.#tool = undefined
  }
}

/**
 * Where each embedded image's bytes lie, when ExifTool can say: `<Tag>Start`/`<Tag>Length`
 * (the thumbnail's are `ThumbnailOffset`/`ThumbnailLength`).
 */
const OFFSET_TAGS: Record<(typeof IMAGE_TAGS)[number], [string, string]> = {
  JpgFromRaw: ['JpgFromRawStart', 'JpgFromRawLength'],
  PreviewImage: ['PreviewImageStart', 'PreviewImageLength'],
  OtherImage: ['OtherImageStart', 'OtherImageLength'],
  ThumbnailImage: ['ThumbnailOffset', 'ThumbnailLength'],
}

/**
 * A RAW file's embedded JPEGs, largest first, and its orientation; or throws
 * `E_CORRUPT_IMAGE` / `E_NO_PREVIEW`. One ExifTool call finds them; an image whose byte
 * range ExifTool reports (TIFF-based RAWs: CR2, NEF, ARW, DNG, …) is then read straight
 * from the file, so only its own bytes are read and nothing is base64-encoded through the
 * pipe; any other (CR3, RW2, RAF, or a range that does not hold a whole JPEG) is
 * extracted by ExifTool itself.
 */
export async function rawContents(et: ExifTool, path: string): Promise<RawContents> {
  const offsetArgs = Object.values(OFFSET_TAGS).flatMap(([start, length]) => [`-${start}`, `-${length}`])
  let tags: Record<string, unknown>
  try {
    tags = (await et.readRaw(path, {
      readArgs: [
        '-n',
        '-FileType',
        '-MIMEType',
        '-Orientation',
        ...IMAGE_TAGS.map((t) => `-${t}`),
        ...offsetArgs,
      ],
    })) as Record<string, unknown>
  } catch (err) {
    throw new PreviewError(
      'E_CORRUPT_IMAGE',
      `${path} could not be read as a RAW file (${(err as Error).message})`,
      { path, cause: err },
    )
  }
  const errors = (tags.errors as string[] | undefined) ?? []
  if (errors.length > 0) {
    throw new PreviewError(
      'E_CORRUPT_IMAGE',
      `${path} is not a readable RAW file (ExifTool: ${errors.join('; ')}); copy it again from the card or a backup`,
      { path },
    )
  }
  // A file named .CR3 that ExifTool reads as text (or anything but an image) is no RAW file at all.
  const mime = typeof tags.MIMEType === 'string' ? tags.MIMEType : ''
  if (!mime.startsWith('image/')) {
    throw new PreviewError(
      'E_CORRUPT_IMAGE',
      `${path} is not a RAW file (ExifTool reads it as ${String(tags.FileType ?? 'an unknown format')}${mime ? `, ${mime}` : ''}); copy it again from the card or a backup`,
      { path },
    )
  }
  const images: EmbeddedImage[] = []
  for (const tag of IMAGE_TAGS) {
    const length = binaryLength(tags[tag])
    if (length === undefined || length < MIN_JPEG_BYTES) continue
    const [startTag, lengthTag] = OFFSET_TAGS[tag]
    const start = Number(tags[startTag])
    const range =
      Number.isSafeInteger(start) && start >= 0 && Number(tags[lengthTag]) === length
        ? { start, length }
        : undefined
    images.push({ tag, length, jpeg: () => embeddedJpeg(et, path, tag, range) })
  }
  images.sort((a, b) => b.length - a.length)
  if (images.length === 0) {
    throw new PreviewError(
      'E_NO_PREVIEW',
      `${path} has no usable embedded preview (the camera wrote none, or only a placeholder); open it in a RAW converter and export a JPEG to preview it`,
      { path },
    )
  }
  const orientation = Number(tags.Orientation)
  return {
    orientation: Number.isInteger(orientation) && orientation >= 1 && orientation <= 8 ? orientation : 1,
    images,
  }
}

/** The size ExifTool gives a binary tag it was not asked to extract: `(Binary data 309540 bytes, use -b option to extract)`. */
function binaryLength(value: unknown): number | undefined {
  const m = typeof value === 'string' ? /^\(Binary data (\d+) bytes/.exec(value) : null
  return m ? Number(m[1]) : undefined
}

/**
 * The bytes of one embedded image: read from its byte range when that holds a whole JPEG
 * (starts with SOI, ends with EOI), else extracted by ExifTool (`-b`).
 */
async function embeddedJpeg(
  et: ExifTool,
  path: string,
  tag: string,
  range: { start: number; length: number } | undefined,
): Promise<Buffer> {
  if (range) {
    const handle = await open(path, 'r')
    try {
      const bytes = Buffer.alloc(range.length)
      const { bytesRead } = await handle.read(bytes, 0, range.length, range.start)
      const whole =
        bytesRead === range.length &&
        bytes[0] === 0xff &&
        bytes[1] === 0xd8 &&
        bytes[range.length - 2] === 0xff &&
        bytes[range.length - 1] === 0xd9
      if (whole) return bytes
    } finally {
      await handle.close()
    }
  }
  const tags = (await et.readRaw(path, { readArgs: ['-b', `-${tag}`] })) as Record<string, unknown>
  const value = tags[tag]
  if (typeof value !== 'string' || !value.startsWith('base64:'))
    throw new PreviewError('E_NO_PREVIEW', `${path}: ExifTool could not extract its ${tag}`, { path })
  return Buffer.from(value.slice('base64:'.length), 'base64')
}

/** Artist/Creator and Copyright/Rights of a file, for `keep: ['copyright']`. */
export async function readOwnerTags(et: ExifTool, path: string): Promise<KeptTags> {
  const tags = (await et.readRaw(path, {
    readArgs: ['-Artist', '-Creator', '-Copyright', '-Rights'],
  })) as Record<string, unknown>
  const text = (v: unknown) =>
    (Array.isArray(v) ? v.join(', ') : typeof v === 'string' || typeof v === 'number' ? String(v) : '').trim()
  const kept: KeptTags = {}
  const artist = text(tags.Artist) || text(tags.Creator)
  const copyright = text(tags.Copyright) || text(tags.Rights)
  if (artist) kept.artist = artist
  if (copyright) kept.copyright = copyright
  return kept
}
