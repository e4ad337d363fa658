/**
 * The monthly share audit: which links are live, which need attention.
 * @module
 */
import { parseDuration } from './duration'
import type { ShareInfo } from './types'

/** Options of the audit. */
export interface AuditOptions {
  /** How near the expiry counts as "expiring soon" (default `'48h'`). */
  soon?: string | number
}

/** The audit's findings; one share can appear in several lists. */
export interface ShareAudit {
  /** When the audit was taken. */
  at: Date
  /** Usable now: not revoked, not expired (a share at its download limit is listed here and under `limitReached`). */
  active: ShareInfo[]
  /** Active, and expiring within `soon`. */
  expiringSoon: ShareInfo[]
  /** Active full-resolution shares with no password. */
  fullWithoutPassword: ShareInfo[]
  /** Active, and never opened: did the client get the link? */
  neverOpened: ShareInfo[]
  /** Not revoked, not expired, but at their download limit. */
  limitReached: ShareInfo[]
  /** Expired and still in the registry: `purgeExpired()` removes them. */
  expiredNotPurged: ShareInfo[]
}

/**
 * Sorts shares into the audit's categories.
 *
 * @example
 * ```ts
 * const audit = auditRows(registry.listShares(), new Date())
 * ```
 */
export function auditRows(shares: readonly ShareInfo[], at: Date, options: AuditOptions = {}): ShareAudit {
  const soon = parseDuration(options.soon ?? '48h', 'soon')
  const now = at.getTime()
  const live = shares.filter((s) => s.status === 'active' || s.status === 'limit')
  return {
    at,
    active: live,
    expiringSoon: live.filter((s) => Date.parse(s.expiresAt) - now <= soon),
    fullWithoutPassword: live.filter((s) => s.scope === 'full' && !s.hasPassword),
    neverOpened: live.filter((s) => s.lastAccessAt === undefined),
    limitReached: live.filter((s) => s.status === 'limit'),
    expiredNotPurged: shares.filter((s) => Date.parse(s.expiresAt) <= now),
  }
}
