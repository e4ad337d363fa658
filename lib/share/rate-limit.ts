/**
 * Limits on password guessing, all in memory and bounded (a restart forgets them; an
 * attacker cannot cause one):
 *
 * - {@link LinkGuard}: per link and client address, an exponential back-off after a few
 *   failures, and per link a ceiling on Argon2 work per minute. Nothing here can lock a
 *   link for everyone: the client who fails waits, the others do not.
 * - {@link FailureLimiter}: per client address across all links, so one address cannot
 *   guess at many links.
 *
 * Addresses are counted by {@link addressKey}: IPv4 one by one, IPv6 by /64.
 * @module
 */
import { InvalidArgumentError } from '../errors'
import { parseDuration } from './duration'
import type { PasswordLockout } from './types'

/**
 * Options of the per-client-address password limit ({@link ShareHandlerOptions.passwordRateLimit}).
 * It lives in memory: a restart forgets it. IPv4 addresses count one by one; IPv6
 * addresses by their /64 prefix, which one client usually holds whole.
 */
export interface PasswordRateLimit {
  /** Wrong passwords one client address may try within `window`; the next POST gets 429 (default 20). */
  attempts?: number
  /** The sliding window (default `'15m'`). */
  window?: string | number
  /** How many client addresses are remembered at once; the least recently seen is forgotten first (default 10,000). */
  maxClients?: number
}

/** A refused password check: how long to wait, and why. */
export interface Refusal {
  /** Seconds until a check may run. */
  retryAfter: number
  /** `backoff`: this address failed too often on this link; `busy`: the link's per-minute ceiling is reached. */
  reason: 'backoff' | 'busy'
}

/** Keeps a Map at most `max` entries, forgetting the least recently set first. */
function remember<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key)
  map.set(key, value)
  while (map.size > max) map.delete(map.keys().next().value as K)
}

function wholeNumber(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new InvalidArgumentError(`${what} must be a whole number ≥ 1, got ${value}`)
  return value
}

/**
 * Per link and client: `attempts` free failures, then a wait of 1 s that doubles with
 * each further failure up to `maxDelay`; failures are forgotten after `window` or at the
 * first correct password. Per link: at most `checksPerMinute` password checks a minute.
 */
export class LinkGuard {
  readonly attempts: number
  readonly #window: number
  readonly #maxDelay: number
  readonly #perMinute: number
  readonly #maxEntries: number
  readonly #failures = new Map<string, { count: number; last: number }>()
  readonly #checks = new Map<string, number[]>()

  constructor(options: PasswordLockout = {}, maxEntries = 100_000) {
    this.attempts = wholeNumber(options.attempts ?? 5, 'lockout.attempts')
    this.#window = parseDuration(options.window ?? '24h', 'lockout.window')
    this.#maxDelay = parseDuration(options.maxDelay ?? '15m', 'lockout.maxDelay')
    this.#perMinute = wholeNumber(options.checksPerMinute ?? 30, 'lockout.checksPerMinute')
    this.#maxEntries = maxEntries
  }

  /** Whether a password check of `link` from `client` may run now; when it may, it is counted against the link's ceiling. */
  admit(link: string, client: string, now: number): Refusal | undefined {
    const entry = this.#failures.get(`${link} ${client}`)
    if (entry && now - entry.last < this.#window && entry.count >= this.attempts) {
      const delay = Math.min(this.#maxDelay, 1000 * 2 ** (entry.count - this.attempts))
      if (now < entry.last + delay)
        return { retryAfter: Math.max(1, Math.ceil((entry.last + delay - now) / 1000)), reason: 'backoff' }
    }
    const recent = (this.#checks.get(link) ?? []).filter((t) => t > now - 60_000)
    if (recent.length >= this.#perMinute) {
      this.#checks.set(link, recent)
      return { retryAfter: Math.max(1, Math.ceil((recent[0]! + 60_000 - now) / 1000)), reason: 'busy' }
    }
    recent.push(now)
    remember(this.#checks, link, recent, this.#maxEntries)
    return undefined
  }

  /** The check admitted by {@link LinkGuard.admit} ended: a failure is counted, a success forgets the address's failures. */
  settle(link: string, client: string, ok: boolean, now: number): void {
    const key = `${link} ${client}`
    if (ok) {
      this.#failures.delete(key)
      return
    }
    const entry = this.#failures.get(key)
    const count = entry && now - entry.last < this.#window ? entry.count + 1 : 1
    remember(this.#failures, key, { count, last: now }, this.#maxEntries)
  }
}

/**
 * Wrong passwords per client address in a sliding window, in a bounded map (least
 * recently seen first out). Checks in flight count against the limit, so parallel
 * guesses cannot overrun it.
 */
export class FailureLimiter {
  readonly #attempts: number
  readonly #window: number
  readonly #maxClients: number
  readonly #clients = new Map<string, { failures: number[]; pending: number }>()

  constructor(options: PasswordRateLimit) {
    this.#attempts = wholeNumber(options.attempts ?? 20, 'passwordRateLimit.attempts')
    this.#window = parseDuration(options.window ?? '15m', 'passwordRateLimit.window')
    this.#maxClients = wholeNumber(options.maxClients ?? 10_000, 'passwordRateLimit.maxClients')
  }

  /** Seconds until `client` may try a password again; 0 when it may now. */
  retryAfter(client: string, now: number): number {
    const entry = this.#clients.get(client)
    if (!entry) return 0
    entry.failures = entry.failures.filter((t) => t > now - this.#window)
    if (entry.failures.length + entry.pending < this.#attempts) return 0
    // Over the limit only through checks in flight: wait as long as a fresh failure would.
    const oldest = entry.failures[entry.failures.length + entry.pending - this.#attempts] ?? now
    return Math.max(1, Math.ceil((oldest + this.#window - now) / 1000))
  }

  /** A password check of `client` starts. */
  begin(client: string): void {
    const entry = this.#clients.get(client) ?? { failures: [], pending: 0 }
    entry.pending++
    remember(this.#clients, client, entry, this.#maxClients)
  }

  /** A password check of `client` ended, wrong (`failed`) or not. */
  end(client: string, failed: boolean, now: number): void {
    const entry = this.#clients.get(client)
    if (!entry) return // forgotten meanwhile, under a flood of other addresses
    entry.pending = Math.max(0, entry.pending - 1)
    if (failed)
      entry.failures = [...entry.failures.filter((t) => t > now - this.#window), now].slice(-this.#attempts)
    if (entry.failures.length === 0 && entry.pending === 0) this.#clients.delete(client)
    else remember(this.#clients, client, entry, this.#maxClients)
  }
}

/**
 * The key an address is counted by: IPv4 as is (also when IPv4-mapped), IPv6 by its /64.
 *
 * @example
 * ```ts
 * addressKey('::ffff:192.0.2.7')            // '192.0.2.7'
 * addressKey('2001:db8:1:2:3:4:5:6')        // '2001:db8:1:2::/64'
 * ```
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address)
  if (mapped) return mapped[1]!
  if (!address.includes(':')) return address
  const plain = address.split('%')[0]!.toLowerCase()
  const groups = (part: string) =>
    part === '' ? [] : part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g]))
  const [head, tail] = plain.includes('::') ? (plain.split('::', 2) as [string, string]) : [plain, undefined]
  const h = groups(head)
  const t = tail === undefined ? [] : groups(tail)
  const full =
    tail === undefined ? h : [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t]
  return `${full
    .slice(0, 4)
    .map((g) => (parseInt(g, 16) || 0).toString(16))
    .join(':')}::/64`
}
