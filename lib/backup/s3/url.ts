/**
 * `s3://BUCKET/PREFIX` store locations. Settings that can't be guessed from the bucket
 * (endpoint, region, addressing, profile) come from options, the URL's query
 * (`?endpoint=…&region=…&path-style=1&profile=…`, for places where only a location fits,
 * like `status --store`), or the standard AWS environment and config files.
 * @internal
 * @module
 */
import { InvalidArgumentError } from '../../errors'

/** Settings of an S3-compatible store that do not come from its URL path. */
export interface S3Settings {
  /** `https://s3.us-west-004.backblazeb2.com`, `http://127.0.0.1:7070`… (default: AWS for the region). */
  endpoint?: string
  /** Signing region (default: the profile's, `AWS_REGION`, else `us-east-1`). */
  region?: string
  /** `https://endpoint/bucket/key` instead of `https://bucket.endpoint/key`. */
  pathStyle?: boolean
  /** The profile in `~/.aws/config` / `~/.aws/credentials` (default `AWS_PROFILE`, else `default`). */
  profile?: string
}

/** A parsed `s3://` location. */
export interface S3Location extends S3Settings {
  bucket: string
  /** Key prefix without leading or trailing `/` (may be empty). */
  prefix: string
  /** `s3://bucket/prefix`, as shown in messages and kept in catalogs (no query). */
  display: string
}

/** Whether a store location names an S3-compatible bucket. */
export function isS3Location(location: string): boolean {
  return /^s3:\/\//i.test(location)
}

// S3's rules (3-63 characters, lower case, digits, dots and hyphens), checked so that a typo
// is named here rather than as a signature error from the server.
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/

/** Parses `s3://BUCKET[/PREFIX][?endpoint=…&region=…&path-style=1&profile=…]`. */
export function parseS3Url(location: string): S3Location {
  const m = /^s3:\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?$/i.exec(location)
  if (!m) throw new InvalidArgumentError(`${location} is not an s3:// location; write s3://BUCKET/PREFIX`)
  const bucket = m[1]!
  if (!BUCKET.test(bucket))
    throw new InvalidArgumentError(
      `${location}: "${bucket}" is not a valid bucket name (3-63 lower-case letters, digits, dots or hyphens)`,
    )
  const prefix = m[2]!.split('/').filter((p) => p !== '')
  if (prefix.some((p) => p === '.' || p === '..'))
    throw new InvalidArgumentError(`${location}: the prefix may not hold . or .. parts`)
  const out: S3Location = {
    bucket,
    prefix: prefix.join('/'),
    display: `s3://${bucket}${prefix.length ? '/' + prefix.join('/') : ''}`,
  }
  for (const [key, value] of new URLSearchParams(m[3] ?? '')) {
    if (key === 'endpoint') out.endpoint = value
    else if (key === 'region') out.region = value
    else if (key === 'profile') out.profile = value
    else if (key === 'path-style') out.pathStyle = !['0', 'false', 'no'].includes(value.toLowerCase())
    else
      throw new InvalidArgumentError(
        `${location}: unknown setting "${key}" (known: endpoint, region, path-style, profile)`,
      )
  }
  return out
}

/** Checks an endpoint URL and returns it without a trailing `/`. */
export function checkEndpoint(endpoint: string): URL {
  let url: URL
  try {
    url = new URL(endpoint)
  } catch {
    throw new InvalidArgumentError(
      `endpoint ${endpoint} is not a URL; write e.g. https://s3.us-west-004.backblazeb2.com`,
    )
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new InvalidArgumentError(`endpoint ${endpoint}: use an http:// or https:// URL`)
  if (url.username || url.password)
    throw new InvalidArgumentError(
      `endpoint ${url.host}: never put credentials in the endpoint; use the AWS credentials file or environment`,
    )
  if ((url.pathname !== '/' && url.pathname !== '') || url.search)
    throw new InvalidArgumentError(
      `endpoint ${endpoint}: give the server only (scheme, host and port), without a path`,
    )
  return url
}

/** True for an IP address or `localhost`, where virtual-hosted bucket names cannot resolve. */
export function isBareHost(hostname: string): boolean {
  return hostname === 'localhost' || /^\d{1,3}(\.\d{1,3}){3}$/.test(hostname) || hostname.startsWith('[')
}
