/**
 * The sign-in limits the handler keeps in memory, for every address typed (recipient or
 * not, so a limit reached says nothing about who is a recipient):
 *
 * - codes asked per e-mail address per link: 3 an hour;
 * - code requests per client address across links: 10 per 15 minutes;
 * - wrong codes per e-mail address per link: 5, then a new code must be asked for.
 *
 * The registry keeps a second bound that survives restarts (6 codes an hour per
 * recipient, 5 wrong tries per code). Wrong codes also count against the handler's
 * per-client limit on wrong passwords.
 * @module
 */
import { InvalidArgumentError } from '../../errors'
import { CODE_ATTEMPTS } from '../recipients'

/** Options of the sign-in limits ({@link ShareHandlerOptions.signIn}). */
export interface SignInLimits {
  /** Codes one e-mail address may ask for on one link per hour (default 3). */
  codesPerAddress?: number
  /** Code requests one client address may make per 15 minutes, across links (default 10). */
  requestsPerClient?: number
}

const HOUR = 3_600_000
const QUARTER = 15 * 60_000
const MAX_KEYS = 100_000

function wholeNumber(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new InvalidArgumentError(`${what} must be a whole number ≥ 1, got ${value}`)
  return value
}

/** Events per key in a sliding window, in a bounded map (least recently touched out first). */
class SlidingWindow {
  readonly #max: number
  readonly #window: number
  readonly #hits = new Map<string, number[]>()

  constructor(max: number, window: number) {
    this.#max = max
    this.#window = window
  }

  /** Seconds until `key` may have another event; 0 when it may now. */
  retryAfter(key: string, now: number): number {
    const hits = (this.#hits.get(key) ?? []).filter((t) => t > now - this.#window)
    if (hits.length < this.#max) return 0
    return Math.max(1, Math.ceil((hits[hits.length - this.#max]! + this.#window - now) / 1000))
  }

  hit(key: string, now: number): void {
    const hits = [...(this.#hits.get(key) ?? []).filter((t) => t > now - this.#window), now].slice(-this.#max)
    this.#hits.delete(key)
    this.#hits.set(key, hits)
    while (this.#hits.size > MAX_KEYS) this.#hits.delete(this.#hits.keys().next().value as string)
  }
}

/** The handler's sign-in counters. */
export class SignInGuard {
  readonly #perAddress: SlidingWindow
  readonly #perClient: SlidingWindow
  readonly #wrong = new Map<string, number>()

  constructor(options: SignInLimits = {}) {
    this.#perAddress = new SlidingWindow(
      wholeNumber(options.codesPerAddress ?? 3, 'signIn.codesPerAddress'),
      HOUR,
    )
    this.#perClient = new SlidingWindow(
      wholeNumber(options.requestsPerClient ?? 10, 'signIn.requestsPerClient'),
      QUARTER,
    )
  }

  /**
   * Whether a code may be asked for `address` on `shareId` from `client` now: 0, and the
   * request is counted (and the address's wrong codes forgotten), or the seconds to wait.
   */
  requestCode(shareId: string, address: string, client: string | undefined, now: number): number {
    const key = `${shareId} ${address}`
    const wait = Math.max(
      this.#perAddress.retryAfter(key, now),
      client === undefined ? 0 : this.#perClient.retryAfter(client, now),
    )
    if (wait > 0) return wait
    this.#perAddress.hit(key, now)
    if (client !== undefined) this.#perClient.hit(client, now)
    this.#wrong.delete(key)
    return 0
  }

  /** Whether another code may be tried for `address` on `shareId` (fewer than 5 wrong since its last code request). */
  mayTryCode(shareId: string, address: string): boolean {
    return (this.#wrong.get(`${shareId} ${address}`) ?? 0) < CODE_ATTEMPTS
  }

  /** Counts a wrong code. */
  wrongCode(shareId: string, address: string): void {
    const key = `${shareId} ${address}`
    const n = (this.#wrong.get(key) ?? 0) + 1
    this.#wrong.delete(key)
    this.#wrong.set(key, n)
    while (this.#wrong.size > MAX_KEYS) this.#wrong.delete(this.#wrong.keys().next().value as string)
  }
}
