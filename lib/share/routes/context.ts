/**
 * What every route of the share handler is given: the handler's settings and state
 * (once per handler), and the request as the transport layer saw it (once per request).
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

import type { Clock } from '../clock'
import type { GalleryOptions } from '../gallery/index'
import type { InFlight } from '../in-flight'
import type { ShareMailer } from '../mail/mailer'
import type { FailureLimiter } from '../rate-limit'
import type { ShareRegistry } from '../registry'
import type { SignInGuard } from '../signin/limits'
import type { ShareRecipient } from '../types'

/** The handler's settings and state, shared by all requests. */
export interface HandlerState {
  registry: ShareRegistry
  clock: Clock
  /** Signs password grants. */
  grantKey: Buffer
  /** Milliseconds a password stays remembered. */
  grantTtl: number
  /** `true`/`false` forces the cookie's `Secure`; `'auto'` follows the request's HTTPS. */
  secureCookies: boolean | 'auto'
  /** The per-address limit across links, unless turned off. */
  limiter: FailureLimiter | undefined
  /** Milliseconds a password form's body may take. */
  bodyTimeout: number
  /** Downloads under way, ended when their link is revoked. */
  inFlight: InFlight
  /** The real path of the root folder (resolved once). */
  root(): Promise<string>
  /** How the gallery presents the shares (the photographer's name). */
  gallery: GalleryOptions
  /** Sends sign-in codes; absent when no SMTP server is configured. */
  mailer: ShareMailer | undefined
  /** Signs sign-in grants. */
  signinKey: Buffer
  /** Milliseconds a sign-in stays remembered. */
  signinTtl: number
  /** The sign-in counters. */
  signIn: SignInGuard
  /** Writes one line to the server's log (mail failures). */
  log: (line: string) => void
}

/** One request, as the routes see it. */
export interface ShareRequest {
  req: IncomingMessage
  res: ServerResponse
  method: string
  /** The client's address (behind a trusted proxy, the one the proxy saw). */
  client: string | undefined
  /** Whether the client's connection is HTTPS. */
  https: boolean
  /** The share token of the path. */
  token: string
  /** What follows the token in the path (`''`, `all.tar`, `f/3`, `p/<path>`). */
  rest: string
  /** The link's path as the client sees it (base path included): `/share/s/<token>`. */
  base: string
  /** On a link bound to recipients, who signed in (set once the link is open). */
  recipient?: ShareRecipient
}
