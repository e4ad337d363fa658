/**
 * The share registry: every client link, its scope, items, expiry, password, download
 * limit and revocation, in SQLite (WAL), plus an append-only access log. The link's
 * secret is never stored, only a keyed BLAKE3 verifier of it.
 * @module
 */
import { closeSync, chmodSync, openSync } from 'node:fs'
import { randomBytes } from 'node:crypto'

import BetterSqlite3 from 'better-sqlite3'

import { InvalidArgumentError, ShareNotFoundError, TtlTooLongError } from '../errors'
import { generatePassphrase } from '../keys/passphrase'
import { auditRows, type ShareAudit, type AuditOptions } from './audit'
import { systemClock, type Clock } from './clock'
import { formatDuration, parseDuration } from './duration'
import { normalizeItems, isScope, type ShareItem, type ShareItemInput, type ShareScope } from './items'
import { hashPassword, verifyPassword } from './password'
import { checkPreviewItems } from './preview-items'
import { migrate } from './schema'
import { computeVerifier, newShareId, newShareSecret, parseToken, verifierKey, verifiersEqual, isShareId } from './tokens'

/** Where a share stands right now. */
export type ShareStatus = 'active' | 'expired' | 'revoked' | 'limit'

/** What the registry knows about a share (never its secret, verifier or password hash). */
export interface ShareInfo {
  id: string
  /** The session folder the items live in. */
  session: string
  scope: ShareScope
  items: ShareItem[]
  createdAt: Date
  expiresAt: Date
  revokedAt?: Date
  revokeReason?: string
  hasPassword: boolean
  maxDownloads?: number
  downloads: number
  label: string
  recipient: string
  lastAccessAt?: Date
  status: ShareStatus
}

/** Options of {@link openShareRegistry}. */
export interface ShareRegistryOptions {
  /** The SQLite file (created with mode 0600), or `':memory:'`. */
  path: string
  /** 32 secret bytes; verifiers are keyed with a key derived from it. */
  serverKey: Uint8Array
  /** Where links point, e.g. `'https://share.example.com'` (default `http://127.0.0.1:8765`). */
  baseUrl?: string
  /** Time source (default the system clock). */
  clock?: Clock
  /** Lifetime of a share when none is given (default `'7d'`, or `maxTtl` when that is shorter). */
  defaultTtl?: string | number
  /** Longest lifetime allowed (default `'14d'`); longer requests fail with `E_TTL_TOO_LONG`. */
  maxTtl?: string | number
  /** Bad passwords allowed per share within `window` before it locks (default 5 per 15 minutes). */
  lockout?: { attempts?: number; window?: string | number }
}

/** Options of {@link ShareRegistry.createShare}. */
export interface CreateShareOptions {
  /** The session folder the items are inside of. */
  session: string
  /**
   * Exactly what the link may serve: relative paths inside the session folder. Items of
   * kind `preview` (every item of a preview share) must be previews made by
   * `makePreviews` (`shutterproof previews`); anything else is refused with `E_NOT_A_PREVIEW`.
   */
  items: readonly ShareItemInput[]
  scope: ShareScope
  /** Lifetime, e.g. `'7d'` or milliseconds (default the registry's `defaultTtl`). */
  ttl?: string | number
  /** A password of at least 10 characters, or `'generate'` for 5 random words (returned once). */
  password?: string
  /** Refuse downloads after this many. */
  maxDownloads?: number
  label?: string
  recipient?: string
}

/** A new share: the only time its token (and a generated password) can be seen. */
export interface CreatedShare {
  id: string
  url: string
  token: string
  expiresAt: Date
  /** Present when the password was generated: give it to the client by another channel. */
  password?: string
}

/** The answer of {@link ShareRegistry.verifyAccess}. */
export type AccessStatus = 'ok' | 'expired' | 'revoked' | 'not_found' | 'bad_password' | 'password_required' | 'locked' | 'limit'

/** The answer of {@link ShareRegistry.verifyAccess}: a status, and the share when it was found. */
export interface AccessResult {
  status: AccessStatus
  /** The share, when the token's secret was right (every status but `not_found`). */
  share?: ShareInfo
  /** With `locked`: seconds until another password may be tried. */
  retryAfter?: number
}

