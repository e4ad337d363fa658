/**
 * `GET <link>`: the landing page, listing each file with its size and a download link.
 * @module
 */
import { posix } from 'node:path'

import { PAGE_CSP, renderLanding, type LandingItem } from '../landing-page'
import { openItem } from '../resolve'
import { send } from '../responses'
import type { ShareInfo } from '../types'
import type { HandlerState, ShareRequest } from './context'
import { servable } from './items'

/** Answers the landing page of an open link. */
export async function landingPage(state: HandlerState, r: ShareRequest, share: ShareInfo, root: string): Promise<void> {
  state.registry.touch(share.id)
  state.registry.logAccess({ shareId: share.id, event: 'view', outcome: 'ok', ...(r.client ? { remote: r.client } : {}), ...(r.recipient ? { recipient: r.recipient.address } : {}) })
  const items: LandingItem[] = []
  for (const [i, item] of share.items.entries()) {
    const opened = servable(share, item) ? await openItem(root, share.session, item.path) : undefined
    await opened?.handle.close()
    items.push({ name: item.path, kind: item.kind, href: `${r.base}/f/${i}`, ...(opened ? { size: opened.size } : {}) })
  }
  const title = share.label || posix.basename(share.session.replace(/\\/g, '/')) || 'Shared files'
  r.res.setHeader('Content-Security-Policy', PAGE_CSP)
  send(r.res, 200, 'text/html; charset=utf-8', renderLanding({ title, expiresAt: new Date(share.expiresAt), items, allHref: `${r.base}/all.tar` }), r.method)
}
