/**
 * Preview items are previews: a share item of kind `preview` must be a JPEG that
 * makePreviews wrote (it carries the preview mark), never an original. Checked when a
 * share is created (`E_NOT_A_PREVIEW`) and again by the handler before every byte of a
 * preview share is served.
 * @module
 */
import { realpath } from 'node:fs/promises'

import { FileSystemError, PreviewError } from '../errors'
import { isRawName } from '../previews/formats'
import { PREVIEWS_FOLDER } from '../previews/layout'
import { isMarkedPreview } from '../previews/mark'
import type { ShareItem } from './items'
import { openItem } from './resolve'

/** The advice every refusal ends with. */
const HOW = `a preview share serves only previews Shutterproof made: make them with makePreviews(session) and share the files under SESSION/${PREVIEWS_FOLDER}/, or give the originals to sharePhotos(registry, { scope: 'preview', files }), which makes their previews`

/**
 * Throws `E_NOT_A_PREVIEW` for the first item of kind `preview` that is not a generated
 * preview (a RAW file, another format, or a JPEG without the preview mark), or `ENOENT`
 * when it is not in the session folder.
 *
 * @example
 * ```ts
 * await checkPreviewItems('/photos/2026-04-26_Smith', [{ path: 'DCIM/IMG_0001.CR3', kind: 'preview' }])  // throws E_NOT_A_PREVIEW
 * ```
 */
export async function checkPreviewItems(session: string, items: readonly ShareItem[]): Promise<void> {
  const previews = items.filter((i) => i.kind === 'preview')
  if (previews.length === 0) return
  for (const item of previews) {
    if (isRawName(item.path))
      throw new PreviewError('E_NOT_A_PREVIEW', `${item.path} is a RAW original, not a preview; ${HOW}`, {
        path: item.path,
      })
    if (!/\.jpe?g$/i.test(item.path))
      throw new PreviewError(
        'E_NOT_A_PREVIEW',
        `${item.path} is not a preview (previews are JPEGs); ${HOW}`,
        { path: item.path },
      )
  }
  let sessionReal: string
  try {
    sessionReal = await realpath(session)
  } catch (err) {
    throw new FileSystemError(
      'ENOENT',
      `The session folder ${session} does not exist; preview items are checked on disk when a share is created`,
      { path: session, cause: err },
    )
  }
  for (const item of previews) {
    const opened = await openItem(sessionReal, '.', item.path)
    if (!opened)
      throw new FileSystemError('ENOENT', `${item.path} is not a file inside the session folder ${session}`, {
        path: item.path,
      })
    try {
      if (!(await isMarkedPreview(opened.handle)))
        throw new PreviewError(
          'E_NOT_A_PREVIEW',
          `${item.path} is an original (it carries no Shutterproof preview mark), not a preview; ${HOW}`,
          { path: item.path },
        )
    } finally {
      await opened.handle.close()
    }
  }
}
