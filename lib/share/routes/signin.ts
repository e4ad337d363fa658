/**
 * Sign-in on a link bound to recipients (`createShare({ recipients })`):
 *
 * - `POST <link>/signin` with `email`: answers "if this address may open the files, a
 *   code is on its way" for every address, at once. Whether the address is a recipient,
 *   the code, and the mail are all worked out later, off the response path (after a
 *   random pause of up to a quarter second), so neither the page nor its timing tells a
 *   recipient from anyone else, and the answer never waits on the SMTP server.
 * - `POST <link>/code` with `email` and `code`: a right code sets the sign-in cookie
 *   (signed, naming the recipient, for this link only) and sends the client on to the
 *   files, or to the password form when the link also has a password.
 *
 * A send that fails is written to the server log and the access log; from then on, until
 * mail works again, every sign-in page says that mail cannot be sent (for everyone alike).
 * @module
 */
import { randomInt } from 'node:crypto'

import { checkSigninGrant, issueSigninGrant } from '../grant'
import { signinMessage } from '../mail/signin-mail'
import { addressKey } from '../rate-limit'
import { notFound, RATE_LIMITED_PAGE, refuse, sendPage, tooManyAttempts } from '../responses'
import { normalizeAddress } from '../signin/address'
import { parseCode, CODE_DIGITS } from '../signin/codes'
import {
  renderCodeForm,
  renderMailUnavailable,
  renderSigninForm,
  renderTooManyCodes,
  WRONG_CODE,
} from '../signin-pages'
import { parseToken } from '../tokens'
import type { ShareInfo, ShareRecipient } from '../types'
import type { HandlerState, ShareRequest } from './context'
import { cookie, formTimeout, readForm, seeFiles } from './forms'

/** The sign-in cookie's name. */
export const SIGNIN_COOKIE = 'sp_signin'
/** Codes are worked out and mailed after a random pause up to this long, so other requests cannot time that work. */
const ISSUE_JITTER_MS = 250

/** The id of the recipient this request's sign-in cookie names, when it is valid for the link (whether that recipient is still allowed is the registry's question). */
export function signedInRecipient(state: HandlerState, r: ShareRequest): string | undefined {
  const id = parseToken(r.token)?.id
  return id === undefined
    ? undefined
    : checkSigninGrant(state.signinKey, id, cookie(r.req, SIGNIN_COOKIE), state.clock.now())
}

/**
 * The `Set-Cookie` value signing `recipient` in on `share`: `HttpOnly`, scoped to the
 * link's path, `Secure` over HTTPS, `SameSite=Lax` so that opening the link again from
 * the e-mail client keeps the sign-in (the cookie only ever lets files be read).
 */
function signinCookie(
  state: HandlerState,
  r: ShareRequest,
  share: ShareInfo,
  recipient: ShareRecipient,
): string {
  const now = state.clock.now().getTime()
  const until = new Date(Math.min(now + state.signinTtl, Date.parse(share.expiresAt)))
  const maxAge = Math.max(0, Math.floor((until.getTime() - now) / 1000))
  const secure = state.secureCookies === true || (state.secureCookies === 'auto' && r.https)
  return `${SIGNIN_COOKIE}=${issueSigninGrant(state.signinKey, share.id, recipient.id, until)}; Path=${r.base}; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`
}

/**
 * Reads the form and finds the link; answers the request itself (and returns
 * `undefined`) unless the link is one that asks for sign-in.
 */
async function signinTarget(
  state: HandlerState,
  r: ShareRequest,
): Promise<{ share: ShareInfo; form: URLSearchParams | undefined } | undefined> {
  const form = await readForm(r.req, state.bodyTimeout)
  if (form === 'timeout') {
    formTimeout(r)
    return undefined
  }
  const found = await state.registry.verifyAccess(r.token)
  if (found.status === 'not_found') {
    notFound(r.res, 'POST')
    return undefined
  }
  if (found.status === 'ok' || found.status === 'password_required') {
    seeFiles(r) // not bound to recipients: nothing to sign in to
    return undefined
  }
  if (found.status !== 'signin_required') {
    refuse(r.res, found, r.base, 'POST')
    return undefined
  }
  return { share: found.share!, form }
}

/** Whether mail can go out now; otherwise answers 503 (the same for every address) and returns `false`. */
function mailReady(state: HandlerState, r: ShareRequest, share: ShareInfo): boolean {
  if (!state.mailer) {
    state.log(
      `mail: a sign-in code was asked for on share ${share.id}, but no SMTP server is configured (set SHUTTERPROOF_SMTP_URL, or smtp in share.json; see docs/SIGNIN.md)`,
    )
    sendPage(r.res, 503, renderMailUnavailable(false), 'POST')
    return false
  }
  const health = state.mailer.health()
  if (health.ok) return true
  state.mailer.recheck()
  r.res.setHeader('Retry-After', '60')
  sendPage(r.res, 503, renderMailUnavailable(true), 'POST')
  return false
}

