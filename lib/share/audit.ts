/**
 * The monthly share audit: which links are live, which need attention.
 * @module
 */
import { isRawName } from '../previews/formats'
import { parseDuration } from './duration'
import type { ShareInfo, ShareStatus } from './types'

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
  /** Every recipient of every link bound to recipients: who signed in, and what each downloaded. */
  byRecipient: RecipientAudit[]
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

/** What one recipient of one link did, from the access log (as far back as it is kept). */
export interface RecipientAudit {
  shareId: string
  label: string
  shareStatus: ShareStatus
  address: string
  /** `revoked` when this recipient alone was revoked. */
  status: 'active' | 'revoked'
  /** ISO 8601 UTC. */
  revokedAt?: string
  /** Sign-in codes e-mailed to them, and sends that failed. */
  codesSent: number
  sendFailures: number
  /** Successful sign-ins, and wrong codes typed at their address. */
  signIns: number
  /** ISO 8601 UTC. */
  lastSignIn?: string
  wrongCodes: number
  /** Files they downloaded (whole or in part), with the bytes sent and requests made. */
  downloads: Array<{ item: string; bytes: number; requests: number }>
  /** How many times they downloaded everything as one archive. */
  archives: number
  /** Bytes sent to them, all downloads together. */
  bytes: number
  /** ISO 8601 UTC. */
  lastAccess?: string
}

/** The access log summed per share, recipient, event, outcome and item (what {@link auditRows} groups). */
export interface RecipientActivity {
  shareId: string
  address: string
  event: string
  outcome: string
  item?: string
  count: number
  bytes: number
  last: Date
}

/**
 * Sorts shares into the audit's categories.
 *
 * @example
 * ```ts
 * const audit = auditRows(registry.listShares(), new Date())
 * ```
 */
export function auditRows(
  shares: readonly ShareInfo[],
  at: Date,
  options: AuditOptions = {},
  activity: readonly RecipientActivity[] = [],
): ShareAudit {
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
    byRecipient: byRecipient(shares, activity),
  }
}

/** One entry per recipient of each bound link, in the links' order, with what the log says they did. */
function byRecipient(shares: readonly ShareInfo[], activity: readonly RecipientActivity[]): RecipientAudit[] {
  const out: RecipientAudit[] = []
  for (const share of shares) {
    for (const r of share.recipients) {
      const mine = activity.filter((a) => a.shareId === share.id && a.address === r.address)
      const sum = (event: string, outcomes: readonly string[]) =>
        mine.filter((a) => a.event === event && outcomes.includes(a.outcome)).reduce((n, a) => n + a.count, 0)
      const signIns = mine.filter((a) => a.event === 'signin' && a.outcome === 'code_ok')
      const files = new Map<string, { item: string; bytes: number; requests: number }>()
      for (const a of mine.filter(
        (x) =>
          x.event === 'download' && (x.outcome === 'ok' || x.outcome === 'partial') && x.item !== undefined,
      )) {
        const f = files.get(a.item!) ?? { item: a.item!, bytes: 0, requests: 0 }
        f.bytes += a.bytes
        f.requests += a.count
        files.set(a.item!, f)
      }
      const archives = mine.filter((a) => a.event === 'download_all' && a.outcome === 'ok')
      const entry: RecipientAudit = {
        shareId: share.id,
        label: share.label,
        shareStatus: share.status,
        address: r.address,
        status: r.status,
        codesSent: sum('signin', ['code_sent']),
        sendFailures: sum('signin', ['send_failed']),
        signIns: signIns.reduce((n, a) => n + a.count, 0),
        wrongCodes: sum('signin', ['bad_code']),
        downloads: [...files.values()].sort((a, b) => a.item.localeCompare(b.item)),
        archives: archives.reduce((n, a) => n + a.count, 0),
        bytes:
          [...files.values()].reduce((n, f) => n + f.bytes, 0) + archives.reduce((n, a) => n + a.bytes, 0),
      }
      if (r.revokedAt) entry.revokedAt = r.revokedAt
      const lastSignIn = latest(signIns)
      if (lastSignIn) entry.lastSignIn = lastSignIn.toISOString()
      const lastAccess = latest(mine.filter((a) => a.event !== 'signin' || a.outcome === 'code_ok'))
      if (lastAccess) entry.lastAccess = lastAccess.toISOString()
      out.push(entry)
    }
  }
  return out
}

function latest(rows: readonly RecipientActivity[]): Date | undefined {
  return rows.reduce<Date | undefined>((d, a) => (d === undefined || a.last > d ? a.last : d), undefined)
}
