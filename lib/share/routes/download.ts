/**
 * `GET <link>/f/<n>`, `<link>/p/<path>` (one file, byte ranges honoured; under a preview
 * link only files that carry the preview mark) and `<link>/all.tar` (every file of a
 * full-resolution link, streamed as a tar). Files are streamed from the opened
 * descriptor, never buffered whole.
 *
 * Downloads are counted in bytes: a request charges the bytes it is about to send to the
 * item's budget (`maxDownloads × size` when the link has a limit) before sending any, and
 * gives back what it could not send. So ranges, repeated ranges and parallel connections
 * add up, HEAD, which sends none, costs nothing, and the count a client sees after its
 * download ended already holds that download (charging afterwards raced the client).
 * @module
 */
import { posix } from 'node:path'
import { pipeline } from 'node:stream/promises'

import { pack as tarPack } from 'tar-stream'

import { isMarkedPreview } from '../../previews/mark'
import { contentDisposition, contentType } from '../http-headers'
import type { ShareItem } from '../items'
import { parseRange } from '../range'
import type { ByteCharge } from '../types'
import { openItem, type OpenedItem } from '../resolve'
import { LIMIT_PAGE, notFound, send, sendPage } from '../responses'
import type { ShareInfo } from '../types'
import type { HandlerState, ShareRequest } from './context'
import { findItem, servable } from './items'

/**
 * Bytes read from disk at a time: 256 KiB rather than the stream default of 64 KiB, so a
 * 20 MB download costs a quarter of the reads and socket writes (case G of the bench).
 */
const READ_CHUNK = 256 * 1024

/** The access log's client fields: its address, and on a bound link the recipient signed in. */
function who(r: ShareRequest): { remote?: string; recipient?: string } {
  return {
    ...(r.client ? { remote: r.client } : {}),
    ...(r.recipient ? { recipient: r.recipient.address } : {}),
  }
}

