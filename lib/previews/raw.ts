/**
 * RAW files: the largest JPEG the camera embedded (no demosaicing), found and extracted
 * by ExifTool (exiftool-vendored keeps a few `-stay_open` ExifTool processes, so a file
 * costs no Perl start-up). The embedded JPEG carries no orientation of its own: the RAW's
 * `Orientation` is returned beside it. Also reads the owner tags `keep: ['copyright']` keeps.
 * @module
 */
import type { ExifTool } from 'exiftool-vendored'

import { PreviewError } from '../errors'
import { exiftoolVendored } from './libs'
import type { KeptTags } from './render'

/** The embedded images ExifTool can extract, in the order tried when sizes tie. */
const IMAGE_TAGS = ['JpgFromRaw', 'PreviewImage', 'OtherImage', 'ThumbnailImage'] as const
/** Smaller "images" are placeholders (cameras and stripped test files write a few bytes). */
const MIN_JPEG_BYTES = 128

/** An embedded JPEG of a RAW file that can be extracted. */
export interface EmbeddedImage {
  tag: (typeof IMAGE_TAGS)[number]
  bytes: number
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

/** Lists a RAW file's embedded JPEGs, largest first, or throws `E_CORRUPT_IMAGE` / `E_NO_PREVIEW`. */
export async function rawContents(et: ExifTool, path: string): Promise<RawContents> {
  let tags: Record<string, unknown>
  try {
    tags = (await et.readRaw(path, { readArgs: ['-n', '-Orientation', ...IMAGE_TAGS.map((t) => `-${t}`)] })) as Record<string, unknown>
  } catch (err) {
    throw new PreviewError('E_CORRUPT_IMAGE', `${path} could not be read as a RAW file (${(err as Error).message})`, { path, cause: err })
  }
  const errors = (tags.errors as string[] | undefined) ?? []
  if (errors.length > 0) {
    throw new PreviewError('E_CORRUPT_IMAGE', `${path} is not a readable RAW file (ExifTool: ${errors.join('; ')}); copy it again from the card or a backup`, { path })
  }
  const images: EmbeddedImage[] = []
  for (const tag of IMAGE_TAGS) {
    const bytes = binaryLength(tags[tag])
    if (bytes >= MIN_JPEG_BYTES) images.push({ tag, bytes })
  }
  images.sort((a, b) => b.bytes - a.bytes)
  if (images.length === 0) {
    throw new PreviewError('E_NO_PREVIEW', `${path} has no usable embedded preview (the camera wrote none, or only a placeholder); open it in a RAW converter and export a JPEG to preview it`, { path })
  }
  const orientation = Number(tags.Orientation)
  return { orientation: Number.isInteger(orientation) && orientation >= 1 && orientation <= 8 ? orientation : 1, images }
}

/** The bytes of one embedded JPEG. */
export async function extractImage(et: ExifTool, path: string, image: EmbeddedImage): Promise<Buffer> {
  return et.extractBinaryTagToBuffer(image.tag, path)
}

/** Artist/Creator and Copyright/Rights of a file, for `keep: ['copyright']`. */
export async function readOwnerTags(et: ExifTool, path: string): Promise<KeptTags> {
  const tags = (await et.readRaw(path, { readArgs: ['-Artist', '-Creator', '-Copyright', '-Rights'] })) as Record<string, unknown>
  const text = (v: unknown) => (Array.isArray(v) ? v.join(', ') : typeof v === 'string' || typeof v === 'number' ? String(v) : '').trim()
  const kept: KeptTags = {}
  const artist = text(tags.Artist) || text(tags.Creator)
  const copyright = text(tags.Copyright) || text(tags.Rights)
  if (artist) kept.artist = artist
  if (copyright) kept.copyright = copyright
  return kept
}

/** `(Binary data 12167 bytes, use -b option to extract)` → 12167; 0 when absent. */
function binaryLength(value: unknown): number {
  const m = typeof value === 'string' ? /Binary data (\d+) bytes/.exec(value) : null
  return m ? Number(m[1]) : 0
}
