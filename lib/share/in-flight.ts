/**
 * Downloads under way, by share. While any runs, the registry is asked every quarter
 * second whether their links are still usable: a revoked or expired link ends its
 * downloads within a second, even when `share revoke` ran in another process; so does a
 * revoked recipient's, on a link bound to recipients.
 * @module
 */
import type { ServerResponse } from 'node:http'

import type { ShareRegistry } from './registry'

/** How often running downloads are checked against the registry. */
const CHECK_EVERY_MS = 250

/** Tracks running downloads and ends those whose link was revoked or expired. */
export class InFlight {
  readonly #registry: ShareRegistry
  readonly #byShare = new Map<string, Set<ServerResponse>>()
  readonly #recipientOf = new WeakMap<ServerResponse, string>()
  #timer: NodeJS.Timeout | undefined

  constructor(registry: ShareRegistry) {
    this.#registry = registry
  }

  /** Watches `res` (sent to `recipientId`, on a bound link) until it closes. */
  add(shareId: string, res: ServerResponse, recipientId?: string): void {
    if (recipientId !== undefined) this.#recipientOf.set(res, recipientId)
    const set = this.#byShare.get(shareId) ?? new Set()
    set.add(res)
    this.#byShare.set(shareId, set)
    res.once('close', () => {
      set.delete(res)
      if (set.size === 0 && this.#byShare.get(shareId) === set) this.#byShare.delete(shareId)
    })
    // unref: a running check never keeps a process alive on its own.
    this.#timer ??= setInterval(() => this.#check(), CHECK_EVERY_MS).unref()
  }

  #check(): void {
    for (const [id, set] of this.#byShare) {
      let usable: boolean
      let revoked: Set<string> = new Set()
      try {
        const share = this.#registry.getShare(id)
        // At its limit, a link lets the downloads already paid for finish.
        usable = share?.status === 'active' || share?.status === 'limit'
        revoked = new Set(share?.recipients.filter((r) => r.status === 'revoked').map((r) => r.id))
      } catch {
        usable = false // the registry is closed: the server is going away
      }
      for (const res of set) {
        const recipient = this.#recipientOf.get(res)
        if (!usable || (recipient !== undefined && revoked.has(recipient))) res.destroy()
      }
    }
    if (this.#byShare.size === 0) {
      clearInterval(this.#timer)
      this.#timer = undefined
    }
  }
}
