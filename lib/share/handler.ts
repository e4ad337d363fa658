/**
 * The share links' HTTP handler, for `node:http` (and mountable in Express or Fastify):
 *
 * - `GET /s/<token>`: the gallery (or the password form); `POST` there takes the password
 * - `GET /s/<token>/f/<n>`: item n; `GET /s/<token>/p/<recorded path>`: the item with that exact path
 * - `GET /s/<token>/t/<n>`, `…/v/<n>`: item n's thumbnail and lightbox picture (generated previews only)
 * - `GET /s/<token>/all.tar`: every item, streamed as a tar archive (full-resolution shares)
 * - `GET /robots.txt`: disallows everything
 *
 * Files are streamed from disk, never buffered whole; single byte ranges are honoured.
 * Only items recorded in the share are served, confined to the share's session folder
 * under `root`. Unknown links and wrong secrets get the same 404; expired and revoked
 * links 410; a reached download limit, a locked password or a client address over its
 * wrong-password limit 429.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { realpath } from 'node:fs/promises'
import { posix } from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { TLSSocket } from 'node:tls'

import { pack as tarPack } from 'tar-stream'

import { InvalidArgumentError } from '../errors'
import { isMarkedPreview } from '../previews/mark'
import { systemClock, type Clock } from './clock'
import { parseDuration } from './duration'
import { galleryRoute, selfPrefix, sendGallery, sendGalleryImage, type GalleryOptions } from './gallery/index'
import { checkGrant, grantKey, issueGrant } from './grant'
import { contentDisposition, contentType, setSecurityHeaders } from './http-headers'
import type { ShareItem } from './items'
import { PAGE_CSP, renderMessage, renderPasswordForm } from './landing-page'
import { parseRange } from './range'
import type { AccessResult, ShareInfo, ShareRegistry, ShareRegistryOptions } from './registry'
import { openItem, type OpenedItem } from './resolve'

/** Options of {@link createShareHandler}. */
export interface ShareHandlerOptions {
  registry: ShareRegistry
  /** The same 32-byte server key the registry was opened with; signs password cookies. */
  serverKey: Uint8Array
  /** Only sessions inside this folder are ever served. */
  root: string
  clock?: Clock
  /** How long a password stays remembered in the browser (default `'1h'`, never past the share's expiry). */
  grantTtl?: string | number
  /** Mark cookies `Secure`: `'auto'` (default) when the connection is TLS, or when a trusted proxy says so via `trustProxy`. */
  secureCookies?: boolean | 'auto'
  /**
   * Believe a reverse proxy's headers (default false): `X-Forwarded-Proto: https` for
   * cookies, and the last address of `X-Forwarded-For` as the client address that
   * `passwordRateLimit` counts (otherwise every client would share the proxy's address).
   */
  trustProxy?: boolean
  /**
   * Limit on wrong passwords per client address, across all shares (default 20 per
   * 15 minutes; `false` turns it off). Each share also locks on its own after
   * `lockout.attempts` wrong passwords (see {@link ShareRegistryOptions.lockout}); this
   * limit stops one client from guessing at many shares, and from making the server run
   * Argon2 without end.
   */
  passwordRateLimit?: PasswordRateLimit | false
  /** How the gallery (each link's landing page) presents your shares: your name above each label. */
  gallery?: GalleryOptions
}

/**
 * Options of the per-client-address password limit ({@link ShareHandlerOptions.passwordRateLimit}).
 * It lives in memory: a restart forgets it (the per-share lockout is in the database).
 * IPv4 addresses count one by one; IPv6 addresses by their /64 prefix, which one client
 * usually holds whole.
 */
export interface PasswordRateLimit {
  /** Wrong passwords one client address may try within `window`; the next POST gets 429 (default 20). */
  attempts?: number
  /** The sliding window (default `'15m'`). */
  window?: string | number
  /** How many client addresses are remembered at once; the least recently seen is forgotten first (default 10,000). */
  maxClients?: number
}

/** A `(req, res)` request listener; also usable as Express/Fastify middleware. */
export type ShareRequestHandler = (req: IncomingMessage, res: ServerResponse) => void

const COOKIE = 'sp_grant'
const TOKEN_SEGMENT = /^[a-z2-7]{68}$/
const MAX_FORM_BYTES = 4096

