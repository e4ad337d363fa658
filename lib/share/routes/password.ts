/**
 * The password flow of a link: the form's POST, and the grant cookie a correct password
 * earns (signed, short-lived, for that one link; see ../grant.ts). Kept apart from the
 * routes that serve files so other pages of a link can use the same flow.
 * @module
 */
import type { IncomingMessage } from 'node:http'

import { checkGrant, issueGrant } from '../grant'
import { renderPasswordForm } from '../landing-page'
import { addressKey } from '../rate-limit'
import { notFound, RATE_LIMITED_PAGE, refuse, sendPage, tooManyAttempts } from '../responses'
import type { ShareInfo } from '../types'
import type { HandlerState, ShareRequest } from './context'
import { cookie, formTimeout, readForm, seeFiles } from './forms'
import { signedInRecipient } from './signin'

/** The grant cookie's name. */
export const GRANT_COOKIE = 'sp_grant'

/** Whether the request carries a valid grant for this share. */
export function hasGrant(state: HandlerState, req: IncomingMessage, shareId: string): boolean {
  return checkGrant(state.grantKey, shareId, cookie(req, GRANT_COOKIE), state.clock.now())
}

/** The `Set-Cookie` value granting `share` to this client: `HttpOnly`, `SameSite=Strict`, scoped to the link's path, `Secure` over HTTPS. */
export function grantCookie(state: HandlerState, r: ShareRequest, share: ShareInfo): string {
  const now = state.clock.now().getTime()
  const until = new Date(Math.min(now + state.grantTtl, Date.parse(share.expiresAt)))
  const maxAge = Math.max(0, Math.floor((until.getTime() - now) / 1000))
  const secure = state.secureCookies === true || (state.secureCookies === 'auto' && r.https)
  return `${GRANT_COOKIE}=${issueGrant(state.grantKey, share.id, until)}; Path=${r.base}; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`
}

/**
 * `POST <link>`: checks the password typed into the form. The body is read first, within
 * the body deadline (408 after it); nothing is counted for a link that does not exist or
 * a body that never came, so stalled or made-up requests cannot use up a client's
 * allowance. Then the per-address limit across links, then the registry's per-link
 * back-off and Argon2id.
 */
export async function passwordPost(state: HandlerState, r: ShareRequest): Promise<void> {
  const { registry } = state
  const body = await readForm(r.req, state.bodyTimeout)
  if (body === 'timeout') return formTimeout(r)
  // On a link bound to recipients, the password comes after sign-in (see ./signin.ts).
  const recipient = signedInRecipient(state, r)
  const who = recipient === undefined ? {} : { recipient }
  const found = await registry.verifyAccess(r.token, who)
  if (found.status === 'not_found') return notFound(r.res, 'POST')
  if (found.status === 'ok') return seeFiles(r)
  if (found.status !== 'password_required') return refuse(r.res, found, r.base, 'POST')
  const share = found.share!
  const password = body?.get('password') ?? ''
  if (password === '')
    return sendPage(
      r.res,
      401,
      renderPasswordForm({ action: r.base, message: 'Enter the password.' }),
      'POST',
    )

  const client = state.limiter && r.client !== undefined ? addressKey(r.client) : undefined
  const wait = client === undefined ? 0 : state.limiter!.retryAfter(client, state.clock.now().getTime())
  if (wait > 0) {
    registry.countAccess({ shareId: share.id, event: 'password', outcome: 'rate_limited' })
    return tooManyAttempts(r.res, wait, 'POST', RATE_LIMITED_PAGE)
  }
  // Counted as in flight from here on (no await in between), so parallel guesses see it.
  if (client !== undefined) state.limiter!.begin(client)
  let status: string | undefined
  try {
    const access = await registry.verifyAccess(r.token, {
      password,
      ...who,
      ...(r.client === undefined ? {} : { remote: r.client }),
    })
    status = access.status
    if (access.status === 'ok') {
      r.res.setHeader('Set-Cookie', grantCookie(state, r, access.share!))
      return seeFiles(r)
    }
    if (access.status === 'bad_password') {
      return sendPage(
        r.res,
        401,
        renderPasswordForm({
          action: r.base,
          message: 'That password is not right. Check it and try again.',
        }),
        'POST',
      )
    }
    return refuse(r.res, access, r.base, 'POST')
  } finally {
    if (client !== undefined)
      state.limiter!.end(client, status === 'bad_password', state.clock.now().getTime())
  }
}