/** Options of {@link ShareRegistry.verifyAccess}. */
export interface VerifyAccessOptions {
  /** The password the client typed. Without one, a password-protected share answers `password_required`. */
  password?: string
  /** Client address, for the access log. */
  remote?: string
}

/** One line of the access log. */
export interface AccessLogEntry {
  shareId: string
  event: string
  outcome: string
  item?: string
  bytes?: number
  remote?: string
}

/** Options of {@link ShareRegistry.pruneAccessLog}. */
export interface PruneAccessLogOptions {
  /**
   * Remove the entries recorded before this time, or older than this age: a duration
   * such as `'90d'` (units s, m, h, d, w) or milliseconds.
   */
  olderThan: Date | string | number
  /** Count the entries that would go, and remove nothing (the cutoff does not move either). */
  dryRun?: boolean
}

/** Options of {@link ShareRegistry.purgeExpired}. */
export interface PurgeExpiredOptions {
  /** Count the shares that would go, and delete nothing. */
  dryRun?: boolean
}

/** Filter of {@link ShareRegistry.listShares}. */
export interface ShareFilter {
  session?: string
  status?: ShareStatus
  scope?: ShareScope
}

interface ShareRow {
  id: string
  session: string
  scope: ShareScope
  verifier: Buffer
  created_at: number
  expires_at: number
  revoked_at: number | null
  revoke_reason: string | null
  password_hash: string | null
  max_downloads: number | null
  download_count: number
  label: string
  recipient: string
  last_access_at: number | null
}

const DUMMY_VERIFIER = randomBytes(32)

/**
 * The registry of share links. Open it with {@link openShareRegistry}.
 */
export class ShareRegistry {
  readonly #db: BetterSqlite3.Database
  readonly #verifierKey: Buffer
  readonly #clock: Clock
  readonly #baseUrl: string
  readonly #defaultTtl: number
  readonly #maxTtl: number
  readonly #lockAttempts: number
  readonly #lockWindow: number
  readonly #passwordQueue = new Map<string, Promise<unknown>>()

