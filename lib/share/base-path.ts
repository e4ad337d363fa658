/**
 * Mounting under a prefix: with a base path of `/share`, the handler answers
 * `/share/s/<token>` and writes `/share/…` into every form action, redirect, cookie path
 * and link. Express's `app.use('/share', handler)` strips the prefix itself and says so
 * in `req.baseUrl`, which is used when present.
 * @module
 */
import type { IncomingMessage } from 'node:http'

import { InvalidArgumentError } from '../errors'

/**
 * Checks a base path and returns it in canonical form: `''` for none, else `/a/b` (a
 * leading slash, no trailing one, no `.`/`..`/empty segments, nothing to escape).
 *
 * @example
 * ```ts
 * normalizeBasePath('/share/')  // '/share'
 * normalizeBasePath('/')        // ''
 * ```
 */
export function normalizeBasePath(value: string | undefined): string {
  if (value === undefined || value === '' || value === '/') return ''
  const trimmed = value.replace(/\/+$/, '')
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(trimmed) || trimmed.split('/').some((s) => s === '.' || s === '..')) {
    throw new InvalidArgumentError(
      `basePath ${JSON.stringify(value)} must look like /share (letters, digits, . _ ~ - between slashes)`,
    )
  }
  return trimmed
}

/**
 * The request's path below the mount point (query removed), and the prefix links must
 * carry; `undefined` when the path is not under the base path.
 */
export function mountedPath(
  req: IncomingMessage,
  basePath: string,
): { path: string; prefix: string } | undefined {
  const raw = (req.url ?? '/').split('?')[0]!
  // Express has already removed its mount path from req.url and keeps it in req.baseUrl.
  const expressBase = (req as { baseUrl?: unknown }).baseUrl
  if (typeof expressBase === 'string' && expressBase !== '')
    return { path: raw, prefix: expressBase.replace(/\/+$/, '') }
  if (basePath === '') return { path: raw, prefix: '' }
  if (raw !== basePath && !raw.startsWith(basePath + '/')) return undefined
  return { path: raw.slice(basePath.length) || '/', prefix: basePath }
}
