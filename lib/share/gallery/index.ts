/**
 * The share gallery, as the handler uses it: the landing page ({@link sendGallery}) and
 * its pictures (`t/<n>`, `v/<n>`, {@link sendGalleryImage}).
 * @module
 */
import type { ServerResponse } from 'node:http'

import type { ShareInfo } from '../types'
import { galleryModel } from './model'
import { galleryCsp, renderGallery } from './page'

export { sendGalleryImage, type GallerySize } from './images'
export { galleryCsp, renderGallery, type GalleryItem, type GalleryModel } from './page'

/** How the gallery presents the photographer's shares (the handler's `gallery` option). */
export interface GalleryOptions {
  /** The photographer's or studio's name, shown above each share's label. */
  photographer?: string
}

/** Sends the gallery page of `share` with its Content-Security-Policy. */
export async function sendGallery(
  res: ServerResponse,
  share: ShareInfo,
  options: { rootReal: string; self: string; method: string } & GalleryOptions,
): Promise<void> {
  const html = renderGallery(await galleryModel(share, options))
  res.statusCode = 200
  res.setHeader('Content-Security-Policy', galleryCsp())
  res.setHeader('Content-Type', 'text/html; charset=utf-8')
  res.setHeader('Content-Length', String(Buffer.byteLength(html)))
  res.end(options.method === 'HEAD' ? undefined : html)
}
