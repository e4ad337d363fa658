/**
 * The share server: the handler (./handler.ts) inside a `node:http` or `node:https`
 * server with the transport around it: TLS, short request timeouts, the privacy headers
 * on Node's own error answers, and one log line per request. `shutterproof share serve`
 * runs this; embedders who have their own server mount the handler instead.
 * @module
 */
import { createServer as createHttpServer, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'

import { answerClientError } from './client-error'
import { createShareHandler, type ShareHandlerOptions } from './handler'
import { proxyTrust } from './proxy'
import { requestLogger } from './request-log'
import { applyTimeouts, resolveTimeouts, serverOptionsFor, type ShareTimeouts } from './timeouts'
import type { TlsFiles } from './tls'

/** Options of {@link createShareServer}: the handler's, and the transport's. */
export interface ShareServerOptions extends ShareHandlerOptions {
  /** Serve HTTPS directly with this certificate and key (see {@link loadTlsFiles}); plain HTTP without. */
  tls?: TlsFiles
  /** How long clients may take to send a request (see {@link ShareTimeouts}). */
  timeouts?: ShareTimeouts
  /** Called with one line per request (without newline); no log without it. */
  requestLog?: (line: string) => void
}

/**
 * Creates the share server (not yet listening).
 *
 * @example
 * ```ts
 * const server = createShareServer({ registry, serverKey, root: '/photos', trustProxy: ['127.0.0.1'], requestLog: (l) => console.log(l) })
 * server.listen(8765, '127.0.0.1')
 * ```
 */
export function createShareServer(options: ShareServerOptions): Server {
  const timeouts = resolveTimeouts(options.timeouts)
  // Mail failures go to the request log (with a time, like its lines) unless told otherwise.
  const requestLog = options.requestLog
  const log =
    options.log ??
    (requestLog ? (line: string) => requestLog(`${new Date().toISOString()} ${line}`) : undefined)
  const handler = createShareHandler({
    ...options,
    bodyTimeout: options.bodyTimeout ?? timeouts.body,
    ...(log ? { log } : {}),
  })
  const serverOptions = serverOptionsFor(timeouts)
  // https.Server extends tls.Server, whose request events are those of http.Server.
  const server: Server = options.tls
    ? (createHttpsServer({
        ...serverOptions,
        cert: options.tls.cert,
        key: options.tls.key,
      }) as unknown as Server)
    : createHttpServer(serverOptions)
  applyTimeouts(server, timeouts)
  if (options.requestLog)
    server.on('request', requestLogger(options.requestLog, proxyTrust(options.trustProxy)))
  server.on('request', handler)
  server.on('clientError', answerClientError)
  return server
}
