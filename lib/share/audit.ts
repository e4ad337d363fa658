/**
 * The monthly share audit: which links are live, which need attention.
 * @module
 */
import { isRawName } from '../previews/formats'
import { parseDuration } from './duration'
import type { ShareInfo } from './types'

/** What one usable link serves: previews, full-resolution originals, and how many of those are RAW files. */
export interface ShareExposure {
  id: string
  label: string
  scope: ShareInfo['scope']
  /** Generated previews (a preview share serves nothing else). */
  previews: number
  /** Full-resolution files. */
  originals: number
  /** Of the originals, RAW files. */
  raw: number
}

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
  /** For each active share: how many previews, originals and RAW originals it serves. */
  exposure: ShareExposure[]
}

/** Counts what a share serves, from its items. */
export function exposureOf(share: ShareInfo): ShareExposure {
  const originals = share.items.filter((i) => i.kind === 'full')
  return {
    id: share.id,
    label: share.label,
    scope: share.scope,
    previews: share.items.length - originals.length,
    originals: originals.length,
    raw: originals.filter((i) => isRawName(i.path)).length,
  }
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
    exposure: live.map(exposureOf),
  }
}
