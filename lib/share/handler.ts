/**
 * The share links' HTTP handler: a pure request → response mapping for `node:http`
 * (and Express or Fastify), with no listening, TLS or logging of its own (see
 * ./server.ts for those). Its routes, in order:
 *
 * - `GET /robots.txt`: disallows everything
 * - `POST /s/<token>`: the password form (see ./routes/password.ts)
 * - `POST /s/<token>/signin`, `POST /s/<token>/code`: sign-in by e-mailed code on links
 *   bound to recipients (see ./routes/signin.ts)
 * - `GET /s/<token>`: the gallery (or the sign-in or password form; see ./routes/landing.ts)
 * - `GET /s/<token>/all.tar`: every item, streamed as a tar archive (full-resolution shares)
 * - `GET /s/<token>/f/<n>`, `GET /s/<token>/p/<recorded path>`: one item, byte ranges honoured
 * - `GET /s/<token>/t/<n>`, `GET /s/<token>/v/<n>`: item n's thumbnail and lightbox picture,
 *   always generated previews (see ./routes/gallery.ts)
 *
 * all under `basePath` when it is mounted under a prefix. Only items recorded in the share
 * are served, confined to the share's session folder under `root` (a session outside it
 * is never served, nor named). Unknown links and wrong secrets get the same 404; expired
 * and revoked links 410; a reached download limit, or a client told to wait after wrong
 * passwords, 429.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { realpath } from 'node:fs/promises'

import { InvalidArgumentError } from '../errors'
import { normalizeBasePath, mountedPath } from './base-path'
import { systemClock, type Clock } from './clock'
import { parseDuration } from './duration'
import { grantKey, signinKey } from './grant'
import { setSecurityHeaders } from './http-headers'
import { InFlight } from './in-flight'
import type { ShareMailer } from './mail/mailer'
import { proxyTrust, type TrustProxy } from './proxy'
import type { GalleryOptions } from './gallery/index'
import { FailureLimiter, type PasswordRateLimit } from './rate-limit'
import type { ShareRegistry } from './registry'
import { sessionWithin } from './resolve'
import { notFound, refuse, send } from './responses'
import type { HandlerState, ShareRequest } from './routes/context'
import { deliveryAsset, deliveryFile, deliveryLanding, deliveryList } from './routes/delivery'
import { allTar, itemDownload } from './routes/download'
import { galleryImage } from './routes/gallery'
import { landingPage } from './routes/landing'
import { hasGrant, passwordPost } from './routes/password'
import { codePost, signedInRecipient, signinPost } from './routes/signin'
import { SignInGuard, type SignInLimits } from './signin/limits'
import type { ShareInfo } from './types'

export type { PasswordRateLimit } from './rate-limit'
export type { SignInLimits } from './signin/limits'
export type { TrustProxy } from './proxy'

/** Options of {@link createShareHandler}. */
export interface ShareHandlerOptions {
  registry: ShareRegistry
  /** The same 32-byte server key the registry was opened with; signs password cookies. */
  serverKey: Uint8Array
  /** Only sessions inside this folder are ever served (or named). */
  root: string
  clock?: Clock
  /** How long a password stays remembered in the browser (default `'1h'`, never past the share's expiry). */
  grantTtl?: string | number
  /**
   * Mark cookies `Secure`: `'auto'` (default) when the client's connection is HTTPS (the
   * socket's TLS, or a trusted proxy's `X-Forwarded-Proto`), or always when the registry's
   * public URL is `https:`.
   */
  secureCookies?: boolean | 'auto'
  /**
   * Which reverse proxies may say who the client is (`X-Forwarded-For`) and whether it
   * came over HTTPS (`X-Forwarded-Proto`); see {@link TrustProxy}. Default `false`: the
   * socket's own address, which behind a proxy is the proxy's for every client.
   */
  trustProxy?: TrustProxy
  /**
   * The path prefix the handler is mounted under in plain `node:http` (e.g. `'/share'`):
   * requests outside it get 404, and every form action, redirect, cookie path and link
   * carries it. Default: the path of the registry's public URL. Under Express
   * (`app.use('/share', handler)`) `req.baseUrl` is used instead.
   */
  basePath?: string
  /** How long a password form's body may take to arrive once its headers are in (default `'10s'`; then 408). */
  bodyTimeout?: string | number
  /**
   * Limit on wrong passwords per client address, across all shares (default 20 per
   * 15 minutes; `false` turns it off). Each link also slows down an address that keeps
   * failing on it (see {@link PasswordLockout}); this limit stops one client from
   * guessing at many links.
   */
  passwordRateLimit?: PasswordRateLimit | false
  /** How the gallery (each link's landing page) presents your shares: your name above each label. */
  gallery?: GalleryOptions
  /**
   * Sends the one-time codes of links bound to recipients ({@link createShareMailer}).
   * Without it such links answer that e-mail cannot be sent (503), and say so in the log.
   */
  mailer?: ShareMailer
  /** Limits on asking for codes, and how long a sign-in lasts; see {@link SignInOptions}. */
  signIn?: SignInOptions
  /** Where the handler writes what goes wrong outside a response (a failed send), one line each; default stderr. */
  log?: (line: string) => void
}