/** `POST <link>/signin`: "e-mail me a code". */
export async function signinPost(state: HandlerState, r: ShareRequest): Promise<void> {
  const target = await signinTarget(state, r)
  if (!target) return
  const { share, form } = target
  const address = normalizeAddress(form?.get('email'))
  if (address === undefined) {
    return sendPage(
      r.res,
      400,
      renderSigninForm({ base: r.base, message: 'Enter your e-mail address, like name@example.com.' }),
      'POST',
    )
  }
  if (!mailReady(state, r, share)) return
  const client = r.client === undefined ? undefined : addressKey(r.client)
  const wait = state.signIn.requestCode(share.id, address, client, state.clock.now().getTime())
  if (wait > 0) {
    state.registry.countAccess({ shareId: share.id, event: 'signin', outcome: 'rate_limited' })
    return tooManyAttempts(r.res, wait, 'POST', renderTooManyCodes(wait))
  }
  const timer = setTimeout(
    () => void issueAndMail(state, share, address, r.client),
    randomInt(0, ISSUE_JITTER_MS + 1),
  )
  timer.unref()
  sendPage(r.res, 200, renderCodeForm({ base: r.base, address }), 'POST')
}

/** Off the response path: is `address` a recipient? If so, a code, mailed; logged either way. */
async function issueAndMail(
  state: HandlerState,
  share: ShareInfo,
  address: string,
  remote: string | undefined,
): Promise<void> {
  const { registry } = state
  try {
    const issued = registry.issueSigninCode(share.id, address)
    if (issued.status === 'not_recipient') {
      registry.countAccess({ shareId: share.id, event: 'signin', outcome: 'not_recipient' })
      return
    }
    const base = {
      shareId: share.id,
      event: 'signin',
      recipient: issued.recipient.address,
      ...(remote === undefined ? {} : { remote }),
    }
    if (issued.status === 'capped') {
      registry.logAccess({ ...base, outcome: 'code_capped' })
      return
    }
    const label =
      share.label || share.session.replace(/\\/g, '/').split('/').filter(Boolean).pop() || 'shared files'
    const message = signinMessage({
      to: issued.recipient.address,
      code: issued.code,
      photographer: state.mailer!.photographer,
      label,
      expiresAt: new Date(issued.expiresAt),
    })
    try {
      await state.mailer!.send(message)
      registry.logAccess({ ...base, outcome: 'code_sent' })
    } catch (err) {
      registry.logAccess({ ...base, outcome: 'send_failed' })
      state.log(
        `mail: could not send the sign-in code for share ${share.id} to ${issued.recipient.address}: ${(err as Error).message}`,
      )
    }
  } catch (err) {
    // The registry was closed under us (the server is stopping): nothing to send to.
    if (!/not open|closed/i.test(String((err as Error)?.message)))
      state.log(`mail: sign-in for share ${share.id} failed: ${(err as Error)?.message ?? err}`)
  }
}

/** `POST <link>/code`: checks the code typed; a right one signs the client in. */
export async function codePost(state: HandlerState, r: ShareRequest): Promise<void> {
  const target = await signinTarget(state, r)
  if (!target) return
  const { share, form } = target
  const { registry } = state
  const address = normalizeAddress(form?.get('email'))
  if (address === undefined) {
    return sendPage(
      r.res,
      400,
      renderSigninForm({ base: r.base, message: 'Enter your e-mail address, like name@example.com.' }),
      'POST',
    )
  }
  const code = parseCode(form?.get('code'))
  if (code === undefined) {
    return sendPage(
      r.res,
      401,
      renderCodeForm({
        base: r.base,
        address,
        message: `Type the ${CODE_DIGITS}-digit code from the e-mail.`,
      }),
      'POST',
    )
  }
  const client = state.limiter && r.client !== undefined ? addressKey(r.client) : undefined
  const wait = client === undefined ? 0 : state.limiter!.retryAfter(client, state.clock.now().getTime())
  if (wait > 0) {
    registry.countAccess({ shareId: share.id, event: 'signin', outcome: 'rate_limited' })
    return tooManyAttempts(r.res, wait, 'POST', RATE_LIMITED_PAGE)
  }
  if (client !== undefined) state.limiter!.begin(client)
  const recipient = state.signIn.mayTryCode(share.id, address)
    ? registry.checkSigninCode(share.id, address, code)
    : undefined
  if (client !== undefined) state.limiter!.end(client, recipient === undefined, state.clock.now().getTime())
  const remote = r.client === undefined ? {} : { remote: r.client }
  if (!recipient) {
    state.signIn.wrongCode(share.id, address)
    // Counted in the database after answering: only a recipient has codes to count against.
    setImmediate(() => {
      try {
        const wrong = registry.countWrongCode(share.id, address)
        if (wrong)
          registry.logAccess({
            shareId: share.id,
            event: 'signin',
            outcome: 'bad_code',
            recipient: wrong.address,
            ...remote,
          })
      } catch {
        // the registry was closed: the server is stopping
      }
    })
    const mailDown = state.mailer !== undefined && !state.mailer.health().ok
    const message = mailDown
      ? `${WRONG_CODE} Note: this server could not send e-mail a moment ago, so a new code may not arrive yet.`
      : WRONG_CODE
    return sendPage(r.res, 401, renderCodeForm({ base: r.base, address, message }), 'POST')
  }
  registry.logAccess({
    shareId: share.id,
    event: 'signin',
    outcome: 'code_ok',
    recipient: recipient.address,
    ...remote,
  })
  r.res.setHeader('Set-Cookie', signinCookie(state, r, share, recipient))
  seeFiles(r)
}
