/**
 * One line per request, when it ends: time, client address, method, path (the link's
 * secret cut off), status, bytes sent (headers included) and milliseconds, e.g.
 *
 * ```
 * 2026-05-01T09:00:00.000Z 203.0.113.5 GET /s/k3v7qzp2m4x6b5ta…/f/1 200 250321 12ms
 * ```
 *
 * A link's id is kept (it names the share in `share list`), its secret never is.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

import type { ProxyTrust } from './proxy'

/**
 * A request's path for the log: no query, a share token cut to its id, at most 200
 * characters, anything unprintable percent-encoded (so a path cannot forge log lines).
 *
 * @example
 * ```ts
 * redactPath('/s/' + token + '/f/1?x=y')  // '/s/<id>…/f/1'
 * ```
 */
export function redactPath(url: string): string {
  const path = url.split('?')[0]!.replace(/\/s\/([a-z2-7]{16})[a-z2-7]+/g, '/s/$1…')
  const printable = path.replace(/[^\x21-\x7e…]/g, (c) => encodeURIComponent(c))
  return printable.length > 200 ? printable.slice(0, 199) + '…' : printable
}

/**
 * A request listener that logs each request when it ends, through `write` (a line
 * without its newline).
 *
 * @example
 * ```ts
 * server.on('request', requestLogger((line) => process.stdout.write(line + '\n'), proxyTrust(false)))
 * ```
 */
export function requestLogger(
  write: (line: string) => void,
  trust: ProxyTrust,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const started = process.hrtime.bigint()
    const socket = req.socket
    const before = socket.bytesWritten
    const client = trust.view(req).address ?? '-'
    res.once('close', () => {
      const ms = Number((process.hrtime.bigint() - started) / 1_000_000n)
      const bytes = Math.max(0, (socket.bytesWritten ?? before) - before)
      const status = res.writableFinished ? String(res.statusCode) : `${res.statusCode}-aborted`
      write(
        `${new Date().toISOString()} ${client} ${req.method ?? '-'} ${redactPath(req.url ?? '/')} ${status} ${bytes} ${ms}ms`,
      )
    })
  }
}
