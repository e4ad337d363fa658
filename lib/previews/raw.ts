/**
 * RAW files: the JPEGs the camera embedded (no demosaicing), found and extracted by
 * ExifTool in one call per file (exiftool-vendored keeps a few `-stay_open` ExifTool
 * processes, so a file costs no Perl start-up). The embedded JPEG carries no orientation
 * of its own: the RAW's `Orientation` is returned beside it. Also reads the owner tags
 * `keep: ['copyright']` keeps.
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

/** An embedded JPEG of a RAW file. */
export interface EmbeddedImage {
  tag: (typeof IMAGE_TAGS)[number]
  jpeg: Buffer
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

/** A RAW file's embedded JPEGs, largest first, and its orientation; or throws `E_CORRUPT_IMAGE` / `E_NO_PREVIEW`. */
export async function rawContents(et: ExifTool, path: string): Promise<RawContents> {
  let tags: Record<string, unknown>
  try {
    // -b: the images come in the same answer, base64-encoded (one round trip per file).
    tags = (await et.readRaw(path, { readArgs: ['-b', '-n', '-FileType', '-MIMEType', '-Orientation', ...IMAGE_TAGS.map((t) => `-${t}`)] })) as Record<string, unknown>
  } catch (err) {
    throw new PreviewError('E_CORRUPT_IMAGE', `${path} could not be read as a RAW file (${(err as Error).message})`, { path, cause: err })
  }
  const errors = (tags.errors as string[] | undefined) ?? []
  if (errors.length > 0) {
    throw new PreviewError('E_CORRUPT_IMAGE', `${path} is not a readable RAW file (ExifTool: ${errors.join('; ')}); copy it again from the card or a backup`, { path })
  }
  // A file named .CR3 that ExifTool reads as text (or anything but an image) is no RAW file at all.
  const mime = typeof tags.MIMEType === 'string' ? tags.MIMEType : ''
  if (!mime.startsWith('image/')) {
    throw new PreviewError('E_CORRUPT_IMAGE', `${path} is not a RAW file (ExifTool reads it as ${String(tags.FileType ?? 'an unknown format')}${mime ? `, ${mime}` : ''}); copy it again from the card or a backup`, { path })
  }
  const images: EmbeddedImage[] = []
  for (const tag of IMAGE_TAGS) {
    const value = tags[tag]
    const jpeg = typeof value === 'string' && value.startsWith('base64:') ? Buffer.from(value.slice('base64:'.length), 'base64') : undefined
    if (jpeg && jpeg.length >= MIN_JPEG_BYTES) images.push({ tag, jpeg })
  }
  images.sort((a, b) => b.jpeg.length - a.jpeg.length)
  if (images.length === 0) {
    throw new PreviewError('E_NO_PREVIEW', `${path} has no usable embedded preview (the camera wrote none, or only a placeholder); open it in a RAW converter and export a JPEG to preview it`, { path })
  }
  const orientation = Number(tags.Orientation)
  return { orientation: Number.isInteger(orientation) && orientation >= 1 && orientation <= 8 ? orientation : 1, images }
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
