/**
 * S3 failures as typed errors whose messages say what to fix: refused credentials, a
 * missing bucket, a bucket these credentials may not use, a skewed clock, a server that
 * stayed unreachable through every retry.
 * @internal
 * @module
 */
import { CloudError, FileSystemError, ShutterproofError } from '../../errors'
import { retryReason, S3HttpError } from './client'

/** What a failed call was about, for the message. */
export interface CallContext {
  /** `s3://bucket/prefix` */
  location: string
  bucket: string
  endpoint: string
  region: string
  /** Where the credentials came from (never the keys). */
  credentials: string
  /** The operation, e.g. `upload objects/ab/ab12…`. */
  what: string
  attempts: number
}

const BAD_CREDENTIALS = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  'InvalidClientTokenId',
])
const DENIED = new Set(['AccessDenied', 'AllAccessDisabled', 'Forbidden', 'AccountProblem'])

/** `20261129T181745Z` (SigV4's form) or any date `Date.parse` reads. */
function parseTime(t: string | undefined): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(t ?? '')
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : Date.parse(t ?? '')
}

/** How far the signing clock (the request's time, else ours) is from the server's, in words. */
function skew(details: Record<string, string>): string {
  const server = parseTime(details.ServerTime ?? details.Date)
  if (!Number.isFinite(server)) return 'too far'
  const ours = parseTime(details.RequestTime)
  const minutes = Math.round(((Number.isFinite(ours) ? ours : Date.now()) - server) / 60_000)
  return `${Math.abs(minutes)} minutes ${minutes > 0 ? 'ahead of' : 'behind'}`
}

/** Turns whatever a call threw into a {@link ShutterproofError} naming the fix. */
export function toCloudError(err: unknown, c: CallContext): ShutterproofError {
  if (err instanceof ShutterproofError) return err
  const where = `${c.location} (${c.endpoint})`
  if (err instanceof S3HttpError) {
    const o = { cause: err, s3Code: err.s3Code, status: err.status }
    if (BAD_CREDENTIALS.has(err.s3Code)) {
      return new CloudError(
        'E_S3_BAD_CREDENTIALS',
        `${where}: the server refused the credentials from ${c.credentials} (${err.s3Code}); check the access key id and secret for this provider (and the region, ${c.region})`,
        o,
      )
    }
    if (err.s3Code === 'NoSuchBucket') {
      return new CloudError(
        'E_S3_NO_BUCKET',
        `${where}: bucket ${c.bucket} does not exist; create it in the provider's console (or: aws s3 mb s3://${c.bucket} --endpoint-url ${c.endpoint}), or correct the bucket name or --endpoint`,
        o,
      )
    }
    if (DENIED.has(err.s3Code)) {
      return new CloudError(
        'E_S3_ACCESS_DENIED',
        `${where}: the credentials from ${c.credentials} may not ${c.what} in bucket ${c.bucket} (${err.s3Code}); give them list, read, write and delete rights on it (s3:ListBucket, s3:GetObject, s3:PutObject, s3:DeleteObject, s3:AbortMultipartUpload, s3:ListBucketMultipartUploads; see docs/BACKUP.md)`,
        o,
      )
    }
    if (err.s3Code === 'RequestTimeTooSkewed') {
      return new CloudError(
        'E_S3_CLOCK_SKEW',
        `${where}: this computer's clock is ${skew(err.details)} the server's, which refuses the signature; set the clock right (turn on automatic time / NTP) and run again`,
        o,
      )
    }
    if (
      err.s3Code === 'AuthorizationHeaderMalformed' ||
      err.s3Code === 'PermanentRedirect' ||
      err.s3Code === 'IllegalLocationConstraintException'
    ) {
      return new CloudError(
        'E_S3',
        `${where}: the bucket is not in region ${c.region} or not at this endpoint (${err.s3Code}: ${err.message}); give its region with --region (or ?region= in the URL)`,
        o,
      )
    }
    const retried = retryReason(err) ? ` after ${c.attempts} attempts` : ''
    return new CloudError(
      'E_S3',
      `${where}: ${c.what} failed${retried}: HTTP ${err.status} ${err.s3Code}: ${err.message}`,
      o,
    )
  }
  const code = (err as NodeJS.ErrnoException)?.code
  // A key that holds an object of another size: the caller checks it as a local store would.
  if (code === 'E_EXISTS')
    return new FileSystemError('E_EXISTS', `${c.location}: ${(err as Error).message}`, { cause: err })
  if (retryReason(err)) {
    return new CloudError(
      'E_S3_UNREACHABLE',
      `${where}: ${c.what} failed after ${c.attempts} attempts (${code}: ${(err as Error).message}); check the network and the endpoint, then run again (completed objects are kept)`,
      { cause: err },
    )
  }
  if (code === 'ENOTFOUND') {
    return new CloudError(
      'E_S3_UNREACHABLE',
      `${where}: the endpoint's host name does not resolve (ENOTFOUND); check --endpoint and the network`,
      { cause: err },
    )
  }
  if (typeof code === 'string' && /^(ERR_TLS|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED)/.test(code)) {
    return new CloudError(
      'E_S3_UNREACHABLE',
      `${where}: the TLS certificate was not accepted (${code}); for a private CA set AWS_CA_BUNDLE (or NODE_EXTRA_CA_CERTS) to its PEM file`,
      { cause: err },
    )
  }
  return new CloudError('E_S3', `${where}: ${c.what} failed: ${(err as Error)?.message ?? String(err)}`, {
    cause: err,
  })
}
