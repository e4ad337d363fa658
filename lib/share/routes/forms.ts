/**
 * What the password and sign-in forms of a link share: reading a small urlencoded body
 * with a deadline, cookies, and the answers after a form (303 to the link's page, 408
 * for a body that did not arrive). Its own module so that neither flow imports the other.
 * @module
 */
import type { IncomingMessage } from 'node:http'

import { send } from '../responses'
import type { ShareRequest } from './context'

/** A password or sign-in form is a few hundred bytes; anything longer is not one. */
const MAX_FORM_BYTES = 4096

/** 303 to the link's page (the files, or the next gate). */
export function seeFiles(r: ShareRequest): void {
  r.res.setHeader('Location', r.base)
  send(r.res, 303, 'text/plain; charset=utf-8', 'See the files\n', 'POST')
}

/** 408 for a form whose body did not arrive in time. */
export function formTimeout(r: ShareRequest): void {
  r.res.setHeader('Connection', 'close')
  send(r.res, 408, 'text/plain; charset=utf-8', 'The form took too long to arrive. Try again.\n', 'POST')
}

/** The value of one request cookie. */
export function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

/**
 * The form fields, `undefined` for a body that is not a small urlencoded form, or
 * `'timeout'` when the body did not arrive within `timeoutMs`.
 */
export function readForm(
  req: IncomingMessage,
  timeoutMs: number,
): Promise<URLSearchParams | undefined | 'timeout'> {
  const type = String(req.headers['content-type'] ?? '')
  if (
    !type.startsWith('application/x-www-form-urlencoded') ||
    Number(req.headers['content-length'] ?? 0) > MAX_FORM_BYTES
  ) {
    req.resume()
    return Promise.resolve(undefined)
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    const done = (value: URLSearchParams | undefined | 'timeout') => {
      clearTimeout(timer)
      req.removeListener('data', onData)
      req.removeListener('end', onEnd)
      req.removeListener('error', onError)
      if (value !== 'timeout') req.resume()
      resolve(value)
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_FORM_BYTES) done(undefined)
      else chunks.push(chunk)
    }
    const onEnd = () => done(new URLSearchParams(Buffer.concat(chunks).toString('utf8')))
    const onError = () => done(undefined)
    const timer = setTimeout(() => done('timeout'), timeoutMs)
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onError)
  })
}
