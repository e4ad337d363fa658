/**
 * The gallery: the landing page of a share link. A responsive grid of thumbnails
 * (lazy-loaded) that open in a lightbox (← → Esc, swipe), photo names rather than camera
 * paths, the expiry in the viewer's local time, the photographer's name and the share's
 * label at the top, a download link per photo, and "download all" for full-resolution
 * shares only. Everything comes from the handler itself: the stylesheet and script are
 * embedded and allowed by hash in {@link galleryCsp}; pictures load from the share's own
 * URL (`img-src 'self'`), never from elsewhere; the favicon is an empty `data:` URL.
 *
 * Structure (for anything built on top of the page, such as browser-side decryption):
 *
 * ```
 * header.g-head     p.g-by (photographer) · h1 (label) · p.g-meta (count, time[data-local] expiry, scope)
 *                   p.g-actions > a.button.g-all (full scope only)
 * main > ul#gallery.g-grid > li.g-item[data-index][data-name][data-download][data-view?]
 *                   a.g-open[href=v/n] > img[src=t/n][loading=lazy]   (or div.g-none when no picture)
 *                   p.g-caption > span.g-name, a.g-download[href=f/n], span.g-size
 * div#lightbox.g-lightbox[hidden]  img.g-lb-img, buttons .g-lb-prev/.g-lb-next/.g-lb-close,
 *                   div.g-lb-bar > span.g-lb-name, a.g-lb-download
 * ```
 *
 * Every URL in the page is relative to the share's own URL (`self` + `t/0`), so the page
 * works wherever the handler is mounted.
 * @module
 */
import { escapeHtml } from '../../text/html'
import { formatBytes } from '../../text/units'
import { GALLERY_CSS, GALLERY_JS } from './assets'
import { PRIVATE_PAGE_META } from '../page-head'

/** One photo (or other file) of the gallery. */
export interface GalleryItem {
  /** The item's index in the share (`f/<index>`, `t/<index>`, `v/<index>`). */
  index: number
  /** The name a person knows the photo by, e.g. `IMG_0001`. */
  name: string
  /** What the download is, e.g. `JPEG preview`, `RAW`, `video`. */
  label: string
  /** Bytes of the download; absent when the file is unavailable. */
  size?: number
  /** Whether `t/<index>` has a thumbnail. */
  thumbnail: boolean
  /** Whether `v/<index>` has a picture for the lightbox. */
  view: boolean
}

/** What the gallery shows. */
export interface GalleryModel {
  /** The share's label, or the session's folder name. */
  title: string
  /** The photographer or studio, shown above the title. */
  photographer?: string
  scope: 'preview' | 'full'
  expiresAt: Date
  items: readonly GalleryItem[]
  /** The relative prefix that reaches the share's URL from the page's (`''` or `'<token>/'`). */
  self: string
}

/** The Content-Security-Policy of the gallery page: its own style and script by hash, pictures from the same origin (and the empty `data:` favicon). */
export function galleryCsp(): string {
  return [
    "default-src 'none'",
    // data: only for the empty favicon, which keeps the browser from asking the server's root for one.
    "img-src 'self' data:",
    `style-src ${GALLERY_CSS.hash}`,
    `script-src ${GALLERY_JS.hash}`,
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ')
}

function tile(item: GalleryItem, self: string): string {
  const name = escapeHtml(item.name)
  const t = escapeHtml(`${self}t/${item.index}`)
  const v = escapeHtml(`${self}v/${item.index}`)
  const f = escapeHtml(`${self}f/${item.index}`)
  const picture = item.thumbnail
    ? `<a class="g-open" href="${v}"><img src="${t}" alt="${name}" loading="lazy" decoding="async"></a>`
    : `<div class="g-none">${escapeHtml(item.label)}</div>`
  const size =
    item.size === undefined
      ? `${escapeHtml(item.label)} · unavailable`
      : `${escapeHtml(item.label)} · ${formatBytes(item.size)}`
  const download = item.size === undefined ? '' : `<a class="g-download" href="${f}" download>Download</a>`
  return (
    `<li class="g-item" data-index="${item.index}" data-name="${name}" data-download="${f}"${item.view && item.thumbnail ? ` data-view="${v}"` : ''}>` +
    `${picture}<p class="g-caption"><span class="g-name">${name}</span>${download}<span class="g-size">${size}</span></p></li>`
  )
}

/**
 * The gallery page's HTML.
 *
 * @example
 * ```ts
 * res.setHeader('Content-Security-Policy', galleryCsp())
 * res.end(renderGallery({ title: 'Smith wedding', photographer: 'Ada Studio', scope: 'preview', expiresAt, items, self: token + '/' }))
 * ```
 */
export function renderGallery(model: GalleryModel): string {
  const count = model.items.length
  const total = model.items.reduce((n, i) => n + (i.size ?? 0), 0)
  const all =
    model.scope === 'full'
      ? `<p class="g-actions"><a class="button g-all" href="${escapeHtml(model.self)}all.tar" download>Download all (.tar, ${formatBytes(total)})</a></p>`
      : ''
  return `<!doctype html>
<html lang="en">
<head>
${PRIVATE_PAGE_META}
<link rel="icon" href="data:,">
<title>${escapeHtml(model.title)}</title>
<style>${GALLERY_CSS.text}</style>
</head>
<body>
<header class="g-head">
${model.photographer ? `<p class="g-by">${escapeHtml(model.photographer)}</p>\n` : ''}<h1>${escapeHtml(model.title)}</h1>
<p class="g-meta">${count} ${count === 1 ? 'photo' : 'photos'} · ${model.scope === 'full' ? 'full resolution' : 'previews'} · available until <time datetime="${model.expiresAt.toISOString()}" data-local>${escapeHtml(model.expiresAt.toUTCString())}</time></p>
${all}</header>
<main>
<ul class="g-grid" id="gallery">
${model.items.map((i) => tile(i, model.self)).join('\n')}
</ul>
</main>
<div class="g-lightbox" id="lightbox" role="dialog" aria-modal="true" aria-label="Photo viewer" hidden>
<img class="g-lb-img" alt="">
<button type="button" class="g-lb-btn g-lb-prev" aria-label="Previous photo">&#8249;</button>
<button type="button" class="g-lb-btn g-lb-next" aria-label="Next photo">&#8250;</button>
<button type="button" class="g-lb-btn g-lb-close" aria-label="Close">&#215;</button>
<div class="g-lb-bar"><span class="g-lb-name"></span><a class="g-lb-download" download>Download</a></div>
</div>
<script>${GALLERY_JS.text}</script>
</body>
</html>
`
}