const NOT_FOUND = renderMessage('Not found', 'This link is not valid. Check that you copied all of it, or ask the photographer for a new one.')
const GONE = renderMessage('Link no longer available', 'This link has expired or was withdrawn. Ask the photographer for a new one.')
const LIMIT = renderMessage('Download limit reached', 'These files were downloaded as many times as the photographer allowed. Ask them for a new link.')
const LOCKED = renderMessage('Too many attempts', 'Too many wrong passwords were tried. Wait a while, then try again.')
const RATE_LIMITED = renderMessage('Too many attempts', 'Too many wrong passwords were tried from your network. Wait a while, then try again.')

/**
 * Creates the request handler for share links.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { openShareRegistry, createShareHandler } from 'shutterproof'
 *
 * const registry = openShareRegistry({ path: 'shares.db', serverKey })
 * createServer(createShareHandler({ registry, serverKey, root: '/photos' })).listen(8765, '127.0.0.1')
 * // Express: app.use('/share', createShareHandler({ registry, serverKey, root }))
 * ```
 */
export function createShareHandler(options: ShareHandlerOptions): ShareRequestHandler {
  const { registry } = options
  if (!(options.serverKey instanceof Uint8Array) || options.serverKey.byteLength !== 32) {
    throw new InvalidArgumentError('createShareHandler needs the 32-byte serverKey the registry uses')
  }
  if (typeof options.root !== 'string' || options.root === '') throw new InvalidArgumentError('createShareHandler needs root: the folder the shared sessions live in')
  const clock = options.clock ?? systemClock
  const key = grantKey(options.serverKey)
  const grantTtl = parseDuration(options.grantTtl ?? '1h', 'grantTtl')
  const limiter = options.passwordRateLimit === false ? undefined : new FailureLimiter(options.passwordRateLimit ?? {})
  const trustProxy = options.trustProxy === true
  let rootReal: Promise<string> | undefined

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    setSecurityHeaders(res)
    const rawPath = (req.url ?? '/').split('?')[0]!
    const method = req.method ?? 'GET'
    if (rawPath === '/robots.txt') {
      return send(res, 200, 'text/plain; charset=utf-8', 'User-agent: *\nDisallow: /\n', method)
    }
    const m = /^\/s\/([^/]+)(?:\/(.*))?$/.exec(rawPath)
    if (!m || !TOKEN_SEGMENT.test(m[1]!)) return notFound(res, method)
    const token = m[1]!
    const rest = m[2] ?? ''
    const remote = req.socket.remoteAddress
    const prefix = (req as { baseUrl?: string }).baseUrl ?? ''
    const base = `${prefix}/s/${token}`

    if (method === 'POST' && rest === '') return passwordPost(req, res, token, base, remote)
    if (method !== 'GET' && method !== 'HEAD') return notFound(res, method)

    let access = await registry.verifyAccess(token, { ...(remote ? { remote } : {}) })
    if (access.status === 'password_required' && checkGrant(key, access.share!.id, cookie(req, COOKIE), clock.now())) {
      access = { status: 'ok', share: access.share! }
    }
    if (access.status !== 'ok') return refuse(res, access, base, method)
    const share = access.share!
    rootReal ??= realpath(options.root)
    const root = await rootReal

    if (rest === '') {
      registry.touch(share.id)
      registry.logAccess({ shareId: share.id, event: 'view', outcome: 'ok', ...(remote ? { remote } : {}) })
      return sendGallery(res, share, { rootReal: root, self: selfPrefix(rawPath, token), method, ...options.gallery })
    }
    // The gallery's thumbnails and lightbox pictures: always generated previews, never counted as downloads.
    const picture = galleryRoute(rest)
    if (picture) {
      if (!(await sendGalleryImage(res, share, root, picture.index, picture.size, method))) notFound(res, method)
      return
    }
    // "Download all" is for full-resolution shares; a preview share's photos are downloaded one by one.
    if (rest === 'all.tar' && share.scope === 'full') return sendAll(res, share, root, remote, method)

    const item = findItem(share, rest)
    if (!item || !servable(share, item)) {
      registry.logAccess({ shareId: share.id, event: 'download', outcome: 'no_such_item', ...(remote ? { remote } : {}) })
      return notFound(res, method)
    }
    const opened = await openItem(root, share.session, item.path)
    if (!opened) {
      registry.logAccess({ shareId: share.id, event: 'download', outcome: 'unavailable', item: item.path, ...(remote ? { remote } : {}) })
      return notFound(res, method)
    }
    // A preview share serves only generated previews, checked again on every request.
    if (share.scope === 'preview' && !(await isMarkedPreview(opened.handle))) {
      await opened.handle.close()
      registry.logAccess({ shareId: share.id, event: 'download', outcome: 'not_a_preview', item: item.path, ...(remote ? { remote } : {}) })
      return notFound(res, method)
    }
    return sendFile(req, res, share, item, opened, remote, method)
  }

  async function passwordPost(req: IncomingMessage, res: ServerResponse, token: string, base: string, remote: string | undefined): Promise<void> {
    const client = limiter && clientKey(req, trustProxy)
    const retryAfter = client === undefined ? 0 : limiter!.retryAfter(client, clock.now().getTime())
    if (retryAfter > 0) {
      req.resume()
      registry.logAccess({ shareId: token.slice(0, 16), event: 'password', outcome: 'rate_limited', ...(remote ? { remote } : {}) })
      res.setHeader('Retry-After', String(retryAfter))
      res.setHeader('Content-Security-Policy', PAGE_CSP)
      return send(res, 429, 'text/html; charset=utf-8', RATE_LIMITED, 'POST')
    }
    // Counted as in flight from here on (no await in between), so parallel guesses see it.
    if (client !== undefined) limiter!.begin(client)
    let access: AccessResult | undefined
    try {
      const body = await readForm(req)
      const password = body?.get('password') ?? ''
      access = await registry.verifyAccess(token, { password, ...(remote ? { remote } : {}) })
    } finally {
      if (client !== undefined) limiter!.end(client, access?.status === 'bad_password', clock.now().getTime())
    }
    if (access.status === 'ok' && access.share!.hasPassword) {
      const share = access.share!
      const until = new Date(Math.min(clock.now().getTime() + grantTtl, share.expiresAt.getTime()))
      const maxAge = Math.max(0, Math.floor((until.getTime() - clock.now().getTime()) / 1000))
      const secure = options.secureCookies === true || (options.secureCookies !== false && isTls(req, options.trustProxy === true))
      res.setHeader(
        'Set-Cookie',
        `${COOKIE}=${issueGrant(key, share.id, until)}; Path=${base}; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`,
      )
      res.setHeader('Location', base)
      return send(res, 303, 'text/plain; charset=utf-8', 'See the files\n', 'POST')
    }
    if (access.status === 'ok') {
      res.setHeader('Location', base)
      return send(res, 303, 'text/plain; charset=utf-8', 'See the files\n', 'POST')
    }
    if (access.status === 'bad_password' || access.status === 'password_required') {
      res.setHeader('Content-Security-Policy', PAGE_CSP)
      const message = access.status === 'bad_password' ? 'That password is not right. Check it and try again.' : 'Enter the password.'
      return send(res, 401, 'text/html; charset=utf-8', renderPasswordForm({ action: base, message }), 'POST')
    }
    return refuse(res, access, base, 'POST')
  }

  function refuse(res: ServerResponse, access: AccessResult, base: string, method: string): void {
    res.setHeader('Content-Security-Policy', PAGE_CSP)
    switch (access.status) {
      case 'password_required':
        return send(res, 401, 'text/html; charset=utf-8', renderPasswordForm({ action: base }), method)
      case 'expired':
      case 'revoked':
        return send(res, 410, 'text/html; charset=utf-8', GONE, method)
      case 'limit':
        return send(res, 429, 'text/html; charset=utf-8', LIMIT, method)
      case 'locked':
        res.setHeader('Retry-After', String(access.retryAfter ?? 900))
        return send(res, 429, 'text/html; charset=utf-8', LOCKED, method)
      default:
        return notFound(res, method)
    }
  }

  async function sendFile(
    req: IncomingMessage,
    res: ServerResponse,
    share: ShareInfo,
    item: ShareItem,
    opened: OpenedItem,
    remote: string | undefined,
    method: string,
  ): Promise<void> {
    const { handle, size, mtime } = opened
    let closeHandle = true
    try {
      const ifRange = req.headers['if-range']
      const range = ifRange === undefined || ifRange === mtime.toUTCString() ? parseRange(req.headers.range, size) : undefined
      res.setHeader('Accept-Ranges', 'bytes')
      res.setHeader('Last-Modified', mtime.toUTCString())
      res.setHeader('Content-Disposition', contentDisposition(posix.basename(item.path)))
      if (range === 'unsatisfiable') {
        res.setHeader('Content-Range', `bytes */${size}`)
        return send(res, 416, 'text/plain; charset=utf-8', 'Requested range not satisfiable\n', method)
      }
      const start = range?.start ?? 0
      const end = range?.end ?? size - 1
      const log = { shareId: share.id, item: item.path, ...(remote ? { remote } : {}) }
      // A download counts when it starts at the first byte: resuming or seeking is free.
      if (method === 'GET' && start === 0 && !registry.recordDownload(share.id)) {
        registry.logAccess({ ...log, event: 'download', outcome: 'limit' })
        res.removeHeader('Content-Disposition')
        res.setHeader('Content-Security-Policy', PAGE_CSP)
        return send(res, 429, 'text/html; charset=utf-8', LIMIT, method)
      }
      res.statusCode = range ? 206 : 200
      res.setHeader('Content-Type', contentType(item.path))
      res.setHeader('Content-Length', String(size === 0 ? 0 : end - start + 1))
      if (range) res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`)
      if (method === 'HEAD' || size === 0) {
        res.end()
        return
      }
      registry.logAccess({ ...log, event: 'download', outcome: range ? 'partial' : 'ok', bytes: end - start + 1 })
      closeHandle = false
      await pipeline(handle.createReadStream({ start, end }), res).catch(() => res.destroy())
    } finally {
      if (closeHandle) await handle.close()
    }
  }

  async function sendAll(res: ServerResponse, share: ShareInfo, root: string, remote: string | undefined, method: string): Promise<void> {
    const opened: Array<{ item: ShareItem; file: OpenedItem }> = []
    try {
      for (const item of share.items) {
        const file = servable(share, item) ? await openItem(root, share.session, item.path) : undefined
        if (!file) {
          registry.logAccess({ shareId: share.id, event: 'download_all', outcome: 'unavailable', item: item.path, ...(remote ? { remote } : {}) })
          return notFound(res, method)
        }
        opened.push({ item, file })
      }
      res.setHeader('Content-Disposition', contentDisposition(`${posix.basename(share.session.replace(/\\/g, '/')) || 'shared-files'}.tar`))
      if (method === 'HEAD') {
        res.setHeader('Content-Type', 'application/x-tar')
        return send(res, 200, 'application/x-tar', '', method)
      }
      if (!registry.recordDownload(share.id)) {
        registry.logAccess({ shareId: share.id, event: 'download_all', outcome: 'limit', ...(remote ? { remote } : {}) })
        res.removeHeader('Content-Disposition')
        res.setHeader('Content-Security-Policy', PAGE_CSP)
        return send(res, 429, 'text/html; charset=utf-8', LIMIT, method)
      }
      registry.logAccess({
        shareId: share.id,
        event: 'download_all',
        outcome: 'ok',
        bytes: opened.reduce((n, o) => n + o.file.size, 0),
        ...(remote ? { remote } : {}),
      })
      res.statusCode = 200
      res.setHeader('Content-Type', 'application/x-tar')
      const tar = tarPack()
      const feed = (async () => {
        for (const { item, file } of opened) {
          const entry = tar.entry({ name: item.path, size: file.size, mtime: file.mtime, mode: 0o644, type: 'file' })
          await pipeline(file.handle.createReadStream({ autoClose: false }), entry)
        }
        tar.finalize()
      })()
      feed.catch((err: unknown) => tar.destroy(err as Error))
      await Promise.all([pipeline(tar, res), feed]).catch(() => res.destroy())
    } finally {
      for (const { file } of opened) await file.handle.close().catch(() => undefined)
    }
  }

  return (req, res) => {
    handle(req, res).catch(() => {
      if (res.headersSent) {
        res.destroy()
        return
      }
      setSecurityHeaders(res)
      send(res, 500, 'text/plain; charset=utf-8', 'Something went wrong on the server. Try again later.\n', req.method ?? 'GET')
    })
  }
}

/**
 * Wrong passwords per client address in a sliding window, in a bounded map (least
 * recently seen first out). Checks in flight count against the limit, so parallel
 * guesses cannot overrun it.
 */
class FailureLimiter {
  readonly #attempts: number
  readonly #window: number
  readonly #maxClients: number
  readonly #clients = new Map<string, { failures: number[]; pending: number }>()

  constructor(options: PasswordRateLimit) {
    this.#attempts = options.attempts ?? 20
    if (!Number.isSafeInteger(this.#attempts) || this.#attempts < 1) throw new InvalidArgumentError('passwordRateLimit.attempts must be a whole number ≥ 1')
    this.#window = parseDuration(options.window ?? '15m', 'passwordRateLimit.window')
    this.#maxClients = options.maxClients ?? 10_000
    if (!Number.isSafeInteger(this.#maxClients) || this.#maxClients < 1) throw new InvalidArgumentError('passwordRateLimit.maxClients must be a whole number ≥ 1')
  }

  /** Seconds until `client` may try a password again; 0 when it may now. */
  retryAfter(client: string, now: number): number {
    const entry = this.#clients.get(client)
    if (!entry) return 0
    entry.failures = entry.failures.filter((t) => t > now - this.#window)
    if (entry.failures.length + entry.pending < this.#attempts) return 0
    // Over the limit only through checks in flight: wait as long as a fresh failure would.
    const oldest = entry.failures[entry.failures.length + entry.pending - this.#attempts] ?? now
    return Math.max(1, Math.ceil((oldest + this.#window - now) / 1000))
  }

  /** A password check of `client` starts. */
  begin(client: string): void {
    const entry = this.#clients.get(client) ?? { failures: [], pending: 0 }
    entry.pending++
    this.#remember(client, entry)
  }

  /** A password check of `client` ended, wrong (`failed`) or not. */
  end(client: string, failed: boolean, now: number): void {
    const entry = this.#clients.get(client)
    if (!entry) return // forgotten meanwhile, under a flood of other addresses
    entry.pending = Math.max(0, entry.pending - 1)
    if (failed) entry.failures = [...entry.failures.filter((t) => t > now - this.#window), now].slice(-this.#attempts)
    if (entry.failures.length === 0 && entry.pending === 0) this.#clients.delete(client)
    else this.#remember(client, entry)
  }

  #remember(client: string, entry: { failures: number[]; pending: number }): void {
    this.#clients.delete(client)
    this.#clients.set(client, entry)
    while (this.#clients.size > this.#maxClients) this.#clients.delete(this.#clients.keys().next().value!)
  }
}

/** The address a password limit counts: IPv4 as is, IPv6 by its /64, or `undefined` when unknown. */
function clientKey(req: IncomingMessage, trustProxy: boolean): string | undefined {
  let address = req.socket.remoteAddress
  if (trustProxy) {
    const forwarded = String(req.headers['x-forwarded-for'] ?? '')
      .split(',')
      .map((a) => a.trim())
      .filter((a) => a !== '')
    if (forwarded.length > 0) address = forwarded[forwarded.length - 1]
  }
  if (!address) return undefined
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address)
  if (mapped) return mapped[1]
  if (!address.includes(':')) return address
  const plain = address.split('%')[0]!.toLowerCase()
  const groups = (part: string) => (part === '' ? [] : part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g])))
  const [head, tail] = plain.includes('::') ? (plain.split('::', 2) as [string, string]) : [plain, undefined]
  const h = groups(head)
  const t = tail === undefined ? [] : groups(tail)
  const full = tail === undefined ? h : [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t]
  return `${full
    .slice(0, 4)
    .map((g) => (parseInt(g, 16) || 0).toString(16))
    .join(':')}::/64`
}

/** A preview share never serves a full-resolution item, whatever the database says. */
function servable(share: ShareInfo, item: ShareItem): boolean {
  return share.scope === 'full' || item.kind === 'preview'
}

/** An item by index (`f/3`) or by its exact recorded path (`p/<percent-encoded path>`, decoded once). */
function findItem(share: ShareInfo, rest: string): ShareItem | undefined {
  const byIndex = /^f\/(0|[1-9]\d{0,6})$/.exec(rest)
  if (byIndex) return share.items[Number(byIndex[1])]
  if (!rest.startsWith('p/')) return undefined
  let path: string
  try {
    path = decodeURIComponent(rest.slice(2))
  } catch {
    return undefined
  }
  return share.items.find((i) => i.path === path)
}

function send(res: ServerResponse, status: number, type: string, body: string, method: string): void {
  res.statusCode = status
  res.setHeader('Content-Type', type)
  res.setHeader('Content-Length', String(Buffer.byteLength(body)))
  res.end(method === 'HEAD' ? undefined : body)
}

function notFound(res: ServerResponse, method: string): void {
  res.removeHeader('Content-Disposition')
  res.setHeader('Content-Security-Policy', PAGE_CSP)
  send(res, 404, 'text/html; charset=utf-8', NOT_FOUND, method)
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

function isTls(req: IncomingMessage, trustProxy: boolean): boolean {
  if ((req.socket as TLSSocket).encrypted) return true
  return trustProxy && String(req.headers['x-forwarded-proto'] ?? '').split(',')[0]!.trim() === 'https'
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  const type = String(req.headers['content-type'] ?? '')
  if (!type.startsWith('application/x-www-form-urlencoded')) {
    req.resume()
    return undefined
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_FORM_BYTES) return undefined
    chunks.push(chunk)
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
}
