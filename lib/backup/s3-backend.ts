/**
 * A backup store in an S3-compatible bucket (AWS S3, Backblaze B2, Cloudflare R2, Wasabi,
 * MinIO, Ceph, versitygw…). The same layout as a folder store under a key prefix; only
 * sealed bytes and opaque names leave the machine. Objects are never overwritten
 * (`If-None-Match: *`), every upload carries a SHA-256 the server verifies, large ones
 * go multipart and resume after a crash, and transfers share one `--bwlimit`.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, open, readdir, readFile, rm, stat } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'

import { FileSystemError, InvalidArgumentError } from '../errors'
import type { LocalObjectFile, PutWithOptions, StoreBackend } from './backend'
import { S3Client, S3HttpError, xml } from './s3/client'
import {
  credentialCache,
  findCredentials,
  loadProfile,
  type AwsEnvironment,
  type Credentials,
} from './s3/credentials'
import { toCloudError, type CallContext } from './s3/errors'
import { abortUpload, listUploads, uploadFile, type PendingUpload } from './s3/multipart'
import { DEFAULT_RETRY, type RetryEvent, type RetryPolicy } from './s3/retry'
import { TokenBucket } from './s3/token-bucket'
import { checkEndpoint, isBareHost, parseS3Url, type S3Location, type S3Settings } from './s3/url'

export { isS3Location, type S3Settings } from './s3/url'
export type { RetryEvent, RetryPolicy } from './s3/retry'

const MiB = 1024 * 1024

/** Options of an S3 store (see docs/BACKUP.md for providers' endpoints). */
export interface S3StoreOptions extends S3Settings {
  /**
   * Where sealed files wait for upload (they hold ciphertext only). Kept after a crash, so
   * that the next run resumes the upload. Default: `SHUTTERPROOF_STAGING_DIR`, else
   * `~/.cache/shutterproof/s3-staging`.
   */
  stagingDir?: string
  /** Multipart part size in bytes (default 16 MiB; at least 5 MiB). */
  partSize?: number
  /** Files of at least this many bytes go multipart (default 32 MiB). */
  multipartThreshold?: number
  /** Parts of one object uploaded at once (default 4). */
  concurrency?: number
  /** Bytes per second for all uploads together, and again for all downloads (default: no limit). */
  bwlimit?: number
  /** Attempts and back-off for requests that can succeed later. */
  retry?: Partial<RetryPolicy>
  /** Told about every retry (the CLI prints them). */
  onRetry?: (e: RetryEvent) => void
  /** @internal Added to the clock when signing (tests of a skewed clock). */
  clockOffsetMs?: number
  /** @internal A request with no byte moving for this long fails and is retried (default 120 s). */
  idleTimeoutMs?: number
  /** @internal Environment and home folder for the credential chain (tests). */
  aws?: AwsEnvironment
}

/** One incomplete multipart upload, as `store gc` lists it. */
export interface PendingUploadInfo {
  /** Key relative to the store, e.g. `objects/ab/ab12…`. */
  key: string
  initiated: string
  /** Whether this machine still holds the sealed file, so that a backup can resume it. */
  resumable: boolean
}

function stagingRoot(options: S3StoreOptions, loc: S3Location, endpoint: string): string {
  const base =
    options.stagingDir ??
    process.env.SHUTTERPROOF_STAGING_DIR ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'shutterproof', 's3-staging')
  // One folder per store, named by a hash: no bucket names in the cache's file names.
  const id = createHash('sha256')
    .update(`${endpoint}\0${loc.bucket}\0${loc.prefix}`)
    .digest('hex')
    .slice(0, 16)
  return join(base, id)
}

/** Staging locks this process holds (two stores of one process may stage the same object). */
const heldHere = new Set<string>()

/** True unless `pid` certainly names no process here. */
function alive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH'
  }
}

/**
 * Opens an S3 store location: resolves endpoint, region and credentials, and checks with
 * one listing that the bucket exists and the credentials may use it.
 *
 * @example
 * ```ts
 * const backend = await openS3Backend('s3://studio-backup/offsite', { endpoint: 'https://s3.us-west-004.backblazeb2.com', region: 'us-west-004' })
 * const store = await openStore(backend.location, { vault, backend })
 * ```
 * @throws `E_S3_NO_CREDENTIALS`, `E_S3_BAD_CREDENTIALS`, `E_S3_NO_BUCKET`, `E_S3_ACCESS_DENIED`, `E_S3_CLOCK_SKEW`, `E_S3_UNREACHABLE`
 */
