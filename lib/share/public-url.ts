/**
 * The public URL: where clients reach the share server (through a reverse proxy, or
 * directly with TLS). Every printed link starts with it; its path, if any, is the base
 * path the server is mounted under.
 * @module
 */
import { isIP } from 'node:net'

import { InvalidArgumentError } from '../errors'

/**
 * Checks a public URL and returns it without a trailing slash: `http:` or `https:`, a
 * host, an optional path; no query, fragment or user name.
 *
 * @example
 * ```ts
 * publicUrlOf('https://photos.example.com/')       // 'https://photos.example.com'
 * publicUrlOf('https://example.com/photos/')       // 'https://example.com/photos'
 * ```
 */
export function publicUrlOf(value: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new InvalidArgumentError(
      `The public URL ${JSON.stringify(value)} is not a URL; give e.g. https://photos.example.com`,
    )
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new InvalidArgumentError(`The public URL ${value} must start with https:// (or http://)`)
  if (url.search || url.hash || url.username || url.password) {
    throw new InvalidArgumentError(
      `The public URL ${value} must have no query, fragment or user name: only scheme, host and an optional path`,
    )
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`
}

/** The path part of a public URL (`''` at the root, else `/photos`): the base path the server answers under. */
export function publicPath(publicUrl: string): string {
  return new URL(publicUrl).pathname.replace(/\/+$/, '')
}

/**
 * A warning when links starting with `publicUrl` could only be opened on this machine
 * (a loopback or unspecified address, or `localhost`); `undefined` otherwise.
 *
 * @example
 * ```ts
 * loopbackWarning('http://127.0.0.1:8765')  // 'links point to http://127.0.0.1:8765, …'
 * ```
 */
export function loopbackWarning(publicUrl: string): string | undefined {
  const host = new URL(publicUrl).hostname.replace(/^\[|\]$/g, '').toLowerCase()
  const local =
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    (isIP(host) === 4 && (host.startsWith('127.') || host === '0.0.0.0')) ||
    (isIP(host) === 6 && (host === '::1' || host === '::' || /^::ffff:127\./.test(host)))
  if (!local) return undefined
  return `links point to ${publicUrl}, which only this machine can open; set the address clients use with --public-url https://photos.example.com (or publicUrl in share.json in the share home)`
}
