/**
 * Where previews live: `SESSION/.shutterproof/previews/`, mirroring the session's own
 * folders, each photo's preview named after the photo with `.jpg` added (so
 * `IMG_0001.CR3` and `IMG_0001.JPG` of one RAW+JPEG pair never collide) and its
 * thumbnail with `.thumb.jpg`. The `.shutterproof/` folder is already left out of ASC MHL
 * histories, so previews never disturb a session's verification.
 *
 * ```
 * SESSION/DCIM/100CANON/IMG_0001.CR3
 * SESSION/.shutterproof/previews/DCIM/100CANON/IMG_0001.CR3.jpg         preview (long edge ≤ 2048 px)
 * SESSION/.shutterproof/previews/DCIM/100CANON/IMG_0001.CR3.thumb.jpg   thumbnail (about 400 px)
 * SESSION/.shutterproof/previews/state.json                             what each preview was made from
 * ```
 * @module
 */
import { posix } from 'node:path'

/** The previews folder, relative to the session folder. */
export const PREVIEWS_FOLDER = '.shutterproof/previews'

/** The state file inside a previews folder. */
export const STATE_FILE = 'state.json'

const PREVIEW_SUFFIX = '.jpg'
const THUMB_SUFFIX = '.thumb.jpg'

/** A photo's preview and thumbnail, relative to the previews folder. */
export function outputsFor(sourceRel: string): { preview: string; thumbnail: string } {
  return { preview: sourceRel + PREVIEW_SUFFIX, thumbnail: sourceRel + THUMB_SUFFIX }
}

/** A photo's preview and thumbnail in the default folder, relative to the session folder. */
export function sessionOutputsFor(sourceRel: string): { preview: string; thumbnail: string } {
  const o = outputsFor(sourceRel)
  return { preview: `${PREVIEWS_FOLDER}/${o.preview}`, thumbnail: `${PREVIEWS_FOLDER}/${o.thumbnail}` }
}

/**
 * The thumbnail beside a preview (both relative to the session folder):
 * `….CR3.jpg` → `….CR3.thumb.jpg`; a thumbnail is its own.
 */
export function thumbnailOfPreview(previewRel: string): string {
  if (previewRel.endsWith(THUMB_SUFFIX)) return previewRel
  const stem = previewRel.replace(/\.jpe?g$/i, '')
  return stem + THUMB_SUFFIX
}

/**
 * The name a person knows a photo by, from a session path, a preview or a thumbnail:
 * `DCIM/100CANON/IMG_0001.CR3` → `IMG_0001`, `.shutterproof/previews/DCIM/100CANON/IMG_0001.CR3.jpg` → `IMG_0001`.
 */
export function photoName(rel: string): string {
  let base = posix.basename(rel)
  if (rel.startsWith(PREVIEWS_FOLDER + '/'))
    base = base.endsWith(THUMB_SUFFIX) ? base.slice(0, -THUMB_SUFFIX.length) : base.replace(/\.jpe?g$/i, '')
  const dot = base.lastIndexOf('.')
  return dot > 0 ? base.slice(0, dot) : base
}

/** The source a default-folder preview or thumbnail was made from (relative to the session), or `undefined`. */
export function sourceOfOutput(rel: string): string | undefined {
  if (!rel.startsWith(PREVIEWS_FOLDER + '/')) return undefined
  const inner = rel.slice(PREVIEWS_FOLDER.length + 1)
  if (inner.endsWith(THUMB_SUFFIX)) return inner.slice(0, -THUMB_SUFFIX.length)
  if (inner.endsWith(PREVIEW_SUFFIX)) return inner.slice(0, -PREVIEW_SUFFIX.length)
  return undefined
}