/** Sign-in on links bound to recipients: the limits of {@link SignInLimits}, and the sign-in's lifetime. */
export interface SignInOptions extends SignInLimits {
  /** How long a sign-in stays remembered in the browser (default `'24h'`, never past the share's expiry). */
  ttl?: string | number
}

/** A `(req, res)` request listener; also usable as Express/Fastify middleware. */
export type ShareRequestHandler = (req: IncomingMessage, res: ServerResponse) => void

/**
 * A route: the methods and path it answers. Most need the link open first (token, state,
 * password or grant, session inside the root) and get the share; the password POST is
 * what opens it, so it gets the bare request.
 */
type Route = { methods: readonly string[]; path: RegExp } & (
  | {
      opens: true
      handle: (state: HandlerState, r: ShareRequest, share: ShareInfo, root: string) => Promise<void>
    }
  | { opens: false; handle: (state: HandlerState, r: ShareRequest) => Promise<void> }
)

const TOKEN = '(?<token>[a-z2-7]{68})'
const READ = ['GET', 'HEAD'] as const

/** The routes below `/s/<token>`, in order; the first that matches answers. */
const ROUTES: readonly Route[] = [
  { methods: ['POST'], path: new RegExp(`^/s/${TOKEN}$`), opens: false, handle: passwordPost },
  { methods: ['POST'], path: new RegExp(`^/s/${TOKEN}/signin$`), opens: false, handle: signinPost },
  { methods: ['POST'], path: new RegExp(`^/s/${TOKEN}/code$`), opens: false, handle: codePost },
  { methods: READ, path: new RegExp(`^/s/${TOKEN}$`), opens: true, handle: landingPage },
  { methods: READ, path: new RegExp(`^/s/${TOKEN}/(?<rest>all\\.tar)$`), opens: true, handle: allTar },
  { methods: READ, path: new RegExp(`^/s/${TOKEN}/(?<rest>[fp]/.+)$`), opens: true, handle: itemDownload },
  {
    methods: READ,
    path: new RegExp(`^/s/${TOKEN}/(?<rest>[tv]/(?:0|[1-9]\\d{0,6}))$`),
    opens: true,
    handle: galleryImage,
  },
  // Delivery links (see ./routes/delivery.ts): the same token, the same checks, under /d/.
  { methods: ['POST'], path: new RegExp(`^/(?<area>d)/${TOKEN}$`), opens: false, handle: passwordPost },
  { methods: READ, path: new RegExp(`^/(?<area>d)/${TOKEN}$`), opens: false, handle: deliveryLanding },
  {
    methods: READ,
    path: new RegExp(`^/(?<area>d)/${TOKEN}/(?<rest>[mk])$`),
    opens: true,
    handle: deliveryList,
  },
  {
    methods: READ,
    path: new RegExp(`^/(?<area>d)/${TOKEN}/(?<rest>f/(?:0|[1-9]\\d{0,6}))$`),
    opens: true,
    handle: deliveryFile,
  },
  {
    methods: READ,
    path: /^\/d\/(?<rest>page\.js|sealed\.js|sw\.js|page\.css|client-zip\.js|argon2\.js)$/,
    opens: false,
    handle: deliveryAsset,
  },
]

/**
 * Creates the request handler for share links.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { openShareRegistry, createShareHandler } from 'shutterproof'
 *
 * const registry = openShareRegistry({ path: 'shares.db', serverKey, publicUrl: 'https://photos.example.com' })
 * createServer(createShareHandler({ registry, serverKey, root: '/photos', trustProxy: ['127.0.0.1'] })).listen(8765, '127.0.0.1')
 * // under a prefix: createShareHandler({ …, basePath: '/share' }); Express: app.use('/share', createShareHandler({ … }))
 * ```
 */
