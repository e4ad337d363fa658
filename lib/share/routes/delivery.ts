/**
 * The routes of delivery links (see ../delivery/): `GET /d/<token>` (the page that
 * decrypts in the browser), `GET /d/<token>/m` (the sealed list of files),
 * `GET /d/<token>/f/<n>` (one sealed file, byte ranges honoured, counted against the
 * download limit like any share download), `POST /d/<token>` (the password, sent by the
 * page itself so the #key stays in the address bar) and `GET /d/<asset>` (the page's
 * static files). The server only ever handles ciphertext.
 * @module
 */
import { pipeline } from 'node:stream/promises'

import { deliveryAssets } from '../delivery/assets'
import { DELIVERY_KEY, DELIVERY_LIST, isDeliveryShare } from '../delivery/list'
import { DELIVERY_CSP, deliveryPage, WORKER_CSP } from '../delivery/page'
import { openItem } from '../resolve'
import { notFound, refuse, send } from '../responses'
import { sessionWithin } from '../resolve'
import type { ShareInfo } from '../types'
import type { HandlerState, ShareRequest } from './context'
import { itemDownload } from './download'
import { hasGrant } from './password'

/** `GET /d/<asset>`: one of the page's static files. */
export async function deliveryAsset(_state: HandlerState, r: ShareRequest): Promise<void> {
  const asset = deliveryAssets()[r.rest]
  if (!asset) return notFound(r.res, r.method)
  if (r.rest === 'sw.js') r.res.setHeader('Content-Security-Policy', WORKER_CSP)
  r.res.statusCode = 200
  r.res.setHeader('Content-Type', asset.type)
  r.res.setHeader('Content-Length', String(asset.body.length))
  r.res.end(r.method === 'HEAD' ? undefined : asset.body)
}

/**
 * `GET /d/<token>`: the page, for a link that can be used now or once its password is
 * given (the page asks for it itself: a form post would lose the key in the fragment).
 * Expired, revoked and over-the-limit links get their usual pages.
 */
export async function deliveryLanding(state: HandlerState, r: ShareRequest): Promise<void> {
  const access = await state.registry.verifyAccess(r.token, r.client ? { remote: r.client } : {})
  const share = access.share
  if (!share || !isDeliveryShare(share)) return notFound(r.res, r.method)
  if (access.status !== 'ok' && access.status !== 'password_required')
    return refuse(r.res, access, r.base, r.method)
  if ((await sessionWithin(await state.root(), share.session)) === undefined) return notFound(r.res, r.method)
  state.registry.touch(share.id)
  state.registry.logAccess({
    shareId: share.id,
    event: 'view',
    outcome: access.status === 'ok' || hasGrant(state, r.req, share.id) ? 'ok' : 'password_required',
    ...(r.client ? { remote: r.client } : {}),
  })
  r.res.setHeader('Content-Security-Policy', DELIVERY_CSP)
  send(r.res, 200, 'text/html; charset=utf-8', deliveryPage(), r.method)
}

/**
 * `GET /d/<token>/m`: the sealed list, and `GET /d/<token>/k`: the delivery key sealed for
 * a passphrase (links made with one). Opening the page is not downloading: neither counts
 * against the limit.
 */
export async function deliveryList(
  state: HandlerState,
  r: ShareRequest,
  share: ShareInfo,
  root: string,
): Promise<void> {
  if (!isDeliveryShare(share)) return notFound(r.res, r.method)
  const opened = await openItem(root, share.session, r.rest === 'k' ? DELIVERY_KEY : DELIVERY_LIST)
  if (!opened) {
    state.registry.countAccess({ shareId: share.id, event: 'view', outcome: 'unavailable' })
    return notFound(r.res, r.method)
  }
  try {
    r.res.statusCode = 200
    r.res.setHeader('Content-Type', 'application/octet-stream')
    r.res.setHeader('Content-Length', String(opened.size))
    if (r.method === 'HEAD') return void r.res.end()
    await pipeline(opened.handle.createReadStream({ autoClose: false }), r.res).catch(() => r.res.destroy())
  } finally {
    await opened.handle.close().catch(() => undefined)
  }
}

/** `GET /d/<token>/f/<n>` (n ≥ 1): one sealed file, served and counted exactly as a share's download. */
export async function deliveryFile(
  state: HandlerState,
  r: ShareRequest,
  share: ShareInfo,
  root: string,
): Promise<void> {
  if (!isDeliveryShare(share) || r.rest === 'f/0') return notFound(r.res, r.method)
  return itemDownload(state, r, share, root)
}