/** Answers one file of an open link. */
export async function itemDownload(
  state: HandlerState,
  r: ShareRequest,
  share: ShareInfo,
  root: string,
): Promise<void> {
  const { registry } = state
  const remote = who(r)
  const found = findItem(share, r.rest)
  if (!found || !servable(share, found.item)) {
    registry.countAccess({ shareId: share.id, event: 'download', outcome: 'no_such_item' })
    return notFound(r.res, r.method)
  }
  const { item, index } = found
  const opened = await openItem(root, share.session, item.path)
  if (!opened) {
    registry.logAccess({
      shareId: share.id,
      event: 'download',
      outcome: 'unavailable',
      item: item.path,
      ...remote,
    })
    return notFound(r.res, r.method)
  }
  // A preview share serves only generated previews, checked again on every request: an
  // edited database or a preview replaced on disk by an original gets 404.
  if (share.scope === 'preview' && !(await isMarkedPreview(opened.handle))) {
    await opened.handle.close()
    registry.logAccess({
      shareId: share.id,
      event: 'download',
      outcome: 'not_a_preview',
      item: item.path,
      ...remote,
    })
    return notFound(r.res, r.method)
  }
  const { handle, size, mtime } = opened
  let handedOver = false
  try {
    const ifRange = r.req.headers['if-range']
    const range =
      ifRange === undefined || ifRange === mtime.toUTCString()
        ? parseRange(r.req.headers.range, size)
        : undefined
    r.res.setHeader('Accept-Ranges', 'bytes')
    r.res.setHeader('Last-Modified', mtime.toUTCString())
    r.res.setHeader('Content-Disposition', contentDisposition(posix.basename(item.path)))
    if (range === 'unsatisfiable') {
      r.res.setHeader('Content-Range', `bytes */${size}`)
      return send(r.res, 416, 'text/plain; charset=utf-8', 'Requested range not satisfiable\n', r.method)
    }
    const start = range?.start ?? 0
    const end = range?.end ?? size - 1
    const length = size === 0 ? 0 : end - start + 1
    if (r.method === 'GET' && !registry.chargeBytes(share.id, [{ index, bytes: length, size }])) {
      registry.countAccess({ shareId: share.id, event: 'download', outcome: 'limit' })
      return sendPage(r.res, 429, LIMIT_PAGE, r.method)
    }
    r.res.statusCode = range ? 206 : 200
    r.res.setHeader('Content-Type', contentType(item.path))
    r.res.setHeader('Content-Length', String(length))
    if (range) r.res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`)
    if (r.method === 'HEAD' || length === 0) {
      r.res.end()
      return
    }
    registry.logAccess({
      shareId: share.id,
      event: 'download',
      outcome: range ? 'partial' : 'ok',
      item: item.path,
      bytes: length,
      ...remote,
    })
    handedOver = true
    const sent = await stream(state, share, r, opened, start, end)
    registry.refundBytes(share.id, [{ index, bytes: length - sent, size }])
  } finally {
    if (!handedOver) await handle.close()
  }
}

/** Streams bytes start..end of an opened file into `res`; returns how many were read into it (the rest could not be sent). */
async function stream(
  state: HandlerState,
  share: ShareInfo,
  r: ShareRequest,
  opened: OpenedItem,
  start: number,
  end: number,
): Promise<number> {
  const { res } = r
  state.inFlight.add(share.id, res, r.recipient?.id)
  let sent = 0
  const source = opened.handle.createReadStream({ start, end, highWaterMark: READ_CHUNK })
  source.on('data', (chunk: string | Buffer) => {
    sent += chunk.length
  })
  await pipeline(source, res).catch(() => res.destroy())
  return sent
}

/**
 * Answers `all.tar`: every file of an open full-resolution link, or 404 when one of them
 * cannot be served. A preview link has no "download all": its photos go one by one.
 */
export async function allTar(
  state: HandlerState,
  r: ShareRequest,
  share: ShareInfo,
  root: string,
): Promise<void> {
  const { registry } = state
  const remote = who(r)
  if (share.scope !== 'full') {
    registry.countAccess({ shareId: share.id, event: 'download_all', outcome: 'no_such_item' })
    return notFound(r.res, r.method)
  }
  const opened: Array<{ item: ShareItem; index: number; file: OpenedItem; sent: number }> = []
  try {
    for (const [index, item] of share.items.entries()) {
      const file = servable(share, item) ? await openItem(root, share.session, item.path) : undefined
      if (!file) {
        registry.logAccess({
          shareId: share.id,
          event: 'download_all',
          outcome: 'unavailable',
          item: item.path,
          ...remote,
        })
        return notFound(r.res, r.method)
      }
      opened.push({ item, index, file, sent: 0 })
    }
    r.res.setHeader(
      'Content-Disposition',
      contentDisposition(`${posix.basename(share.session.replace(/\\/g, '/')) || 'shared-files'}.tar`),
    )
    if (r.method === 'HEAD') return send(r.res, 200, 'application/x-tar', '', r.method)
    const whole: ByteCharge[] = opened.map((o) => ({ index: o.index, bytes: o.file.size, size: o.file.size }))
    if (!registry.chargeBytes(share.id, whole)) {
      registry.countAccess({ shareId: share.id, event: 'download_all', outcome: 'limit' })
      return sendPage(r.res, 429, LIMIT_PAGE, r.method)
    }
    registry.logAccess({
      shareId: share.id,
      event: 'download_all',
      outcome: 'ok',
      bytes: opened.reduce((n, o) => n + o.file.size, 0),
      ...remote,
    })
    r.res.statusCode = 200
    r.res.setHeader('Content-Type', 'application/x-tar')
    state.inFlight.add(share.id, r.res, r.recipient?.id)
    const tar = tarPack()
    const feed = (async () => {
      for (const o of opened) {
        const entry = tar.entry({
          name: o.item.path,
          size: o.file.size,
          mtime: o.file.mtime,
          mode: 0o644,
          type: 'file',
        })
        const source = o.file.handle.createReadStream({ autoClose: false, highWaterMark: READ_CHUNK })
        source.on('data', (chunk: string | Buffer) => {
          o.sent += chunk.length
        })
        await pipeline(source, entry)
      }
      tar.finalize()
    })()
    feed.catch((err: unknown) => tar.destroy(err as Error))
    await Promise.all([pipeline(tar, r.res), feed]).catch(() => r.res.destroy())
    registry.refundBytes(
      share.id,
      opened.map((o) => ({ index: o.index, bytes: o.file.size - o.sent, size: o.file.size })),
    )
  } finally {
    for (const { file } of opened) await file.handle.close().catch(() => undefined)
  }
}
