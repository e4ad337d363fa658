/**
 * How long a client may take to send its request. Short, because the share server only
 * ever receives small requests (a GET, or a password form of a few hundred bytes): a
 * client that dribbles its headers or body ties up a connection and nothing more.
 * @module
 */
import type { Server } from 'node:http'

import { InvalidArgumentError } from '../errors'
import { parseDuration } from './duration'

/** Timeouts of the share server, as durations (`'10s'`) or milliseconds. */
export interface ShareTimeouts {
  /** Whole request headers must arrive within this (default `'10s'`; Node's `headersTimeout`). */
  headers?: string | number
  /** The whole request, body included, within this (default `'20s'`; Node's `requestTimeout`). */
  request?: string | number
  /** A password form's body within this once its headers are in (default `'10s'`); then 408. */
  body?: string | number
  /** An idle kept-alive connection closes after this (default `'5s'`). */
  keepAlive?: string | number
}

/** {@link ShareTimeouts} in milliseconds, defaults filled in. */
export interface ResolvedTimeouts {
  headers: number
  request: number
  body: number
  keepAlive: number
}

/** Fills in the defaults and checks the values. */
export function resolveTimeouts(t: ShareTimeouts = {}): ResolvedTimeouts {
  const r = {
    headers: parseDuration(t.headers ?? '10s', 'timeouts.headers'),
    request: parseDuration(t.request ?? '20s', 'timeouts.request'),
    body: parseDuration(t.body ?? '10s', 'timeouts.body'),
    keepAlive: parseDuration(t.keepAlive ?? '5s', 'timeouts.keepAlive'),
  }
  if (r.request < r.headers)
    throw new InvalidArgumentError('timeouts.request must be at least timeouts.headers')
  return r
}

/**
 * Applies the timeouts to a server. Node checks them every `connectionsCheckingInterval`
 * (set at creation, see {@link serverOptionsFor}), so they hold to about a second.
 */
export function applyTimeouts(server: Server, t: ResolvedTimeouts): void {
  server.headersTimeout = t.headers
  server.requestTimeout = t.request
  server.keepAliveTimeout = t.keepAlive
}

/** Options for `http.createServer` / `https.createServer` that make the timeouts checked often enough. */
export function serverOptionsFor(t: ResolvedTimeouts): {
  connectionsCheckingInterval: number
  headersTimeout: number
  requestTimeout: number
  keepAliveTimeout: number
} {
  return {
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(t.headers / 2))),
    headersTimeout: t.headers,
    requestTimeout: t.request,
    keepAliveTimeout: t.keepAlive,
  }
}
