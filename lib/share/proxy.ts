/**
 * Who the client is and whether it came over HTTPS, when a reverse proxy may stand in
 * between. `X-Forwarded-For` and `X-Forwarded-Proto` are believed only from the proxies
 * listed: anyone else could write them. With a list, `X-Forwarded-For` is read from the
 * right, skipping listed proxies; the first address that is not one of them is the
 * client. `true` trusts whatever connects, one hop deep (the last address), for servers
 * that only a proxy can reach.
 * @module
 */
import type { IncomingMessage } from 'node:http'
import { BlockList, isIP } from 'node:net'
import type { TLSSocket } from 'node:tls'

import { InvalidArgumentError } from '../errors'

/**
 * Which peers may speak for the client: `false` (default, none), `true` (any peer, one
 * hop), or addresses and CIDR ranges (`'127.0.0.1'`, `'10.0.0.0/8'`, `'::1'`; `'loopback'`
 * means 127.0.0.0/8 and ::1).
 */
export type TrustProxy = boolean | readonly string[]

/** What the proxy trust says about one request. */
export interface ClientView {
  /** The client's address, `undefined` when unknown. */
  address: string | undefined
  /** Whether the client's connection is HTTPS (the socket's TLS, or a trusted proxy's `X-Forwarded-Proto: https`). */
  https: boolean
}

/** Reads {@link ClientView}s according to a {@link TrustProxy} setting. */
export interface ProxyTrust {
  view(req: IncomingMessage): ClientView
}

function plain(address: string | undefined): string | undefined {
  return address?.replace(/^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i, '$1')
}

function listOf(entries: readonly string[]): BlockList {
  const list = new BlockList()
  for (const entry of entries) {
    if (entry === 'loopback') {
      list.addSubnet('127.0.0.0', 8, 'ipv4')
      list.addAddress('::1', 'ipv6')
      continue
    }
    const [address, bits, extra] = entry.trim().split('/')
    const family = isIP(address ?? '')
    const prefix = bits === undefined ? undefined : Number(bits)
    if (
      family === 0 ||
      extra !== undefined ||
      (prefix !== undefined &&
        (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)))
    ) {
      throw new InvalidArgumentError(
        `trustProxy entry ${JSON.stringify(entry)} is not an address or CIDR range; give e.g. 127.0.0.1, 10.0.0.0/8, ::1 or loopback`,
      )
    }
    const type = family === 4 ? 'ipv4' : 'ipv6'
    if (prefix === undefined) list.addAddress(address!, type)
    else list.addSubnet(address!, prefix, type)
  }
  return list
}

function trusted(list: BlockList, address: string | undefined): boolean {
  const a = plain(address)
  const family = a === undefined ? 0 : isIP(a)
  return family !== 0 && list.check(a!, family === 4 ? 'ipv4' : 'ipv6')
}

function forwardedFor(req: IncomingMessage): string[] {
  return String(req.headers['x-forwarded-for'] ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '')
}

/** The last `X-Forwarded-Proto` value: the one the nearest proxy set. */
function forwardedHttps(req: IncomingMessage): boolean {
  const values = String(req.headers['x-forwarded-proto'] ?? '').split(',')
  return values[values.length - 1]!.trim().toLowerCase() === 'https'
}

/**
 * Builds the proxy trust for a {@link TrustProxy} setting (checked now: a bad entry
 * throws `E_INVALID_ARGUMENT`).
 *
 * @example
 * ```ts
 * const trust = proxyTrust(['127.0.0.1'])
 * const { address, https } = trust.view(req)
 * ```
 */
export function proxyTrust(setting: TrustProxy | undefined): ProxyTrust {
  const tls = (req: IncomingMessage) => (req.socket as TLSSocket).encrypted === true
  if (setting === undefined || setting === false)
    return { view: (req) => ({ address: plain(req.socket.remoteAddress), https: tls(req) }) }
  if (setting === true) {
    return {
      view(req) {
        const chain = forwardedFor(req)
        return {
          address: plain(chain[chain.length - 1] ?? req.socket.remoteAddress),
          https: tls(req) || forwardedHttps(req),
        }
      },
    }
  }
  if (!Array.isArray(setting))
    throw new InvalidArgumentError('trustProxy must be true, false, or a list of proxy addresses')
  const list = listOf(setting)
  return {
    view(req) {
      const peer = plain(req.socket.remoteAddress)
      if (!trusted(list, peer)) return { address: peer, https: tls(req) }
      const chain = forwardedFor(req)
      let address = peer
      for (let i = chain.length - 1; i >= 0; i--) {
        address = plain(chain[i])
        if (!trusted(list, address)) break
      }
      return {
        address: address !== undefined && isIP(address) ? address : peer,
        https: tls(req) || forwardedHttps(req),
      }
    },
  }
}
