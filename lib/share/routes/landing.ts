/**
 * `GET <link>`: the landing page, a gallery of the share's photos (see ../gallery/).
 * @module
 */
import { isDeliveryShare } from '../delivery/list'
import { sendGallery } from '../gallery/index'
import { send } from '../responses'
import type { ShareInfo } from '../types'
import type { HandlerState, ShareRequest } from './context'

/** Answers the gallery page of an open link. */
export async function landingPage(
  state: HandlerState,
  r: ShareRequest,
  share: ShareInfo,
  root: string,
): Promise<void> {
  // A delivery link's files are sealed: its page is under /d/ (the browser keeps the #key across the redirect).
  if (isDeliveryShare(share)) {
    r.res.setHeader('Location', r.base.replace(/\/s\/([^/]+)$/, '/d/$1'))
    return send(r.res, 303, 'text/plain; charset=utf-8', 'See the delivery page\n', r.method)
  }
  state.registry.touch(share.id)
  state.registry.logAccess({
    shareId: share.id,
    event: 'view',
    outcome: 'ok',
    ...(r.client ? { remote: r.client } : {}),
    ...(r.recipient ? { recipient: r.recipient.address } : {}),
  })
  // The page is `…/s/<token>` (never with a trailing slash), so `<token>/t/0` reaches the link's own URL.
  await sendGallery(r.res, share, { rootReal: root, self: `${r.token}/`, method: r.method, ...state.gallery })
}
