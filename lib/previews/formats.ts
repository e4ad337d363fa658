/**
 * What a file of a session is, by its extension: a picture the image library reads, a
 * RAW file whose embedded preview is used, or something that is skipped on purpose
 * (sidecars, videos, camera bookkeeping). Anything else is an unknown format and gets a
 * per-file `E_UNSUPPORTED_FORMAT`, never a silent skip.
 * @module
 */

/** How a source becomes a preview. */
export type SourceKind = 'jpeg' | 'png' | 'tiff' | 'webp' | 'heif' | 'raw'

/** Why a file of the session gets no preview, on purpose. */
export type PreviewSkipReason = 'sidecar' | 'video' | 'audio' | 'camera-file' | 'hidden' | 'link'

const PICTURES: Record<string, SourceKind> = {
  jpg: 'jpeg',
  jpeg: 'jpeg',
  jpe: 'jpeg',
  png: 'png',
  tif: 'tiff',
  tiff: 'tiff',
  webp: 'webp',
  heic: 'heif',
  heif: 'heif',
  hif: 'heif',
  avif: 'heif',
}

/** RAW formats whose embedded JPEG previews are read (with ExifTool; no demosaicing). */
export const RAW_EXTENSIONS: readonly string[] = [
  'cr2',
  'cr3',
  'crw',
  'nef',
  'nrw',
  'arw',
  'srf',
  'sr2',
  'raf',
  'orf',
  'rw2',
  'rwl',
  'dng',
  'pef',
  'srw',
  '3fr',
  'iiq',
  'erf',
  'mos',
  'x3f',
]

const SKIPPED: Record<string, PreviewSkipReason> = {
  xmp: 'sidecar',
  pp3: 'sidecar',
  dop: 'sidecar',
  cos: 'sidecar',
  mp4: 'video',
  mov: 'video',
  m4v: 'video',
  avi: 'video',
  mts: 'video',
  m2ts: 'video',
  mxf: 'video',
  mkv: 'video',
  crm: 'video',
  braw: 'video',
  r3d: 'video',
  lrv: 'video',
  wav: 'audio',
  mp3: 'audio',
  m4a: 'audio',
  thm: 'camera-file',
  ctg: 'camera-file',
  lrf: 'camera-file',
  bnp: 'camera-file',
  bin: 'camera-file',
  dat: 'camera-file',
  ind: 'camera-file',
  xml: 'camera-file',
  bdm: 'camera-file',
  cpi: 'camera-file',
  mpl: 'camera-file',
}

/** The lower-case extension of a file name, without the dot ('' when none). */
export function extensionOf(name: string): string {
  const base = name.slice(name.lastIndexOf('/') + 1)
  const dot = base.lastIndexOf('.')
  return dot <= 0 ? '' : base.slice(dot + 1).toLowerCase()
}

/** Whether the file name is a RAW format Shutterproof reads previews from. */
export function isRawName(name: string): boolean {
  return RAW_EXTENSIONS.includes(extensionOf(name))
}

/**
 * What to do with a file of the session, by name.
 *
 * @example
 * ```ts
 * classify('DCIM/100CANON/IMG_0001.CR3')  // { kind: 'raw' }
 * classify('DCIM/100CANON/IMG_0001.xmp')  // { skip: 'sidecar' }
 * classify('notes.txt')                   // { unknown: 'txt' }
 * ```
 */
export function classify(
  name: string,
): { kind: SourceKind } | { skip: PreviewSkipReason } | { unknown: string } {
  const base = name.slice(name.lastIndexOf('/') + 1)
  if (base.startsWith('.')) return { skip: 'hidden' }
  const ext = extensionOf(base)
  if (isRawName(base)) return { kind: 'raw' }
  const picture = PICTURES[ext]
  if (picture) return { kind: picture }
  const skip = SKIPPED[ext]
  if (skip) return { skip }
  return { unknown: ext }
}
