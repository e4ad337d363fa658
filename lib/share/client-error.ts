/**
 * Requests Node refuses before the handler sees them (malformed: 400; headers too large:
 * 431; too slow: 408) get the same privacy headers as every other response, instead of
 * Node's bare default answer.
 * @module
 */
import type { Socket } from 'node:net'

import { SECURITY_HEADERS } from './http-headers'

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
}

/** The status a client error is answered with. */
export function clientErrorStatus(err: NodeJS.ErrnoException): number {
  if (err.code === 'HPE_HEADER_OVERFLOW') return 431
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || err.code === 'ERR_HTTP_HEADERS_TIMEOUT') return 408
  return 400
}

/**
 * The `clientError` listener of the share server: answers with the security headers and
 * closes the connection.
 *
 * @example
 * ```ts
 * server.on('clientError', answerClientError)
 * ```
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection, or one already answered: nothing can be written.
  if (
    err.code === 'ECONNRESET' ||
    !socket.writable ||
    (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent
  ) {
    socket.destroy()
    return
  }
  const status = clientErrorStatus(err)
  const body = `${REASONS[status]}\n`
  const headers = Object.entries({
    ...SECURITY_HEADERS,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    Connection: 'close',
  })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')
  socket.end(`HTTP/1.1 ${status} ${REASONS[status]}\r\n${headers}\r\n${body}`)
}
