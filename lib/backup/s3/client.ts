/**
 * A small S3 client: SigV4 signing (aws4fetch's signer), Node's own http/https with
 * keep-alive, `Expect: 100-continue` for bodies (a refused conditional write sends no
 * bytes), bodies streamed from file ranges through the rate limit, responses streamed to
 * files, bounded retries, and S3 error documents turned into typed errors.
 * @internal
 * @module
 */
import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream, readFileSync } from 'node:fs'
import { rm, stat } from 'node:fs/promises'
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http'
import https from 'node:https'
import { pipeline } from 'node:stream/promises'

import { AwsV4Signer } from 'aws4fetch'
import { XMLParser } from 'fast-xml-parser'

import { AbortError, CloudError } from '../../errors'
import type { Credentials } from './credentials'
import { DEFAULT_RETRY, withRetry, type RetryEvent, type RetryPolicy } from './retry'
import { throttle, type TokenBucket } from './token-bucket'

/** What a request sends: bytes in memory (small documents) or a range of a file. */
export type RequestBody = { buffer: Buffer } | { file: string; start: number; end: number }

export interface S3Request {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE'
  /** The object key in the bucket (no leading `/`); undefined for bucket-level requests. */
  key?: string
  query?: Record<string, string>
  headers?: Record<string, string>
  body?: RequestBody
  /** SHA-256 of the body, sent as `x-amz-checksum-sha256` for the server to verify. */
  sha256?: Buffer
  /** Statuses returned rather than thrown (e.g. 404, 412). */
  accept?: number[]
  /** Stream a 2xx response body into this file instead of memory. */
  toFile?: string
  /** Body bytes sent or received, as they pass. */
  onBytes?: (n: number) => void
  signal?: AbortSignal
}

export interface S3Response {
  status: number
  headers: IncomingHttpHeaders
  /** The response body (empty when streamed to a file). */
  body: Buffer
}

/** An S3 error response (status, the server's code and message). */
export class S3HttpError extends Error {
  constructor(
    readonly status: number,
    readonly s3Code: string,
    message: string,
    readonly details: Record<string, string>,
  ) {
    super(message)
  }
}

export interface S3ClientOptions {
  endpoint: URL
  region: string
  pathStyle: boolean
  bucket: string
  credentials: () => Promise<Credentials>
  retry?: RetryPolicy
  onRetry?: (e: RetryEvent) => void
  uploadLimit?: TokenBucket
  downloadLimit?: TokenBucket
  /** A request with no byte moving either way for this long fails as a timeout (default 120 s). */
  idleTimeoutMs?: number
  /** Added to this computer's clock when signing (tests of a skewed clock). */
  clockOffsetMs?: number
}

export const xml = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  processEntities: true,
  htmlEntities: true,
  isArray: (name) => ['Contents', 'Upload', 'Part', 'CommonPrefixes', 'Deleted', 'Error'].includes(name),
})

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'EAI_AGAIN',
  'E_S3_TIMEOUT',
  'ERR_STREAM_PREMATURE_CLOSE',
])
const RETRY_S3_CODES = new Set([
  'SlowDown',
  'RequestTimeout',
  'InternalError',
  'ServiceUnavailable',
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'BandwidthLimitExceeded',
])

/** Why a failed attempt is worth another one, or undefined when it is not. */
export function retryReason(err: unknown): string | undefined {
  if (err instanceof S3HttpError) {
    if (err.status >= 500 || err.status === 429 || RETRY_S3_CODES.has(err.s3Code))
      return `HTTP ${err.status} ${err.s3Code}`
    return undefined
  }
  const code = (err as NodeJS.ErrnoException)?.code
  return code && NETWORK_CODES.has(code) ? code : undefined
}

/** Signing time as SigV4 writes it: `20261129T181745Z`. */
function amzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[:-]|\.\d{3}/g, '')
}

function sha256(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest()
}

/** Keys are `/`-separated; every part is percent-encoded the way SigV4 expects for S3. */
function encodeKey(key: string): string {
  return key
    .split('/')
    .map((p) =>
      encodeURIComponent(p).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase()),
    )
    .join('/')
}