export async function openS3Backend(location: string, options: S3StoreOptions = {}): Promise<S3Backend> {
  const backend = await newBackend(location, options)
  await backend.probe()
  return backend
}

/**
 * @internal Creates the bucket of an `s3://` location (tests and the demo; stores never
 * create buckets: that is the provider's console's job, with its region and policies).
 */
export async function createS3Bucket(location: string, options: S3StoreOptions = {}): Promise<void> {
  const backend = await newBackend(location, options)
  try {
    await backend.createBucket()
  } finally {
    backend.close()
  }
}

async function newBackend(location: string, options: S3StoreOptions): Promise<S3Backend> {
  const loc = parseS3Url(location)
  const aws = options.aws ?? { env: process.env, home: homedir() }
  const pick = <K extends keyof S3Settings>(k: K): S3Settings[K] => loc[k] ?? options[k]
  const profile = await loadProfile(pick('profile'), aws)
  const s = profile.settings
  const region = pick('region') ?? aws.env.AWS_REGION ?? aws.env.AWS_DEFAULT_REGION ?? s.region ?? 'us-east-1'
  const endpoint = checkEndpoint(
    pick('endpoint') ??
      aws.env.AWS_ENDPOINT_URL_S3 ??
      aws.env.AWS_ENDPOINT_URL ??
      s['s3.endpoint_url'] ??
      s.endpoint_url ??
      `https://s3.${region}.amazonaws.com`,
  )
  const pathStyle =
    pick('pathStyle') ??
    (s['s3.addressing_style'] === 'path'
      ? true
      : s['s3.addressing_style'] === 'virtual'
        ? false
        : isBareHost(endpoint.hostname))
  if (!pathStyle && loc.bucket.includes('.') && endpoint.protocol === 'https:') {
    throw new InvalidArgumentError(
      `${loc.display}: a bucket name with dots does not fit a TLS certificate as a host name; add --path-style (or ?path-style=1)`,
    )
  }
  for (const [name, v] of [
    ['partSize', options.partSize],
    ['multipartThreshold', options.multipartThreshold],
    ['concurrency', options.concurrency],
    ['bwlimit', options.bwlimit],
  ] as const) {
    if (v !== undefined && !(Number.isFinite(v) && v > 0))
      throw new InvalidArgumentError(`${name} must be a positive number, not ${String(v)}`)
  }
  const creds = await findCredentials(profile, aws)
  const credentials = creds.expiration
    ? credentialCache(() => findCredentials(profile, aws))
    : async (): Promise<Credentials> => creds
  return new S3Backend(loc, endpoint, region, pathStyle, credentials, creds.source, options)
}

/** An S3-compatible bucket (under a prefix) as a {@link StoreBackend}. Get one from {@link openS3Backend}. */
export class S3Backend implements StoreBackend {
  readonly location: string
  /** More files in flight than on a local drive: one can seal while others wait on the network. */
  readonly defaultConcurrency = 4
  /** Requests retried so far (each also reported through `onRetry`). */
  retries = 0
  /** Multipart parts that earlier, interrupted runs had uploaded and this one reused. */
  resumedParts = 0
  /** Object bytes this backend sent (retries included, resumed parts not). */
  bytesUploaded = 0
  readonly #client: S3Client
  readonly #loc: S3Location
  readonly #ctx: Omit<CallContext, 'what'>
  readonly #staging: string
  readonly #options: S3StoreOptions

