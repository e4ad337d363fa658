/**
 * Uploading one local file as one object, never replacing an existing one:
 * - small files: one PUT with `If-None-Match: *` and a SHA-256 the server verifies;
 * - large files: a multipart upload with a SHA-256 per part, completed with
 *   `If-None-Match: *`; an upload of the same bytes that a killed run left is resumed
 *   (its parts are matched by checksum) instead of starting over.
 * A write refused because the key exists (412) is checked with HEAD: the same size under a
 * content address is success.
 * @internal
 * @module
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'

import { AbortError } from '../../errors'
import { S3HttpError, xml, type S3Client } from './client'

export interface UploadOptions {
  /** Bytes per part (at least 5 MiB, S3's minimum; grown so no object needs over 10,000 parts). */
  partSize: number
  /** Files of at least this size go multipart. */
  multipartThreshold: number
  /** Parts of one object in flight at once. */
  concurrency: number
  /** Look for an upload of the same bytes left by an earlier run and finish it. */
  resume: boolean
  onBytes?: (n: number) => void
  /** Bytes of parts an earlier run uploaded, counted once when they are found (progress). */
  onResumed?: (n: number) => void
  signal?: AbortSignal
}

export interface UploadResult {
  /** `written`, or `existed` (the key already held an object of this size). */
  outcome: 'written' | 'existed'
  size: number
  parts: number
  /** Parts an earlier run had uploaded and this one reused. */
  resumedParts: number
}

const MiB = 1024 * 1024
const MAX_PARTS = 10_000

/** The part size used for a file: the wanted one, grown for huge files, never under 5 MiB. */
export function partSizeFor(size: number, wanted: number): number {
  const min = Math.ceil(size / MAX_PARTS / MiB) * MiB
  return Math.max(5 * MiB, wanted, min)
}

/** SHA-256 of each `partSize` slice of a file, from one read. */
export async function partDigests(
  path: string,
  size: number,
  partSize: number,
  signal?: AbortSignal,
): Promise<Buffer[]> {
  const out: Buffer[] = []
  let h = createHash('sha256')
  let inPart = 0
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024, signal })) {
    let c = chunk as Buffer
    while (c.length > 0) {
      const n = Math.min(c.length, partSize - inPart)
      h.update(c.subarray(0, n))
      inPart += n
      c = c.subarray(n)
      if (inPart === partSize) {
        out.push(h.digest())
        h = createHash('sha256')
        inPart = 0
      }
    }
  }
  if (inPart > 0 || size === 0) out.push(h.digest())
  return out
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v
}

/** HEAD of an object: its size, or undefined when there is none. */
export async function headSize(
  client: S3Client,
  key: string,
  signal?: AbortSignal,
): Promise<number | undefined> {
  const r = await client.request({ method: 'HEAD', key, accept: [404], signal })
  return r.status === 404 ? undefined : Number(header(r.headers['content-length']))
}

/** After a 412: the object under the key is ours (same size), or an error says it is not. */
async function existing(client: S3Client, key: string, size: number, signal?: AbortSignal): Promise<void> {
  const there = await headSize(client, key, signal)
  if (there === size) return
  throw Object.assign(
    new Error(
      `${key} already holds an object of ${there ?? 'unknown'} bytes, not ${size}: it is not a copy of this one (a damaged or foreign object); the restore test names it`,
    ),
    { code: 'E_EXISTS' },
  )
}