  /** @internal use {@link openShareRegistry} */
  constructor(options: ShareRegistryOptions) {
    if (!(options.serverKey instanceof Uint8Array) || options.serverKey.byteLength !== 32) {
      throw new InvalidArgumentError('The share registry needs a 32-byte serverKey (crypto.randomBytes(32), kept secret)')
    }
    this.#clock = options.clock ?? systemClock
    this.#baseUrl = (options.baseUrl ?? 'http://127.0.0.1:8765').replace(/\/+$/, '')
    this.#maxTtl = parseDuration(options.maxTtl ?? '14d', 'maxTtl')
    this.#defaultTtl = options.defaultTtl === undefined ? Math.min(7 * 86_400_000, this.#maxTtl) : parseDuration(options.defaultTtl, 'defaultTtl')
    if (this.#defaultTtl > this.#maxTtl) throw new InvalidArgumentError(`defaultTtl (${formatDuration(this.#defaultTtl)}) is longer than maxTtl (${formatDuration(this.#maxTtl)})`)
    this.#lockAttempts = options.lockout?.attempts ?? 5
    if (!Number.isInteger(this.#lockAttempts) || this.#lockAttempts < 1) throw new InvalidArgumentError('lockout.attempts must be a whole number ≥ 1')
    this.#lockWindow = parseDuration(options.lockout?.window ?? '15m', 'lockout.window')
    this.#verifierKey = verifierKey(options.serverKey)

    if (options.path !== ':memory:') {
      // Created owner-only before SQLite sees it; SQLite gives -wal/-shm the same mode.
      closeSync(openSync(options.path, 'a', 0o600))
      chmodSync(options.path, 0o600)
    }
    this.#db = new BetterSqlite3(options.path)
    this.#db.pragma('journal_mode = WAL')
    this.#db.pragma('synchronous = FULL') // a revocation must survive a power cut
    this.#db.pragma('foreign_keys = ON')
    this.#db.pragma('busy_timeout = 5000')
    migrate(this.#db, options.path)
  }

  /** Closes the database. */
  close(): void {
    this.#db.close()
  }

  /**
   * Creates a share with a fresh random id and secret. The token (and a generated
   * password) are returned now and never again.
   *
   * @example
   * ```ts
   * const { url, password } = await registry.createShare({
   *   session: '/photos/2026-04-26_Smith_Wedding', scope: 'preview',
   *   items: ['previews/IMG_0001.jpg'], ttl: '7d', password: 'generate', label: 'Smith selects',
   * })
   * ```
   */
  async createShare(options: CreateShareOptions): Promise<CreatedShare> {
    const { session, scope } = options
    if (typeof session !== 'string' || session.length === 0 || session.includes('\0')) {
      throw new InvalidArgumentError('createShare needs session: the session folder the items live in')
    }
    if (!isScope(scope)) throw new InvalidArgumentError(`createShare scope must be 'preview' or 'full', got ${JSON.stringify(scope)}`)
    const items = normalizeItems(options.items, scope)
    // Preview items must be previews Shutterproof made (E_NOT_A_PREVIEW), checked on disk.
    await checkPreviewItems(session, items)
    const ttl = options.ttl === undefined ? this.#defaultTtl : parseDuration(options.ttl, 'ttl')
    if (ttl > this.#maxTtl) {
      throw new TtlTooLongError(
        `Share links may live at most ${formatDuration(this.#maxTtl)}; ${formatDuration(ttl)} was asked. Give a shorter ttl (--expires), or raise maxTtl if your policy allows`,
      )
    }
    const maxDownloads = options.maxDownloads
    if (maxDownloads !== undefined && (!Number.isSafeInteger(maxDownloads) || maxDownloads < 1)) {
      throw new InvalidArgumentError(`maxDownloads must be a whole number ≥ 1, got ${maxDownloads}`)
    }
    const label = checkText(options.label, 'label')
    const recipient = checkText(options.recipient, 'recipient')
    let generated: string | undefined
    let passwordHash: string | null = null
    if (options.password !== undefined) {
      if (options.password === 'generate') generated = generatePassphrase({ words: 5 }).passphrase
      passwordHash = await hashPassword(generated ?? options.password)
    }

    const id = newShareId()
    const secret = newShareSecret()
    const now = this.#clock.now().getTime()
    const expiresAt = now + ttl
    this.#db.transaction(() => {
      this.#db
        .prepare(
          `INSERT INTO shares (id, session, scope, verifier, created_at, expires_at, password_hash, max_downloads, label, recipient)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(id, session, scope, computeVerifier(this.#verifierKey, id, secret), now, expiresAt, passwordHash, maxDownloads ?? null, label, recipient)
      const insert = this.#db.prepare('INSERT INTO share_items (share_id, idx, path, kind) VALUES (?, ?, ?, ?)')
      items.forEach((item, i) => insert.run(id, i, item.path, item.kind))
    })()
    const token = id + secret
    const created: CreatedShare = { id, url: `${this.#baseUrl}/s/${token}`, token, expiresAt: new Date(expiresAt) }
    if (generated !== undefined) created.password = generated
    return created
  }

  /**
   * Checks a token (and password) and says whether the link may be used now. The secret
   * is compared in constant time; an unknown id costs the same comparison. Bad passwords
   * are logged, and lock the share after `lockout.attempts` within `lockout.window`.
   *
   * @example
   * ```ts
   * const { status, share } = await registry.verifyAccess(token, { password })
   * if (status !== 'ok') return refuse(status)
   * ```
   */
  async verifyAccess(token: string, options: VerifyAccessOptions = {}): Promise<AccessResult> {
    const parts = parseToken(token)
    const row = parts ? this.#row(parts.id) : undefined
    const given = computeVerifier(this.#verifierKey, parts?.id ?? '', parts?.secret ?? '')
    const match = verifiersEqual(given, row?.verifier ?? DUMMY_VERIFIER)
    if (!parts || !row || !match) return { status: 'not_found' }
    const share = this.#info(row)
    if (share.status !== 'active') return { status: share.status, share }
    if (row.password_hash === null) return { status: 'ok', share }
    if (options.password === undefined || options.password === '') return { status: 'password_required', share }
    return this.#serialized(row.id, () => this.#checkPassword(row, share, options.password!, options.remote))
  }

  async #checkPassword(row: ShareRow, share: ShareInfo, password: string, remote: string | undefined): Promise<AccessResult> {
    const now = this.#clock.now().getTime()
    const failures = this.#recentFailures(row.id, now)
    if (failures.length >= this.#lockAttempts) {
      this.logAccess({ shareId: row.id, event: 'password', outcome: 'locked', remote })
      const retryAfter = Math.max(1, Math.ceil((failures[failures.length - this.#lockAttempts]! + this.#lockWindow - now) / 1000))
      return { status: 'locked', share, retryAfter }
    }
    const ok = await verifyPassword(password, row.password_hash!)
    this.logAccess({ shareId: row.id, event: 'password', outcome: ok ? 'password_ok' : 'bad_password', remote })
    return { status: ok ? 'ok' : 'bad_password', share }
  }

  /** Times of bad passwords within the window and since the last good one, oldest first. */
  #recentFailures(id: string, now: number): number[] {
    const since = Math.max(
      now - this.#lockWindow,
      (this.#db.prepare(`SELECT max(at) AS at FROM share_access_log WHERE share_id = ? AND event = 'password' AND outcome = 'password_ok'`).get(id) as { at: number | null }).at ?? -Infinity,
    )
    return (
      this.#db
        .prepare(`SELECT at FROM share_access_log WHERE share_id = ? AND event = 'password' AND outcome = 'bad_password' AND at > ? ORDER BY at`)
        .all(id, Number.isFinite(since) ? since : -1) as { at: number }[]
    ).map((r) => r.at)
  }

  /** Password checks of one share run one after another, so parallel guesses cannot overrun the lockout. */
  #serialized<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#passwordQueue.get(id) ?? Promise.resolve()
    const next = previous.then(fn, fn)
    const tail = next.catch(() => undefined)
    this.#passwordQueue.set(id, tail)
    void tail.then(() => {
      if (this.#passwordQueue.get(id) === tail) this.#passwordQueue.delete(id)
    })
    return next
  }

  /**
   * Counts one download, unless the share's limit is already reached (then `false`).
   * Atomic: parallel downloads can never exceed the limit.
   */
  recordDownload(id: string): boolean {
    const r = this.#db
      .prepare(
        `UPDATE shares SET download_count = download_count + 1, last_access_at = ?
         WHERE id = ? AND (max_downloads IS NULL OR download_count < max_downloads)`,
      )
      .run(this.#clock.now().getTime(), id)
    return r.changes === 1
  }

  /** Records that the share was opened now. */
  touch(id: string): void {
    this.#db.prepare('UPDATE shares SET last_access_at = ? WHERE id = ?').run(this.#clock.now().getTime(), id)
  }

  /**
   * Appends a line to the access log. Lines are never edited; the only way one leaves the
   * log is {@link ShareRegistry.pruneAccessLog}, which removes the oldest lines by age.
   */
  logAccess(entry: AccessLogEntry): void {
    this.#db
      .prepare('INSERT INTO share_access_log (share_id, at, event, outcome, item, bytes, remote) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(
        String(entry.shareId).slice(0, 64),
        this.#clock.now().getTime(),
        entry.event,
        entry.outcome,
        entry.item ?? null,
        entry.bytes ?? null,
        entry.remote ?? null,
      )
  }

  /**
   * The access log, oldest first (optionally of one share).
   *
   * @example
   * ```ts
   * for (const e of registry.accessLog(id)) console.log(e.at, e.event, e.outcome, e.item)
   * ```
   */
  accessLog(shareId?: string): Array<AccessLogEntry & { at: Date }> {
    const rows = (
      shareId === undefined
        ? this.#db.prepare('SELECT * FROM share_access_log ORDER BY seq').all()
        : this.#db.prepare('SELECT * FROM share_access_log WHERE share_id = ? ORDER BY seq').all(shareId)
    ) as Array<{ share_id: string; at: number; event: string; outcome: string; item: string | null; bytes: number | null; remote: string | null }>
    return rows.map((r) => ({
      shareId: r.share_id,
      at: new Date(r.at),
      event: r.event,
      outcome: r.outcome,
      ...(r.item === null ? {} : { item: r.item }),
      ...(r.bytes === null ? {} : { bytes: r.bytes }),
      ...(r.remote === null ? {} : { remote: r.remote }),
    }))
  }

  /**
   * Revokes a share now; its link answers 410 from the next request on. Revoking twice
   * keeps the first time and reason.
   *
   * @example
   * ```ts
   * registry.revokeShare('k3j5…', 'sent to the wrong client')
   * ```
   */
  revokeShare(id: string, reason = ''): ShareInfo {
    const row = isShareId(id) ? this.#row(id) : undefined
    if (!row) throw new ShareNotFoundError(`No share has id ${JSON.stringify(id)}; \`shutterproof share list\` shows the ids`)
    this.#db
      .prepare('UPDATE shares SET revoked_at = ?, revoke_reason = ? WHERE id = ? AND revoked_at IS NULL')
      .run(this.#clock.now().getTime(), checkText(reason, 'reason'), id)
    return this.#info(this.#row(id)!)
  }

  /**
   * Revokes every not-yet-revoked share of a session (the exact session path given at
   * creation); returns how many. `shutterproof share revoke --session DIR` calls it.
   *
   * @example
   * ```ts
   * registry.revokeSession('/photos/2026-04-26_Smith_Wedding', 'client asked to take the photos down')
   * ```
   */
  revokeSession(session: string, reason = 'session revoked'): number {
    return this.#db
      .prepare('UPDATE shares SET revoked_at = ?, revoke_reason = ? WHERE session = ? AND revoked_at IS NULL')
      .run(this.#clock.now().getTime(), checkText(reason, 'reason'), session).changes
  }

  /** One share, or `undefined`. */
  getShare(id: string): ShareInfo | undefined {
    const row = isShareId(id) ? this.#row(id) : undefined
    return row && this.#info(row)
  }

  /**
   * Shares, newest first, optionally filtered.
   *
   * @example
   * ```ts
   * registry.listShares({ status: 'active', scope: 'full' })
   * ```
   */
  listShares(filter: ShareFilter = {}): ShareInfo[] {
    const rows = this.#db.prepare('SELECT * FROM shares ORDER BY created_at DESC, id').all() as ShareRow[]
    return rows
      .map((r) => this.#info(r))
      .filter((s) => (filter.session === undefined || s.session === filter.session) && (filter.status === undefined || s.status === filter.status) && (filter.scope === undefined || s.scope === filter.scope))
  }

  /**
   * The monthly audit: active shares, those expiring soon, full-resolution shares without a
   * password, shares never opened, shares at their download limit, and expired shares
   * still in the registry (see {@link ShareRegistry.purgeExpired}).
   *
   * @example
   * ```ts
   * const audit = registry.auditShares()
   * for (const s of audit.fullWithoutPassword) console.warn('no password:', s.label)
   * ```
   */
  auditShares(options: AuditOptions = {}): ShareAudit {
    return auditRows(this.listShares(), this.#clock.now(), options)
  }

  /**
   * Deletes shares whose expiry has passed (and their items), revoked or not; a revoked
   * share stays listed until its expiry, for the audit. The access log is kept (see
   * {@link ShareRegistry.pruneAccessLog}). Returns how many shares were deleted.
   *
   * @example
   * ```ts
   * const purged = registry.purgeExpired()
   * const wouldGo = registry.purgeExpired({ dryRun: true })
   * ```
   */
  purgeExpired(options: PurgeExpiredOptions = {}): number {
    const now = this.#clock.now().getTime()
    if (options.dryRun) return (this.#db.prepare('SELECT count(*) AS n FROM shares WHERE expires_at <= ?').get(now) as { n: number }).n
    return this.#db.prepare('DELETE FROM shares WHERE expires_at <= ?').run(now).changes
  }

  /**
   * Removes the access-log entries older than `olderThan` and returns how many were
   * removed. The log keeps client addresses, so keep it only as long as you need it
   * (`shutterproof share purge` uses 90 days unless told otherwise).
   *
   * Only the oldest part of the log can go: the cutoff is recorded in the database, only
   * ever moves forward, and the database refuses to delete any newer line. Entries within
   * the password lockout window (`lockout.window`, 15 minutes by default) are always kept,
   * so pruning never lifts a lock. Shares themselves are not touched; see
   * {@link ShareRegistry.purgeExpired}.
   *
   * @example
   * ```ts
   * const removed = registry.pruneAccessLog({ olderThan: '90d' })
   * registry.pruneAccessLog({ olderThan: new Date('2026-01-01T00:00:00Z') })
   * const wouldGo = registry.pruneAccessLog({ olderThan: '30d', dryRun: true })
   * ```
   */
  pruneAccessLog(options: PruneAccessLogOptions): number {
    const cutoff = this.#logCutoff((options as Partial<PruneAccessLogOptions> | undefined)?.olderThan)
    if (options.dryRun) return (this.#db.prepare('SELECT count(*) AS n FROM share_access_log WHERE at < ?').get(cutoff) as { n: number }).n
    return this.#db
      .transaction(() => {
        this.#db.prepare('UPDATE share_access_log_pruned SET before = max(before, ?) WHERE id = 1').run(cutoff)
        return this.#db.prepare('DELETE FROM share_access_log WHERE at < ?').run(cutoff).changes
      })
      .immediate()
  }

  /** The time before which access-log entries may go: never inside the lockout window. */
  #logCutoff(olderThan: unknown): number {
    const now = this.#clock.now().getTime()
    let cutoff: number
    if (olderThan instanceof Date) {
      cutoff = olderThan.getTime()
      if (!Number.isFinite(cutoff)) throw new InvalidArgumentError('pruneAccessLog olderThan is an invalid Date')
    } else if (typeof olderThan === 'string' || typeof olderThan === 'number') {
      cutoff = now - parseDuration(olderThan, 'olderThan')
    } else {
      throw new InvalidArgumentError("pruneAccessLog needs olderThan: a Date, or an age such as '90d'")
    }
    return Math.min(cutoff, now - this.#lockWindow)
  }

  #row(id: string): ShareRow | undefined {
    return this.#db.prepare('SELECT * FROM shares WHERE id = ?').get(id) as ShareRow | undefined
  }

  #info(r: ShareRow): ShareInfo {
    const now = this.#clock.now().getTime()
    const items = this.#db.prepare('SELECT path, kind FROM share_items WHERE share_id = ? ORDER BY idx').all(r.id) as ShareItem[]
    const status: ShareStatus =
      r.revoked_at !== null ? 'revoked' : now >= r.expires_at ? 'expired' : r.max_downloads !== null && r.download_count >= r.max_downloads ? 'limit' : 'active'
    const info: ShareInfo = {
      id: r.id,
      session: r.session,
      scope: r.scope,
      items: items.map((i) => ({ path: i.path, kind: i.kind })),
      createdAt: new Date(r.created_at),
      expiresAt: new Date(r.expires_at),
      hasPassword: r.password_hash !== null,
      downloads: r.download_count,
      label: r.label,
      recipient: r.recipient,
      status,
    }
    if (r.revoked_at !== null) info.revokedAt = new Date(r.revoked_at)
    if (r.revoke_reason !== null && r.revoked_at !== null) info.revokeReason = r.revoke_reason
    if (r.max_downloads !== null) info.maxDownloads = r.max_downloads
    if (r.last_access_at !== null) info.lastAccessAt = new Date(r.last_access_at)
    return info
  }
}

function checkText(value: unknown, what: string): string {
  if (value === undefined || value === null) return ''
  if (typeof value !== 'string') throw new InvalidArgumentError(`${what} must be a string`)
  if (value.length > 500) throw new InvalidArgumentError(`${what} is longer than 500 characters; shorten it`)
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(value)) throw new InvalidArgumentError(`${what} contains control characters; remove them`)
  return value
}

/**
 * Opens (creating and migrating as needed) a share registry.
 *
 * @example
 * ```ts
 * import { openShareRegistry } from 'shutterproof'
 * const registry = openShareRegistry({ path: 'shares.db', serverKey, baseUrl: 'https://share.example.com' })
 * ```
 */
export function openShareRegistry(options: ShareRegistryOptions): ShareRegistry {
  return new ShareRegistry(options)
}
