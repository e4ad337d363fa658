/**
 * `GET <link>/t/<n>` and `<link>/v/<n>`: item n's thumbnail and the picture the lightbox
 * shows. Always generated previews (checked by their mark), whatever the share's scope;
 * viewing is not downloading, so they never count against a download limit.
 * @module
 */
import { sendGalleryImage } from '../gallery/index'
import { notFound } from '../responses'
import type { ShareInfo } from '../types'
import type { HandlerState, ShareRequest } from './context'

/** Answers one gallery picture of an open link, or 404 when the item has none. */
export async function galleryImage(
  state: HandlerState,
  r: ShareRequest,
  share: ShareInfo,
  root: string,
): Promise<void> {
  const index = Number(r.rest.slice(2))
  const size = r.rest.startsWith('t/') ? 'thumbnail' : 'view'
  const sent = await sendGalleryImage(r.res, share, root, index, size, r.method, () =>
    state.inFlight.add(share.id, r.res),
  )
  if (!sent) {
    state.registry.countAccess({ shareId: share.id, event: 'view', outcome: 'no_picture' })
    notFound(r.res, r.method)
  }
}