/** Uploads `path` as `key` (see the module's description). */
export async function uploadFile(
  client: S3Client,
  key: string,
  path: string,
  o: UploadOptions,
): Promise<UploadResult> {
  const size = (await stat(path)).size
  const partSize = partSizeFor(size, o.partSize)
  if (size < Math.max(o.multipartThreshold, partSize + 1)) {
    const [digest] = await partDigests(path, size, Math.max(size, 1), o.signal)
    const r = await client.request({
      method: 'PUT',
      key,
      headers: { 'if-none-match': '*', 'content-type': 'application/octet-stream' },
      body: { file: path, start: 0, end: size },
      sha256: digest!,
      accept: [412],
      onBytes: o.onBytes,
      signal: o.signal,
    })
    if (r.status === 412) {
      await existing(client, key, size, o.signal)
      return { outcome: 'existed', size, parts: 1, resumedParts: 0 }
    }
    return { outcome: 'written', size, parts: 1, resumedParts: 0 }
  }
  const digests = await partDigests(path, size, partSize, o.signal)
  const found = o.resume ? await findResumable(client, key, digests, size, partSize, o.signal) : undefined
  const uploadId = found?.uploadId ?? (await createUpload(client, key, o.signal))
  const done = found?.done ?? new Map<number, string>()
  const resumedParts = done.size
  for (const [n] of done) o.onResumed?.(Math.min(partSize, size - (n - 1) * partSize))

  let next = 1
  const worker = async () => {
    for (;;) {
      const n = next++
      if (n > digests.length) return
      if (done.has(n)) continue
      if (o.signal?.aborted) throw new AbortError(undefined, { cause: o.signal.reason })
      const start = (n - 1) * partSize
      const r = await client.request({
        method: 'PUT',
        key,
        query: { partNumber: String(n), uploadId },
        body: { file: path, start, end: Math.min(size, start + partSize) },
        sha256: digests[n - 1]!,
        onBytes: o.onBytes,
        signal: o.signal,
      })
      done.set(n, header(r.headers.etag) ?? '')
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.concurrency, digests.length)) }, worker))

  const body = Buffer.from(
    '<CompleteMultipartUpload>' +
      digests
        .map(
          (d, i) =>
            `<Part><PartNumber>${i + 1}</PartNumber><ETag>${escapeXml(done.get(i + 1)!)}</ETag><ChecksumSHA256>${d.toString('base64')}</ChecksumSHA256></Part>`,
        )
        .join('') +
      '</CompleteMultipartUpload>',
  )
  let r
  try {
    r = await client.request({
      method: 'POST',
      key,
      query: { uploadId },
      headers: { 'if-none-match': '*', 'content-type': 'application/xml' },
      body: { buffer: body },
      accept: [412],
      signal: o.signal,
    })
  } catch (err) {
    // A retried Complete whose first attempt succeeded finds its upload gone.
    if (
      err instanceof S3HttpError &&
      err.s3Code === 'NoSuchUpload' &&
      (await headSize(client, key, o.signal)) === size
    )
      return { outcome: 'written', size, parts: digests.length, resumedParts }
    throw err
  }
  if (r.status === 412) {
    // Someone else completed this key first: ours is not needed, and its parts must not linger.
    await abortUpload(client, key, uploadId, o.signal)
    await existing(client, key, size, o.signal)
    return { outcome: 'existed', size, parts: digests.length, resumedParts }
  }
  // S3 can answer 200 and still report an error in the body of a Complete.
  const doc = xml.parse(r.body.toString('utf8')) as { Error?: Array<Record<string, string>> }
  if (doc.Error?.length) {
    const e = doc.Error[0]!
    throw new S3HttpError(
      e.Code === 'InternalError' ? 500 : 400,
      e.Code ?? 'InternalError',
      e.Message ?? 'CompleteMultipartUpload failed',
      e,
    )
  }
  return { outcome: 'written', size, parts: digests.length, resumedParts }
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

async function createUpload(client: S3Client, key: string, signal?: AbortSignal): Promise<string> {
  const r = await client.request({
    method: 'POST',
    key,
    query: { uploads: '' },
    headers: { 'x-amz-checksum-algorithm': 'SHA256', 'content-type': 'application/octet-stream' },
    signal,
  })
  const id = (xml.parse(r.body.toString('utf8')) as { InitiateMultipartUploadResult?: { UploadId?: string } })
    .InitiateMultipartUploadResult?.UploadId
  if (!id) throw new S3HttpError(500, 'InternalError', 'CreateMultipartUpload returned no UploadId', {})
  return id
}

