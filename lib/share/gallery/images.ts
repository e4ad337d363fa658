/**
 * The gallery's pictures: `t/<n>` (thumbnail) and `v/<n>` (the size the lightbox shows)
 * of share item n. They are always generated previews (checked by their mark), never an
 * original, whatever the share's scope: for a preview item the item itself and its
 * thumbnail; for a full-resolution item the preview and thumbnail makePreviews made of
 * it, when there are any. Viewing is not downloading: these never count against a
 * share's download limit.
 * @module
 */
import type { ServerResponse } from 'node:http'
import { pipeline } from 'node:stream/promises'

import { sessionOutputsFor, thumbnailOfPreview } from '../../previews/layout'
import { isMarkedPreview } from '../../previews/mark'
import type { ShareItem } from '../items'
import type { ShareInfo } from '../types'
import { openItem, type OpenedItem } from '../resolve'

/** Which picture of an item. */
export type GallerySize = 'thumbnail' | 'view'

/** The session paths that may hold an item's picture of this size, best first. */
export function imageCandidates(share: ShareInfo, item: ShareItem, size: GallerySize): string[] {
  if (share.scope === 'preview' || item.kind === 'preview')
    return size === 'view' ? [item.path] : [thumbnailOfPreview(item.path), item.path]
  const outputs = sessionOutputsFor(item.path)
  return size === 'view' ? [outputs.preview] : [outputs.thumbnail, outputs.preview]
}

/** Opens the first candidate that exists inside the session and is a generated preview. */
export async function openGalleryImage(
  rootReal: string,
  share: ShareInfo,
  item: ShareItem,
  size: GallerySize,
): Promise<OpenedItem | undefined> {
  for (const path of imageCandidates(share, item, size)) {
    const opened = await openItem(rootReal, share.session, path)
    if (!opened) continue
    if (await isMarkedPreview(opened.handle)) return opened
    await opened.handle.close()
  }
  return undefined
}

/**
 * Sends item `index`'s picture of `size`; `false` when there is none (the caller answers 404).
 *
 * @example
 * ```ts
 * if (!(await sendGalleryImage(res, share, rootReal, 3, 'thumbnail', 'GET'))) notFound(res)
 * ```
 */
export async function sendGalleryImage(
  res: ServerResponse,
  share: ShareInfo,
  rootReal: string,
  index: number,
  size: GallerySize,
  method: string,
  /** Called when the bytes start to flow (the handler tracks them, to end them if the link is revoked). */
  streaming?: () => void,
): Promise<boolean> {
  const item = share.items[index]
  const opened = item && (await openGalleryImage(rootReal, share, item, size))
  if (!opened) return false
  res.statusCode = 200
  res.setHeader('Content-Type', 'image/jpeg')
  res.setHeader('Content-Length', String(opened.size))
  if (method === 'HEAD') {
    await opened.handle.close()
    res.end()
    return true
  }
  streaming?.()
  await pipeline(opened.handle.createReadStream({ start: 0 }), res).catch(() => res.destroy())
  return true
}