export class S3Client {
  readonly #agent: http.Agent
  readonly #options: S3ClientOptions

  constructor(options: S3ClientOptions) {
    this.#options = options
    const common = { keepAlive: true, maxSockets: 32 }
    if (options.endpoint.protocol === 'https:') {
      // The AWS tools' own variable for a private CA bundle (a company proxy, a self-signed MinIO).
      const bundle = process.env.AWS_CA_BUNDLE
      this.#agent = new https.Agent(bundle ? { ...common, ca: readCaBundle(bundle) } : common)
    } else this.#agent = new http.Agent(common)
  }

  get bucket(): string {
    return this.#options.bucket
  }

  /** The URL of an object (or of the bucket when `key` is undefined). */
  url(key?: string, query?: Record<string, string>): URL {
    const { endpoint, pathStyle, bucket } = this.#options
    const path = key === undefined ? '' : encodeKey(key)
    const url = pathStyle
      ? new URL(`${endpoint.origin}/${bucket}${key === undefined ? '' : '/' + path}`)
      : new URL(`${endpoint.protocol}//${bucket}.${endpoint.host}/${path}`)
    for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v)
    return url
  }

  /** Sends a request, retrying what a later attempt can fix. */
  request(req: S3Request): Promise<S3Response> {
    const what = `${req.method} ${req.key ?? this.#options.bucket}${req.query ? '?' + Object.keys(req.query)[0] : ''}`
    return withRetry(what, () => this.#once(req), {
      policy: this.#options.retry ?? DEFAULT_RETRY,
      retryable: retryReason,
      onRetry: this.#options.onRetry,
      signal: req.signal,
    })
  }

  /** Frees the kept-alive connections. */
  close(): void {
    this.#agent.destroy()
  }

  async #once(req: S3Request): Promise<S3Response> {
    if (req.signal?.aborted) throw new AbortError(undefined, { cause: req.signal.reason })
    const creds = await this.#options.credentials()
    const url = this.url(req.key, req.query)
    const headers: Record<string, string> = { ...(req.headers ?? {}) }
    const body = req.body
    if (body && 'buffer' in body) {
      headers['content-length'] = String(body.buffer.length)
      headers['x-amz-content-sha256'] = sha256(body.buffer).toString('hex')
    } else if (body) {
      headers['content-length'] = String(body.end - body.start)
      // The payload is covered by the signed x-amz-checksum-sha256 header instead, which
      // the server verifies and keeps with the object.
      headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD'
      headers.expect = '100-continue'
    } else {
      headers['x-amz-content-sha256'] = sha256(Buffer.alloc(0)).toString('hex')
      if (req.method === 'PUT' || req.method === 'POST') headers['content-length'] = '0'
    }
    if (req.sha256) headers['x-amz-checksum-sha256'] = req.sha256.toString('base64')
    const signer = new AwsV4Signer({
      method: req.method,
      url: url.toString(),
      headers,
      accessKeyId: creds.accessKeyId,
      secretAccessKey: creds.secretAccessKey,
      sessionToken: creds.sessionToken,
      service: 's3',
      region: this.#options.region,
      datetime: amzDate(Date.now() + (this.#options.clockOffsetMs ?? 0)),
    })
    const signed = await signer.sign()
    const sent: Record<string, string> = {}
    signed.headers.forEach((v, k) => (sent[k] = v))
    return this.#send(url, req, sent)
  }

  #send(url: URL, req: S3Request, headers: Record<string, string>): Promise<S3Response> {
    const mod = url.protocol === 'https:' ? https : http
    return new Promise<S3Response>((resolve, reject) => {
      let settled = false
      const fail = (err: unknown) => {
        if (settled) return
        settled = true
        cleanup()
        r.destroy()
        reject(err)
      }
      const onAbort = () => fail(new AbortError(undefined, { cause: req.signal?.reason }))
      const cleanup = () => req.signal?.removeEventListener('abort', onAbort)
      req.signal?.addEventListener('abort', onAbort, { once: true })
      const r = mod.request(url, { method: req.method, headers, agent: this.#agent })
      r.setTimeout(this.#options.idleTimeoutMs ?? 120_000, () =>
        fail(
          Object.assign(
            new Error(`no data for ${((this.#options.idleTimeoutMs ?? 120_000) / 1000).toFixed(0)} s`),
            { code: 'E_S3_TIMEOUT' },
          ),
        ),
      )
      let answered = false
      r.on('error', (err) => {
        // A server that answers early (412, 403) may close the connection while a body is
        // still being written: its answer counts, not our write error.
        if (!answered) fail(err)
      })
      r.on('response', (res) => {
        answered = true
        this.#receive(res, req).then((out) => {
          if (settled) return
          settled = true
          cleanup()
          resolve(out)
        }, fail)
      })
      const body = req.body
      if (!body) r.end()
      else if ('buffer' in body) r.end(body.buffer)
      else {
        let started = false
        const start = () => {
          if (started || answered || settled) return
          started = true
          const source = createReadStream(body.file, {
            start: body.start,
            end: body.end - 1,
            highWaterMark: 256 * 1024,
          })
          pipeline(source, throttle(this.#options.uploadLimit, req.onBytes, req.signal), r).catch((err) => {
            if (!answered) fail(err)
          })
        }
        r.on('continue', start)
        // A server that ignores Expect (some proxies) gets the body after a second anyway.
        const wait = setTimeout(start, 1000)
        r.on('close', () => clearTimeout(wait))
        r.flushHeaders()
      }
    })
  }

  async #receive(res: IncomingMessage, req: S3Request): Promise<S3Response> {
    const status = res.statusCode ?? 0
    const ok = status >= 200 && status < 300
    if (ok && req.toFile) {
      try {
        await pipeline(
          res,
          throttle(this.#options.downloadLimit, req.onBytes, req.signal),
          createWriteStream(req.toFile),
        )
      } catch (err) {
        await rm(req.toFile, { force: true })
        throw err
      }
      const expected = Number(res.headers['content-length'])
      const got = (await stat(req.toFile)).size
      if (Number.isFinite(expected) && got !== expected) {
        await rm(req.toFile, { force: true })
        throw Object.assign(new Error(`the download stopped after ${got} of ${expected} bytes`), {
          code: 'ECONNRESET',
        })
      }
      return { status, headers: res.headers, body: Buffer.alloc(0) }
    }
    const chunks: Buffer[] = []
    for await (const c of res) {
      chunks.push(c as Buffer)
      if (ok) req.onBytes?.((c as Buffer).length)
    }
    const body = Buffer.concat(chunks)
    if (ok || req.accept?.includes(status)) return { status, headers: res.headers, body }
    throw errorOf(status, body, res.headers)
  }
}

/** Reads an S3 error document (HEAD errors have none: the status says it). */
function errorOf(status: number, body: Buffer, headers: IncomingHttpHeaders): S3HttpError {
  let doc: Record<string, string> = {}
  try {
    const parsed = xml.parse(body.toString('utf8')) as { Error?: Array<Record<string, string>> }
    doc = parsed.Error?.[0] ?? {}
  } catch {
    doc = {}
  }
  const code =
    doc.Code ??
    (status === 404
      ? 'NotFound'
      : status === 403
        ? 'Forbidden'
        : status === 503
          ? 'ServiceUnavailable'
          : `HTTP${status}`)
  const details: Record<string, string> = { ...doc }
  if (headers.date) details.Date = String(headers.date)
  return new S3HttpError(status, code, doc.Message ?? `HTTP ${status}`, details)
}

function readCaBundle(path: string): Buffer {
  try {
    return readFileSync(path)
  } catch (err) {
    throw new CloudError(
      'E_S3',
      `AWS_CA_BUNDLE names ${path}, which cannot be read (${(err as NodeJS.ErrnoException).code}); fix the path or unset the variable`,
      { cause: err },
    )
  }
}
