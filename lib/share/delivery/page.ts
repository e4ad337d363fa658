/**
 * The delivery page's HTML and its Content-Security-Policy. The page is the same for
 * every link and holds nothing secret: names and sizes come from the sealed list, which
 * only the key in the fragment opens. Scripts and stylesheet are same-origin files with
 * SRI hashes; nothing may load or connect anywhere but the share server.
 * @internal
 * @module
 */
import { deliveryAssets } from './assets'
import { PRIVATE_PAGE_META } from '../page-head'

/** The page's policy: its own files only, connections to the share server only, no frames, no forms elsewhere. */
export const DELIVERY_CSP = [
  "default-src 'none'",
  // wasm-unsafe-eval: Argon2id (hash-wasm) is WebAssembly; it allows compiling wasm, not evaluating JavaScript.
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "connect-src 'self'",
  "worker-src 'self'",
  // Downloads start as a hidden frame's navigation, which the service worker answers.
  "frame-src 'self'",
  "img-src 'self' data:",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ')

/** The service worker's policy: it may import its two scripts and fetch from the share server, nothing else. */
export const WORKER_CSP = "default-src 'none'; script-src 'self'; connect-src 'self'"

let html: string | undefined

/** The page; every URL in it is relative to `/d/` (`../d/page.js` from `/d/<token>` is `/d/page.js`). */
export function deliveryPage(): string {
  const a = deliveryAssets()
  html ??= `<!doctype html>
<html lang="en">
<head>
${PRIVATE_PAGE_META}
<link rel="icon" href="data:,">
<title>Encrypted delivery</title>
<link rel="stylesheet" href="page.css" integrity="${a['page.css']!.integrity}">
</head>
<body>
<h1>Encrypted delivery</h1>
<p id="meta"></p>
<p id="status" role="status" aria-live="polite" data-state="busy">Opening the delivery with the key in this link…</p>
<form id="password" hidden>
<label for="pw">This delivery needs a password</label>
<input id="pw" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Open</button>
</form>
<form id="passphrase" hidden>
<label for="pp">Passphrase (sent to you separately, e.g. by text message)</label>
<input id="pp" name="passphrase" type="password" autocomplete="off" required>
<button type="submit">Unlock</button>
</form>
<button id="all" type="button" hidden>Download all</button>
<ul id="files"></ul>
<noscript><p>This page decrypts the files in your browser: turn JavaScript on to download them.</p></noscript>
<script src="argon2.js" integrity="${a['argon2.js']!.integrity}"></script>
<script src="sealed.js" integrity="${a['sealed.js']!.integrity}"></script>
<script src="page.js" integrity="${a['page.js']!.integrity}"></script>
</body>
</html>
`
  return html
}
