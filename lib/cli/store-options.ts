/**
 * Command-line options of S3 stores (`--endpoint`, `--region`, `--path-style`,
 * `--profile`) and of transfers (`--bwlimit`, `--concurrency`, `--until`). Credentials
 * are never options: they come from the AWS environment and files.
 * @module
 */
import type { Command } from 'commander'

import type { S3StoreOptions } from '../backup/s3-backend'
import type { CliContext } from './context'

export interface S3CliOptions {
  endpoint?: string
  region?: string
  pathStyle?: boolean
  profile?: string
  bwlimit?: string
  concurrency?: string
}

/** Adds the S3 location options to a command that takes a store. */
export function s3Options(cmd: Command): Command {
  return cmd
    .option(
      '--endpoint <url>',
      'S3-compatible server for s3:// stores (else AWS_ENDPOINT_URL_S3, the profile, or AWS)',
    )
    .option('--region <region>', 'signing region for s3:// stores (else AWS_REGION or the profile)')
    .option('--path-style', 'address s3:// buckets as ENDPOINT/BUCKET (MinIO, versitygw, IP endpoints)')
    .option('--profile <name>', 'AWS profile for s3:// credentials (~/.aws/credentials, ~/.aws/config)')
}

/** Adds `--bwlimit` and `--concurrency`. */
export function transferOptions(cmd: Command): Command {
  return cmd
    .option(
      '--bwlimit <rate>',
      'at most this many bytes a second to or from object storage, all transfers together (e.g. 20MB/s, 500KiB/s)',
    )
    .option('--concurrency <n>', 'files (and parts of one large object) transferred at once')
}

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1e3,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1e6,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1e9,
  gib: 1024 ** 3,
}

/**
 * `20MB/s` → 20,000,000 bytes a second. KB/MB/GB are decimal, KiB/MiB/GiB and the bare
 * letters K/M/G binary (as rclone reads them); `/s` is optional.
 */
export function parseRate(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*(?:\/s)?\s*$/i.exec(text)
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined
  if (!m || unit === undefined) return undefined
  const rate = Number(m[1]) * unit
  return rate > 0 ? Math.round(rate) : undefined
}

/** `06:00` → the next 06:00 (today or tomorrow, local time); an ISO date-time as it is. */
export function parseUntil(text: string, now = new Date()): Date | undefined {
  const hm = /^(\d{1,2}):(\d{2})$/.exec(text.trim())
  if (hm) {
    const [h, m] = [Number(hm[1]), Number(hm[2])]
    if (h > 23 || m > 59) return undefined
    const d = new Date(now)
    d.setHours(h, m, 0, 0)
    if (d.getTime() <= now.getTime()) d.setDate(d.getDate() + 1)
    return d
  }
  const t = Date.parse(text)
  return Number.isFinite(t) && /\d{4}-\d{2}-\d{2}T/.test(text) ? new Date(t) : undefined
}

/** The positive whole number of `--concurrency`, or a usage error. */
export function parseConcurrency(opts: S3CliOptions, ctx: CliContext): number | undefined {
  if (opts.concurrency === undefined) return undefined
  const n = Number(opts.concurrency)
  if (!Number.isSafeInteger(n) || n < 1 || n > 64)
    ctx.usageError(`--concurrency needs a whole number from 1 to 64, not ${opts.concurrency}`)
  return n
}

/** S3 settings from the options; every retry is reported on stderr. */
export function s3StoreOptions(opts: S3CliOptions, ctx: CliContext): S3StoreOptions {
  const out: S3StoreOptions = {
    onRetry: (e) =>
      ctx.stderr(
        `shutterproof: ${e.what}: ${e.reason}; retry ${e.attempt - 1} of ${e.attempts - 1} in ${(e.delayMs / 1000).toFixed(1)} s\n`,
      ),
  }
  if (opts.endpoint !== undefined) out.endpoint = opts.endpoint
  if (opts.region !== undefined) out.region = opts.region
  if (opts.pathStyle) out.pathStyle = true
  if (opts.profile !== undefined) out.profile = opts.profile
  if (opts.bwlimit !== undefined) {
    const rate = parseRate(opts.bwlimit)
    if (rate === undefined)
      ctx.usageError(`--bwlimit ${opts.bwlimit} is not a rate; write e.g. 20MB/s or 500KiB/s`)
    out.bwlimit = rate
  }
  const n = parseConcurrency(opts, ctx)
  if (n !== undefined) out.concurrency = n
  return out
}
