/**
 * The handler's plain answers: a body with its type and length, the generic 404, and the
 * pages that say why a link cannot be used (gone, limit, wait).
 * @module
 */
import type { ServerResponse } from 'node:http'

import { PAGE_CSP, renderMessage, renderPasswordForm } from './landing-page'
import { renderSigninForm } from './signin-pages'
import type { AccessResult } from './types'

const NOT_FOUND = renderMessage(
  'Not found',
  'This link is not valid. Check that you copied all of it, or ask the photographer for a new one.',
)
const GONE = renderMessage(
  'Link no longer available',
  'This link has expired or was withdrawn. Ask the photographer for a new one.',
)
/** The page of a link whose download limit is reached. */
export const LIMIT_PAGE = renderMessage(
  'Download limit reached',
  'These files were downloaded as many times as the photographer allowed. Ask them for a new link.',
)
const WAIT = renderMessage(
  'Too many attempts',
  'Too many wrong passwords were tried. Wait a while, then try again.',
)
/** The page of a client address over its wrong-password limit across links. */
export const RATE_LIMITED_PAGE = renderMessage(
  'Too many attempts',
  'Too many wrong passwords were tried from your network. Wait a while, then try again.',
)

/** Sends a complete body (none for HEAD) with its type and length. */
export function send(res: ServerResponse, status: number, type: string, body: string, method: string): void {
  res.statusCode = status
  res.setHeader('Content-Type', type)
  res.setHeader('Content-Length', String(Buffer.byteLength(body)))
  res.end(method === 'HEAD' ? undefined : body)
}

/** Sends one of the HTML pages, under the pages' Content-Security-Policy. */
export function sendPage(res: ServerResponse, status: number, html: string, method: string): void {
  res.removeHeader('Content-Disposition')
  res.setHeader('Content-Security-Policy', PAGE_CSP)
  send(res, status, 'text/html; charset=utf-8', html, method)
}

/** The one 404 for everything unknown: it names nothing. */
export function notFound(res: ServerResponse, method: string): void {
  sendPage(res, 404, NOT_FOUND, method)
}

/** 429 with `Retry-After`. */
export function tooManyAttempts(res: ServerResponse, retryAfter: number, method: string, page = WAIT): void {
  res.setHeader('Retry-After', String(retryAfter))
  sendPage(res, 429, page, method)
}

/** Answers a link that cannot be used now: the sign-in or password form (401), gone (410), limit or wait (429), or 404. */
export function refuse(res: ServerResponse, access: AccessResult, action: string, method: string): void {
  switch (access.status) {
    case 'signin_required':
      return sendPage(res, 401, renderSigninForm({ base: action }), method)
    case 'password_required':
      return sendPage(res, 401, renderPasswordForm({ action }), method)
    case 'expired':
    case 'revoked':
      return sendPage(res, 410, GONE, method)
    case 'limit':
      return sendPage(res, 429, LIMIT_PAGE, method)
    case 'locked':
      return tooManyAttempts(res, access.retryAfter ?? 60, method)
    default:
      return notFound(res, method)
  }
}
