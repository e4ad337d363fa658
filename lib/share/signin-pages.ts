/**
 * The sign-in pages of a link bound to recipients: the e-mail form, the code form, and
 * the short answers around them. Each page says the same whatever address was typed:
 * "if it may open these files, a code is on its way".
 * @module
 */
import { escapeHtml } from '../text/html'
import { page, renderMessage } from './landing-page'
import { CODE_DIGITS } from './signin/codes'

/** The e-mail form; `message` says why it is shown again. */
export function renderSigninForm(options: { base: string; message?: string; address?: string }): string {
  return page(
    'Sign in',
    `<h1>Sign in to see the files</h1>
<p class="meta">The photographer shared these files with particular people. Enter your e-mail address: if it is one of theirs, you get an e-mail with a code that opens them.</p>
${options.message ? `<p class="error">${escapeHtml(options.message)}</p>` : ''}
<form method="post" action="${escapeHtml(options.base)}/signin">
<p><label>E-mail address<br><input type="email" name="email" autocomplete="email" inputmode="email" required autofocus${options.address ? ` value="${escapeHtml(options.address)}"` : ''}></label></p>
<p><button type="submit">E-mail me a code</button></p>
</form>`,
  )
}

/** The code form, after an address was given; `message` says why it is shown again. */
export function renderCodeForm(options: { base: string; address: string; message?: string }): string {
  const address = escapeHtml(options.address)
  return page(
    'Enter your code',
    `<h1>Check your e-mail</h1>
<p class="meta">If <strong>${address}</strong> may open these files, an e-mail with an ${CODE_DIGITS}-digit code is on its way to it. The code works once, for 10 minutes.</p>
${options.message ? `<p class="error">${escapeHtml(options.message)}</p>` : ''}
<form method="post" action="${escapeHtml(options.base)}/code">
<input type="hidden" name="email" value="${address}">
<p><label>Code<br><input type="text" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="20" required autofocus></label></p>
<p><button type="submit">Open the files</button></p>
</form>
<form method="post" action="${escapeHtml(options.base)}/signin">
<input type="hidden" name="email" value="${address}">
<p class="meta">No e-mail after a few minutes? Look in your spam folder, or <button type="submit">send a new code</button></p>
</form>
<p><a href="${escapeHtml(options.base)}">Use another address</a></p>`,
  )
}

/** What the code form says after a code that does not work (the same whether the address is a recipient or not). */
export const WRONG_CODE =
  'That code does not work: it is not right, was used already, or is older than 10 minutes (a code also stops after 5 wrong tries). Check the latest e-mail, or send a new code.'

/** The page when sign-in mail cannot be sent at all. */
export function renderMailUnavailable(configured: boolean): string {
  return renderMessage(
    'E-mail cannot be sent right now',
    configured
      ? 'This server could not send e-mail a moment ago, so no sign-in code can reach you. The photographer can see why in the server log. Try again in a few minutes, or contact the photographer.'
      : 'This server is not set up to send e-mail yet, so no sign-in code can reach you. Tell the photographer: their server log says what is missing.',
  )
}

/** The page when too many codes were asked for an address or from a network. */
export function renderTooManyCodes(retryAfter: number): string {
  const minutes = Math.max(1, Math.ceil(retryAfter / 60))
  return renderMessage(
    'Too many codes asked for',
    `Too many codes were asked for this address, or from your network. Wait ${minutes} minute${minutes === 1 ? '' : 's'}, then try again with the latest e-mail's code.`,
  )
}