  /** @internal */
  constructor(
    loc: S3Location,
    endpoint: URL,
    region: string,
    pathStyle: boolean,
    credentials: () => Promise<Credentials>,
    source: string,
    options: S3StoreOptions,
  ) {
    this.location = loc.display
    this.#loc = loc
    this.#options = options
    const retry = { ...DEFAULT_RETRY, ...(options.retry ?? {}) }
    this.#ctx = {
      location: loc.display,
      bucket: loc.bucket,
      endpoint: endpoint.origin,
      region,
      credentials: source,
      attempts: retry.attempts,
    }
    this.#client = new S3Client({
      endpoint,
      region,
      pathStyle,
      bucket: loc.bucket,
      credentials,
      retry,
      onRetry: (e) => {
        this.retries++
        options.onRetry?.({ ...e, what: e.what.replace(`${this.#loc.prefix}/`, '') })
      },
      uploadLimit: options.bwlimit ? new TokenBucket(options.bwlimit) : undefined,
      downloadLimit: options.bwlimit ? new TokenBucket(options.bwlimit) : undefined,
      clockOffsetMs: options.clockOffsetMs,
      idleTimeoutMs: options.idleTimeoutMs,
    })
    this.#staging = stagingRoot(options, loc, endpoint.origin)
  }

  /** @internal The signed client (tests and the demo make buckets with it). */
  get client(): S3Client {
    return this.#client
  }

  #key(key: string): string {
    if (key !== '' && key.split('/').some((p) => p === '' || p === '.' || p === '..'))
      throw new Error(`bad store key ${key}`)
    return this.#loc.prefix ? (key ? `${this.#loc.prefix}/${key}` : this.#loc.prefix) : key
  }

  async #call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      throw toCloudError(err, { ...this.#ctx, what })
    }
  }

  /** @internal One listing: the bucket exists and these credentials may list it. */
  async probe(): Promise<void> {
    await this.#call('list objects', () =>
      this.#client.request({
        method: 'GET',
        query: { 'list-type': '2', 'max-keys': '1', prefix: this.#loc.prefix ? this.#loc.prefix + '/' : '' },
      }),
    )
  }

  /** Whether the prefix holds no object at all (for `store init`). */
  async isEmpty(): Promise<boolean> {
    const r = await this.#call('list objects', () =>
      this.#client.request({
        method: 'GET',
        query: { 'list-type': '2', 'max-keys': '1', prefix: this.#loc.prefix ? this.#loc.prefix + '/' : '' },
      }),
    )
    return !/<Key>/.test(r.body.toString('utf8'))
  }

  async stat(key: string) {
    const r = await this.#call(`read ${key}`, () =>
      this.#client.request({ method: 'HEAD', key: this.#key(key), accept: [404] }),
    )
    if (r.status === 404) return undefined
    return {
      size: Number(r.headers['content-length']),
      mtimeMs: Date.parse(String(r.headers['last-modified'])),
    }
  }

  async getBytes(key: string): Promise<Buffer> {
    const r = await this.#call(`read ${key}`, () =>
      this.#client.request({ method: 'GET', key: this.#key(key), accept: [404] }),
    )
    if (r.status === 404) throw this.#missing(key, r.body)
    return r.body
  }

  #missing(key: string, body: Buffer): Error {
    if (/<Code>NoSuchBucket</.test(body.toString('utf8')))
      return toCloudError(new S3HttpError(404, 'NoSuchBucket', 'The specified bucket does not exist', {}), {
        ...this.#ctx,
        what: `read ${key}`,
      })
    return new FileSystemError('ENOENT', `${this.location}/${key} does not exist`, {
      path: `${this.location}/${key}`,
    })
  }

  async putBytes(key: string, data: Uint8Array, options: { replace?: boolean } = {}): Promise<void> {
    const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    const r = await this.#call(`write ${key}`, () =>
      this.#client.request({
        method: 'PUT',
        key: this.#key(key),
        headers: options.replace
          ? { 'content-type': 'application/octet-stream' }
          : { 'if-none-match': '*', 'content-type': 'application/octet-stream' },
        body: { buffer },
        sha256: createHash('sha256').update(buffer).digest(),
        accept: [412],
      }),
    )
    // The same error as a local folder's (a Node-style EEXIST).
    if (r.status === 412)
      throw Object.assign(new Error(`${this.location}/${key} already exists`), { code: 'EEXIST' })
  }

  /**
   * Seals into a staging file (named by the object, so that a crashed run's upload can be
   * resumed: `options.reuse` says whether a staging file left behind is still good), then
   * uploads it; the staging file is removed once the object is in the bucket.
   */
  async putWith(
    key: string,
    write: (localPath: string) => Promise<void>,
    options: PutWithOptions = {},
  ): Promise<void> {
    await mkdir(this.#staging, { recursive: true })
    const name = key.replace(/\//g, '_')
    let path = join(this.#staging, name)
    let lock: string | undefined = `${path}.lock`
    if (!(await this.#lock(lock))) {
      // Another live process here stages the same object: go our own way (not resumable).
      path = join(this.#staging, `${name}.${randomBytes(6).toString('hex')}.tmp`)
      lock = undefined
    }
    let keep = false
    try {
      const left = await stat(path).then(
        (s) => s.isFile(),
        () => false,
      )
      const reuse = left && options.reuse ? await options.reuse(path) : false
      if (!reuse) {
        await rm(path, { force: true })
        await write(path)
      }
      const o = this.#options
      const wantsMultipart = (await stat(path)).size >= (o.multipartThreshold ?? 32 * MiB)
      try {
        const r = await this.#call(`upload ${key}`, () =>
          uploadFile(this.#client, this.#key(key), path, {
            partSize: o.partSize ?? 16 * MiB,
            multipartThreshold: o.multipartThreshold ?? 32 * MiB,
            concurrency: o.concurrency ?? 4,
            resume: reuse,
            onBytes: (n) => {
              this.bytesUploaded += n
              options.onBytes?.(n)
            },
            onResumed: (n) => options.onBytes?.(n),
            signal: options.signal,
          }),
        )
        this.resumedParts += r.resumedParts
      } catch (err) {
        // An unfinished multipart upload can be resumed from this very file by the next run.
        keep = wantsMultipart && lock !== undefined
        throw err
      }
    } finally {
      if (!keep) await rm(path, { force: true })
      if (lock) await this.#unlock(lock)
    }
  }

  /** Takes `lock` for this process unless a live one holds it. */
  async #lock(lock: string): Promise<boolean> {
    if (heldHere.has(lock)) return false
    for (let tries = 0; tries < 3; tries++) {
      try {
        heldHere.add(lock)
        const fh = await open(lock, 'wx')
        await fh.writeFile(String(process.pid))
        await fh.close()
        return true
      } catch (err) {
        heldHere.delete(lock)
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
        const pid = Number(await readFile(lock, 'utf8').catch(() => ''))
        if (pid !== process.pid && alive(pid)) return false
        await rm(lock, { force: true })
      }
    }
    return false
  }

  async #unlock(lock: string): Promise<void> {
    await rm(lock, { force: true })
    heldHere.delete(lock)
  }

  async localFile(key: string): Promise<LocalObjectFile> {
    const dir = join(this.#staging, 'downloads')
    await mkdir(dir, { recursive: true })
    const path = join(dir, `${randomBytes(8).toString('hex')}.download`)
    const r = await this.#call(`download ${key}`, () =>
      this.#client.request({ method: 'GET', key: this.#key(key), toFile: path, accept: [404] }),
    )
    if (r.status === 404) throw this.#missing(key, r.body)
    return { path, release: () => rm(path, { force: true }) }
  }

  async list(prefix: string): Promise<string[]> {
    const full = this.#key(prefix) + '/'
    const strip = this.#loc.prefix ? this.#loc.prefix.length + 1 : 0
    const out: string[] = []
    let token = ''
    for (;;) {
      const query: Record<string, string> = { 'list-type': '2', prefix: full }
      if (token) query['continuation-token'] = token
      const r = await this.#call(`list ${prefix}`, () => this.#client.request({ method: 'GET', query }))
      const doc =
        (xml.parse(r.body.toString('utf8')) as { ListBucketResult?: Record<string, unknown> })
          .ListBucketResult ?? {}
      for (const c of (doc.Contents as Array<{ Key?: string }> | undefined) ?? [])
        if (c.Key) out.push(c.Key.slice(strip))
      if (doc.IsTruncated !== 'true' || !doc.NextContinuationToken) break
      token = String(doc.NextContinuationToken)
    }
    return out.sort()
  }

  async delete(key: string): Promise<void> {
    await this.#call(`delete ${key}`, () =>
      this.#client.request({ method: 'DELETE', key: this.#key(key), accept: [404] }),
    )
  }

  /** Objects have no settable mtime: the (small) object is written again. */
  async touch(key: string): Promise<void> {
    await this.putBytes(key, await this.getBytes(key), { replace: true })
  }

  /** Incomplete multipart uploads under the store's prefix. */
  async pendingUploads(signal?: AbortSignal): Promise<PendingUploadInfo[]> {
    const strip = this.#loc.prefix ? this.#loc.prefix.length + 1 : 0
    const ups = await this.#call('list multipart uploads', () =>
      listUploads(this.#client, this.#loc.prefix ? this.#loc.prefix + '/' : '', signal),
    )
    const out: PendingUploadInfo[] = []
    for (const u of ups)
      out.push({
        key: u.key.slice(strip),
        initiated: u.initiated.toISOString(),
        resumable: await this.#resumable(u),
      })
    return out
  }

  async #resumable(u: PendingUpload): Promise<boolean> {
    const strip = this.#loc.prefix ? this.#loc.prefix.length + 1 : 0
    const path = join(this.#staging, u.key.slice(strip).replace(/\//g, '_'))
    return stat(path).then(
      () => true,
      () => false,
    )
  }

  /**
   * Aborts incomplete multipart uploads under `prefix` started before `modifiedBefore`,
   * except those this machine can still resume (their sealed file is staged here and no
   * live process holds it), unless `all`; removes staging files no upload needs. With a
   * `signal`, stops between two uploads once it aborts, and says how many went until then.
   */
  async removeTemporaries(
    prefix: string,
    modifiedBefore: number,
    options: { all?: boolean; dryRun?: boolean; signal?: AbortSignal } = {},
  ): Promise<number> {
    const full = this.#key(prefix) + '/'
    let removed = 0
    if (options.signal?.aborted) return removed
    const ups = await this.#call('list multipart uploads', () =>
      listUploads(this.#client, full, options.signal),
    ).catch((err: unknown) => {
      if (options.signal?.aborted) return []
      throw err
    })
    const strip = this.#loc.prefix ? this.#loc.prefix.length + 1 : 0
    const needed = new Set<string>()
    for (const u of ups) {
      if (options.signal?.aborted) return removed
      if (u.initiated.getTime() >= modifiedBefore) {
        needed.add(u.key.slice(strip).replace(/\//g, '_'))
        continue
      }
      if (!options.all && (await this.#resumable(u))) {
        needed.add(u.key.slice(strip).replace(/\//g, '_'))
        continue
      }
      if (!options.dryRun)
        await this.#call(`abort upload of ${u.key.slice(strip)}`, () =>
          abortUpload(this.#client, u.key, u.uploadId),
        )
      removed++
    }
    if (prefix === 'objects' && !options.dryRun && !options.signal?.aborted)
      await this.#sweepStaging(needed, modifiedBefore)
    return removed
  }

  /** Staging files (and downloads) of dead runs that no pending upload needs. */
  async #sweepStaging(needed: Set<string>, before: number): Promise<void> {
    const names = await readdir(this.#staging).catch(() => [] as string[])
    for (const n of names) {
      if (n === 'downloads' || n.endsWith('.lock') || needed.has(n)) continue
      const path = join(this.#staging, n)
      const s = await stat(path).catch(() => undefined)
      if (!s?.isFile() || s.mtimeMs >= before) continue
      const pid = Number(await readFile(`${path}.lock`, 'utf8').catch(() => ''))
      if (pid && alive(pid)) continue
      await rm(path, { force: true })
    }
    for (const n of await readdir(join(this.#staging, 'downloads')).catch(() => [] as string[])) {
      const path = join(this.#staging, 'downloads', n)
      const s = await stat(path).catch(() => undefined)
      if (s && s.mtimeMs < before) await rm(path, { force: true })
    }
  }

  /** @internal Creates the bucket (tests and the demo; stores never create buckets themselves). */
  async createBucket(): Promise<void> {
    await this.#call('create the bucket', () => this.#client.request({ method: 'PUT', accept: [409] }))
  }

  /** Closes kept-alive connections. */
  close(): void {
    this.#client.close()
  }
}
