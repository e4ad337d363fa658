/**
 * An HTTP proxy in front of the real S3 server that injects the faults a cloud link has:
 * 503 SlowDown, 429, a connection reset in the middle of an upload, a request that never
 * gets an answer. Everything else passes through unchanged (the Host header too, so the
 * server checks the client's signatures as they are).
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export type Fault = '503' | '429' | 'reset' | 'stall'

export interface FaultRule {
  /** Which requests: e.g. `(r) => r.method === 'PUT'`. */
  match: (req: IncomingMessage) => boolean
  fault: Fault
  /** How many matching requests get the fault (then they pass). */
  times: number
}

export class FaultProxy {
  readonly #server: http.Server
  readonly #rules: FaultRule[] = []
  readonly #stalled = new Set<ServerResponse>()
  /** Faults injected so far, by kind. */
  readonly injected: Record<Fault, number> = { '503': 0, '429': 0, reset: 0, stall: 0 }

  constructor(readonly targetPort: number) {
    this.#server = http.createServer((req, res) => this.#handle(req, res))
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.#server.listen(0, '127.0.0.1', () => resolve()))
  }

  add(rule: FaultRule): void {
    this.#rules.push(rule)
  }

  close(): Promise<void> {
    for (const r of this.#stalled) r.destroy()
    this.#server.closeAllConnections()
    return new Promise((resolve) => this.#server.close(() => resolve()))
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const rule = this.#rules.find((r) => r.times > 0 && r.match(req))
    if (rule) {
      rule.times--
      this.injected[rule.fault]++
      if (rule.fault === 'stall') {
        this.#stalled.add(res)
        req.resume()
        return
      }
      if (rule.fault === 'reset') {
        // Let part of the body arrive, then cut the connection.
        let seen = 0
        req.on('data', (c: Buffer) => {
          seen += c.length
          if (seen > 64 * 1024) req.socket.destroy()
        })
        req.on('end', () => req.socket.destroy())
        return
      }
      const [status, code] = rule.fault === '503' ? [503, 'SlowDown'] : [429, 'TooManyRequests']
      req.resume()
      req.on('end', () => {
        res.writeHead(status, { 'content-type': 'application/xml', connection: 'close' })
        res.end(
          `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>injected by the test proxy</Message></Error>`,
        )
      })
      return
    }
    const headers = { ...req.headers }
    delete headers.expect
    const up = http.request(
      { host: '127.0.0.1', port: this.targetPort, method: req.method, path: req.url, headers },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers)
        upRes.pipe(res)
      },
    )
    up.on('error', () => res.destroy())
    req.pipe(up)
  }
}
