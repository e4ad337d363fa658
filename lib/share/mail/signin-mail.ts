/**
 * The sign-in e-mail: plain text and HTML saying who sent it (the photographer), for
 * which link (its label), the code, and until when it works. No images, no links, no
 * tracking of any kind: a client can read it offline and forward it to nobody's gain.
 * @module
 */
import { escapeHtml } from '../../text/html'
import { formatCode } from '../signin/codes'

/** A message ready for the mail transport. */
export interface MailMessage {
  to: string
  subject: string
  text: string
  html: string
}

/** What the sign-in mail says. */
export interface SigninMailOptions {
  to: string
  code: string
  /** The photographer's name (the sender's display name). */
  photographer: string
  /** The link's label, or its session folder's name when it has none. */
  label: string
  expiresAt: Date
}

function clock(d: Date): string {
  return `${d.toISOString().slice(11, 16)} UTC`
}

/**
 * Composes the sign-in mail.
 *
 * @example
 * ```ts
 * signinMessage({ to: 'client@example.com', code: '01234567', photographer: 'Jane Doe Photography', label: 'Smith selects', expiresAt })
 * ```
 */
export function signinMessage(o: SigninMailOptions): MailMessage {
  const code = formatCode(o.code)
  const subject = `${code} is your code for “${o.label}” from ${o.photographer}`
  const text = [
    'Hello,',
    '',
    `${o.photographer} shared “${o.label}” with you. To open it, type this code on the page where you asked for it:`,
    '',
    `    ${code}`,
    '',
    `It works once, for 10 minutes (until ${clock(o.expiresAt)}).`,
    '',
    'If you did not ask for it, you can ignore this e-mail: nobody can open the files without this code.',
    '',
    `— sent for ${o.photographer} by Shutterproof`,
    '',
  ].join('\n')
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>
<body style="font-family:system-ui,-apple-system,'Segoe UI',sans-serif;color:#222;line-height:1.5">
<p>Hello,</p>
<p>${escapeHtml(o.photographer)} shared <strong>“${escapeHtml(o.label)}”</strong> with you. To open it, type this code on the page where you asked for it:</p>
<p style="font-size:28px;font-weight:bold;letter-spacing:4px;font-family:ui-monospace,Menlo,Consolas,monospace">${escapeHtml(code)}</p>
<p>It works once, for 10 minutes (until ${escapeHtml(clock(o.expiresAt))}).</p>
<p style="color:#666">If you did not ask for it, you can ignore this e-mail: nobody can open the files without this code.</p>
<p style="color:#666">— sent for ${escapeHtml(o.photographer)} by Shutterproof</p>
</body></html>
`
  return { to: o.to, subject, text, html }
}
