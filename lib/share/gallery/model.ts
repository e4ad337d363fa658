/**
 * What the gallery of a share shows, read from the share and the session folder: each
 * item's photo name, what kind of file it is, its size, and whether a thumbnail and a
 * lightbox picture exist.
 * @module
 */
import { posix } from 'node:path'

import { extensionOf, isRawName } from '../../previews/formats'
import { photoName } from '../../previews/layout'
import type { ShareItem } from '../items'
import type { ShareInfo } from '../types'
import { openItem } from '../resolve'
import { imageCandidates } from './images'
import type { GalleryItem, GalleryModel } from './page'

/** Options of {@link galleryModel}. */
export interface GalleryModelOptions {
  /** The handler's root folder, real path. */
  rootReal: string
  /** The relative prefix from the page's URL to the share's (`''` or `'<token>/'`). */
  self: string
  photographer?: string
}

/** What a download of this item is, in a few words. */
function labelOf(share: ShareInfo, item: ShareItem): string {
  if (share.scope === 'preview' || item.kind === 'preview') return 'JPEG preview'
  if (isRawName(item.path)) return `RAW ${extensionOf(item.path).toUpperCase()}`
  return extensionOf(item.path).toUpperCase() || 'file'
}

async function exists(rootReal: string, share: ShareInfo, path: string): Promise<number | undefined> {
  const opened = await openItem(rootReal, share.session, path)
  await opened?.handle.close()
  return opened?.size
}

/**
 * The gallery of `share`.
 *
 * @example
 * ```ts
 * const html = renderGallery(await galleryModel(share, { rootReal, self: `${token}/`, photographer: 'Ada Studio' }))
 * ```
 */
export async function galleryModel(share: ShareInfo, options: GalleryModelOptions): Promise<GalleryModel> {
  const items: GalleryItem[] = []
  for (const [index, item] of share.items.entries()) {
    // A preview share's item that is not a preview is never served: show it as unavailable.
    const size = await exists(options.rootReal, share, item.path)
    let thumbnail = false
    for (const c of imageCandidates(share, item, 'thumbnail'))
      if (!thumbnail && (await exists(options.rootReal, share, c)) !== undefined) thumbnail = true
    const view =
      thumbnail &&
      (await exists(options.rootReal, share, imageCandidates(share, item, 'view')[0]!)) !== undefined
    items.push({
      index,
      name: photoName(item.path),
      label: labelOf(share, item),
      ...(size === undefined ? {} : { size }),
      thumbnail,
      view,
    })
  }
  const title = share.label || posix.basename(share.session.replace(/\\/g, '/')) || 'Shared photos'
  return {
    title,
    ...(options.photographer ? { photographer: options.photographer } : {}),
    scope: share.scope,
    expiresAt: new Date(share.expiresAt),
    items,
    self: options.self,
  }
}
