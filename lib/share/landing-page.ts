/**
 * The pages a client sees besides the gallery (see gallery/): the password form and short messages.
 * Self-contained HTML (no scripts, fonts, images or other requests), served under a
 * strict Content-Security-Policy whose only allowance is this module's stylesheet, by hash.
 * @module
 */
import { createHash } from 'node:crypto'

import { escapeHtml } from '../text/html'
import { PRIVATE_PAGE_META } from './page-head'

const STYLE = `
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f6f5f2;color:#222}
main{max-width:44rem;margin:3rem auto;padding:0 1.25rem}
h1{font-size:1.5rem;margin:0 0 .25rem}
p.meta{color:#666;margin:0 0 1.5rem}
a{color:#0b57d0}
.button,button{display:inline-block;background:#0b57d0;color:#fff;border:0;border-radius:6px;padding:.55rem 1rem;font:inherit;text-decoration:none;cursor:pointer}
input{font:inherit;padding:.5rem;border:1px solid #bbb;border-radius:6px;width:16rem;max-width:100%}
.error{color:#b3261e}
`

/** The Content-Security-Policy of every page. */
export const PAGE_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ')

/** A whole page around `body` (HTML), with the shared stylesheet; other page modules (./signin-pages.ts) use it too. */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
${PRIVATE_PAGE_META}
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body><main>
${body}
</main></body>
</html>
`
}

/** The password form; `message` says why it is shown again. */
export function renderPasswordForm(options: { action: string; message?: string }): string {
  return page(
    'Password needed',
    `<h1>Password needed</h1>
<p class="meta">The photographer protected these files with a password. They sent it to you separately.</p>
${options.message ? `<p class="error">${escapeHtml(options.message)}</p>` : ''}
<form method="post" action="${escapeHtml(options.action)}">
<p><label>Password<br><input type="password" name="password" autocomplete="current-password" required autofocus></label></p>
<p><button type="submit">Open</button></p>
</form>`,
  )
}

/** A short page with a heading and one sentence. */
export function renderMessage(title: string, text: string): string {
  return page(title, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(text)}</p>`)
}
