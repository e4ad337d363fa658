/**
 * Headers every share response carries (errors and robots.txt included), and the
 * `Content-Disposition` of downloads.
 * @module
 */
import type { ServerResponse } from 'node:http'

/** Headers set on every response of the share handler. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Robots-Tag': 'noindex, nofollow, noarchive',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'private, no-store',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Resource-Policy': 'same-origin',
  // Pages set their own, stricter-for-them policy; anything else renders nothing.
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'; sandbox",
}

/** Sets {@link SECURITY_HEADERS} on a response. */
export function setSecurityHeaders(res: ServerResponse): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value)
}

/**
 * `attachment` with an ASCII fallback `filename` and the exact name as RFC 5987
 * `filename*` (RFC 6266).
 *
 * @example
 * ```ts
 * contentDisposition('Café 01.jpg')  // attachment; filename="Caf_ 01.jpg"; filename*=UTF-8''Caf%C3%A9%2001.jpg
 * ```
 */
export function contentDisposition(filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_')
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase(),
  )
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`
}

const TYPES: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  avif: 'image/avif',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  heic: 'image/heic',
  mp4: 'video/mp4',
  mov: 'video/quicktime',
  pdf: 'application/pdf',
  zip: 'application/zip',
}

/** The media type of a download, by extension; `application/octet-stream` when unknown. */
export function contentType(filename: string): string {
  const ext = /\.([A-Za-z0-9]+)$/.exec(filename)?.[1]?.toLowerCase()
  return (ext && TYPES[ext]) || 'application/octet-stream'
}