export function createShareHandler(options: ShareHandlerOptions): ShareRequestHandler {
  const state = handlerState(options)
  const trust = proxyTrust(options.trustProxy)
  const basePath = normalizeBasePath(options.basePath ?? new URL(options.registry.publicUrl).pathname)

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    setSecurityHeaders(res)
    const method = req.method ?? 'GET'
    const mounted = mountedPath(req, basePath)
    if (!mounted) return notFound(res, method)
    if (mounted.path === '/robots.txt' && (method === 'GET' || method === 'HEAD')) {
      return send(res, 200, 'text/plain; charset=utf-8', 'User-agent: *\nDisallow: /\n', method)
    }
    for (const route of ROUTES) {
      const m = route.path.exec(mounted.path)
      if (!m || !route.methods.includes(method)) continue
      const { address, https } = trust.view(req)
      const token = m.groups!.token ?? ''
      const r: ShareRequest = {
        req,
        res,
        method,
        client: address,
        https,
        token,
        rest: m.groups!.rest ?? '',
        base: `${mounted.prefix}/${m.groups!.area ?? 's'}/${token}`,
      }
      if (!route.opens) return route.handle(state, r)
      const open = await openLink(state, r)
      return open && route.handle(state, r, open.share, open.root)
    }
    return notFound(res, method)
  }

  return (req, res) => {
    handle(req, res).catch(() => {
      if (res.headersSent) {
        res.destroy()
        return
      }
      setSecurityHeaders(res)
      send(
        res,
        500,
        'text/plain; charset=utf-8',
        'Something went wrong on the server. Try again later.\n',
        req.method ?? 'GET',
      )
    })
  }
}

/** Checks the options once and builds what every request shares. */
/** The caller's log function, made unable to throw: it runs off the response path (after a failed send), where a throw would be an unhandled rejection. */
function safeLog(write: (line: string) => void): (line: string) => void {
  return (line) => {
    try {
      write(line)
    } catch {
      // nowhere left to say it
    }
  }
}

function handlerState(options: ShareHandlerOptions): HandlerState {
  const { registry } = options
  if (!(options.serverKey instanceof Uint8Array) || options.serverKey.byteLength !== 32) {
    throw new InvalidArgumentError('createShareHandler needs the 32-byte serverKey the registry uses')
  }
  if (typeof options.root !== 'string' || options.root === '')
    throw new InvalidArgumentError('createShareHandler needs root: the folder the shared sessions live in')
  const secureCookies = options.secureCookies ?? (registry.publicUrl.startsWith('https:') ? true : 'auto')
  let rootReal: Promise<string> | undefined
  return {
    registry,
    clock: options.clock ?? systemClock,
    grantKey: grantKey(options.serverKey),
    grantTtl: parseDuration(options.grantTtl ?? '1h', 'grantTtl'),
    secureCookies,
    limiter:
      options.passwordRateLimit === false ? undefined : new FailureLimiter(options.passwordRateLimit ?? {}),
    bodyTimeout: parseDuration(options.bodyTimeout ?? '10s', 'bodyTimeout'),
    inFlight: new InFlight(registry),
    root: () => (rootReal ??= realpath(options.root)),
    gallery: options.gallery ?? {},
    mailer: options.mailer,
    signinKey: signinKey(options.serverKey),
    signinTtl: parseDuration(options.signIn?.ttl ?? '24h', 'signIn.ttl'),
    signIn: new SignInGuard(options.signIn),
    log: safeLog(options.log ?? ((line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`))),
  }
}

/**
 * Opens a link for a read route: the token, the share's state, the password (or a grant
 * cookie), and the session inside the root. Answers the request itself and returns
 * `undefined` when the link cannot be used.
 */
async function openLink(
  state: HandlerState,
  r: ShareRequest,
): Promise<{ share: ShareInfo; root: string } | undefined> {
  const recipient = signedInRecipient(state, r)
  let access = await state.registry.verifyAccess(r.token, {
    ...(r.client ? { remote: r.client } : {}),
    ...(recipient === undefined ? {} : { recipient }),
  })
  if (access.status === 'password_required' && hasGrant(state, r.req, access.share!.id))
    access = { ...access, status: 'ok' }
  if (access.status !== 'ok') {
    refuse(r.res, access, r.base, r.method)
    return undefined
  }
  const share = access.share!
  if (access.recipient) r.recipient = access.recipient
  const root = await state.root()
  if ((await sessionWithin(root, share.session)) === undefined) {
    state.registry.countAccess({ shareId: share.id, event: 'view', outcome: 'outside_root' })
    notFound(r.res, r.method)
    return undefined
  }
  return { share, root }
}
