/**
 * {@link sharePhotos}: a share link for files of a session, with previews made where the
 * share needs them — what `shutterproof share create` does.
 * @module
 */
import { open, realpath } from 'node:fs/promises'
import { isAbsolute, relative, resolve, sep } from 'node:path'

import { InvalidArgumentError, PreviewError, type ErrorCode } from '../errors'
import { toFsError } from '../fs/errors'
import { classify } from '../previews/formats'
import { isMarkedPreview } from '../previews/mark'
import { makePreviews } from '../previews/run'
import type { MakePreviewsOptions, PreviewItem } from '../previews/types'
import type { ShareItem } from './items'
import type { CreatedShare, CreateShareOptions, ShareRegistry } from './registry'

/** Options of {@link sharePhotos}: those of {@link ShareRegistry.createShare}, with `files` instead of `items`. */
export interface SharePhotosOptions extends Omit<CreateShareOptions, 'items'> {
  /**
   * Files of the session folder (absolute, or relative to it). Under scope `preview`, a
   * preview already made is shared as it is, and an original is replaced by its preview
   * (made now, or reused when up to date). Under scope `full`, the files themselves.
   */
  files: readonly string[]
  /** How previews are made when they must be (size, quality, watermark, kept tags). */
  previews?: Omit<MakePreviewsOptions, 'files' | 'into'>
  /**
   * Under scope `full`: also make previews of the pictures, so the gallery shows
   * thumbnails (default true; a picture that cannot be previewed is still shared, shown
   * without a thumbnail).
   */
  galleryPreviews?: boolean
}

/** A share made by {@link sharePhotos}. */
export interface SharedPhotos extends CreatedShare {
  /** The items recorded, in the order of `files`. */
  items: ShareItem[]
  /** Previews made now, and reused because they were up to date. */
  previews: { made: number; reused: number }
}

/**
 * Creates a share of photos. Under scope `preview` the link can only ever serve previews:
 * originals given are previewed first; a file that cannot be previewed (a video, a
 * damaged picture, a RAW without an embedded preview) fails the whole call with its code
 * and creates nothing.
 *
 * @example
 * ```ts
 * import { openShareRegistry, sharePhotos } from 'shutterproof'
 * const registry = await openShareRegistry({ path: 'shares.db', serverKey })
 * const s = await sharePhotos(registry, {
 *   session: '/photos/2026-04-26_Smith', scope: 'preview',
 *   files: ['DCIM/100CANON/IMG_0001.CR3', 'DCIM/100CANON/IMG_0002.JPG'],
 *   previews: { watermark: { text: '© Ada Studio' } }, ttl: '7d', password: 'generate',
 * })
 * console.log(s.url, s.items)   // items: .shutterproof/previews/DCIM/100CANON/IMG_0001.CR3.jpg, …
 * ```
 */
export async function sharePhotos(
  registry: ShareRegistry,
  options: SharePhotosOptions,
): Promise<SharedPhotos> {
  const { files, previews: previewOptions, galleryPreviews, ...shareOptions } = options
  if (!Array.isArray(files) || files.length === 0)
    throw new InvalidArgumentError('sharePhotos needs files: at least one file of the session')
  const session = await realpath(options.session).catch((err: unknown) => {
    throw toFsError(err, options.session, 'open the session folder')
  })
  const rels = await Promise.all(files.map((f) => insideSession(session, f)))
  const counts = { made: 0, reused: 0 }
  let items: ShareItem[]
  if (options.scope === 'preview') {
    const isPreview = await Promise.all(rels.map((r) => isPreviewFile(resolve(session, r))))
    const originals = rels.filter((_, i) => !isPreview[i])
    const made =
      originals.length > 0 ? await makePreviews(session, { ...previewOptions, files: originals }) : undefined
    const bySource = new Map((made?.items ?? []).map((i) => [i.source, i]))
    const problems = originals
      .map((r) => bySource.get(r)!)
      .filter((i) => i.status !== 'made' && i.status !== 'up-to-date')
    if (problems.length > 0) throw refusal(problems)
    for (const i of made?.items ?? []) counts[i.status === 'made' ? 'made' : 'reused']++
    items = rels.map((r, i) => ({
      path: isPreview[i] ? r : toRel(session, bySource.get(r)!.preview!),
      kind: 'preview',
    }))
  } else {
    items = rels.map((r) => ({ path: r, kind: 'full' }))
    const pictures = rels.filter((r) => 'kind' in classify(r))
    if (galleryPreviews !== false && pictures.length > 0) {
      const made = await makePreviews(session, { ...previewOptions, files: pictures })
      counts.made = made.made
      counts.reused = made.upToDate
    }
  }
  const created = await registry.createShare({ ...shareOptions, session, items })
  return { ...created, items, previews: counts }
}

async function insideSession(session: string, file: string): Promise<string> {
  if (typeof file !== 'string' || file === '')
    throw new InvalidArgumentError('sharePhotos files must be non-empty paths')
  const given = isAbsolute(file) ? file : resolve(session, file)
  const real = await realpath(given).catch((err: unknown) => {
    throw toFsError(err, given, 'share')
  })
  const rel = relative(session, real)
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel))
    throw new InvalidArgumentError(
      `${file} is not inside the session folder ${session}; only files of that session can be shared`,
    )
  return rel.split(sep).join('/')
}

function toRel(session: string, abs: string): string {
  return relative(session, abs).split(sep).join('/')
}

async function isPreviewFile(path: string): Promise<boolean> {
  if (!/\.jpe?g$/i.test(path)) return false
  const handle = await open(path, 'r')
  try {
    return await isMarkedPreview(handle)
  } finally {
    await handle.close()
  }
}

/** One error for every file that could not be previewed, with the first one's code. */
function refusal(problems: PreviewItem[]): PreviewError {
  const what = problems.map((p) =>
    p.status === 'skipped'
      ? `${p.source}: a ${p.reason} file has no preview`
      : `${p.source}: ${p.error!.code}: ${p.error!.message}`,
  )
  const first = problems[0]!
  const code = (first.status === 'skipped' ? 'E_UNSUPPORTED_FORMAT' : first.error!.code) as ErrorCode
  const known = ['E_NO_PREVIEW', 'E_UNSUPPORTED_FORMAT', 'E_CORRUPT_IMAGE', 'E_IMAGE_TOO_LARGE'] as const
  const previewCode = (known as readonly string[]).includes(code)
    ? (code as (typeof known)[number])
    : 'E_NO_PREVIEW'
  return new PreviewError(
    previewCode,
    `No share was created: ${problems.length} file(s) could not be previewed, and a preview share serves only previews — ${what.join('; ')}`,
    { path: first.source },
  )
}