/** Aborts an upload, freeing its parts (no error when it is already gone). */
export async function abortUpload(
  client: S3Client,
  key: string,
  uploadId: string,
  signal?: AbortSignal,
): Promise<void> {
  await client.request({ method: 'DELETE', key, query: { uploadId }, accept: [404], signal })
}

/** An incomplete multipart upload in the bucket. */
export interface PendingUpload {
  key: string
  uploadId: string
  initiated: Date
}

/** Incomplete multipart uploads whose key starts with `prefix`. */
export async function listUploads(
  client: S3Client,
  prefix: string,
  signal?: AbortSignal,
): Promise<PendingUpload[]> {
  const out: PendingUpload[] = []
  let keyMarker = ''
  let idMarker = ''
  for (;;) {
    const query: Record<string, string> = { uploads: '', prefix }
    if (keyMarker) query['key-marker'] = keyMarker
    if (idMarker) query['upload-id-marker'] = idMarker
    const r = await client.request({ method: 'GET', query, signal })
    const doc =
      (xml.parse(r.body.toString('utf8')) as { ListMultipartUploadsResult?: Record<string, unknown> })
        .ListMultipartUploadsResult ?? {}
    for (const u of (doc.Upload as Array<Record<string, string>> | undefined) ?? []) {
      if (u.Key && u.UploadId)
        out.push({ key: u.Key, uploadId: u.UploadId, initiated: new Date(u.Initiated ?? 0) })
    }
    if (doc.IsTruncated !== 'true') return out
    keyMarker = String(doc.NextKeyMarker ?? '')
    idMarker = String(doc.NextUploadIdMarker ?? '')
    if (!keyMarker && !idMarker) return out
  }
}

/** The parts of an upload: number → { etag, size, checksum (base64) }. */
async function listParts(client: S3Client, key: string, uploadId: string, signal?: AbortSignal) {
  const parts = new Map<number, { etag: string; size: number; checksum?: string }>()
  let marker = ''
  for (;;) {
    const query: Record<string, string> = { uploadId }
    if (marker) query['part-number-marker'] = marker
    const r = await client.request({ method: 'GET', key, query, accept: [404], signal })
    if (r.status === 404) return undefined
    const doc =
      (xml.parse(r.body.toString('utf8')) as { ListPartsResult?: Record<string, unknown> }).ListPartsResult ??
      {}
    for (const p of (doc.Part as Array<Record<string, string>> | undefined) ?? []) {
      parts.set(Number(p.PartNumber), {
        etag: p.ETag ?? '',
        size: Number(p.Size),
        checksum: p.ChecksumSHA256,
      })
    }
    if (doc.IsTruncated !== 'true') return parts
    marker = String(doc.NextPartNumberMarker ?? '')
    if (!marker) return parts
  }
}

/**
 * An upload of `key` whose parts so far all match this file's (size and SHA-256): the one
 * a killed run of the same sealed file left. Uploads of other bytes (another machine's
 * seal of the same photo, still running perhaps) are left alone.
 */
async function findResumable(
  client: S3Client,
  key: string,
  digests: Buffer[],
  size: number,
  partSize: number,
  signal?: AbortSignal,
) {
  const uploads = (await listUploads(client, key, signal))
    .filter((u) => u.key === key)
    .sort((a, b) => b.initiated.getTime() - a.initiated.getTime())
  for (const u of uploads) {
    const parts = await listParts(client, key, u.uploadId, signal)
    if (!parts || parts.size === 0) continue
    const done = new Map<number, string>()
    let matches = true
    for (const [n, p] of parts) {
      const want = digests[n - 1]
      const wantSize = Math.min(partSize, size - (n - 1) * partSize)
      if (!want || p.size !== wantSize || p.checksum !== want.toString('base64')) {
        matches = false
        break
      }
      done.set(n, p.etag)
    }
    if (matches) return { uploadId: u.uploadId, done }
  }
  return undefined
}
