/**
 * The share registry: every client link, its scope, items, expiry, password, download
 * limit and revocation, in SQLite (WAL), plus an append-only access log. The link's
 * secret is never stored, only a keyed BLAKE3 verifier of it.
 * @module
 */
import { closeSync, chmodSync, openSync } from 'node:fs'
import { randomBytes } from 'node:crypto'

import { asyncOpen } from '../deprecate'
import { InvalidArgumentError, ShareNotFoundError, ShutterproofError, TtlTooLongError } from '../errors'
import { toFsError } from '../fs/errors'
import { checkDatabasePath, openDatabaseFile, sqliteError } from '../fs/sqlite'
import type { Database } from '../sqlite'
import { generatePassphrase } from '../keys/passphrase'
import { auditRows, type RecipientActivity, type ShareAudit, type AuditOptions } from './audit'
import { systemClock, type Clock } from './clock'
import { formatDuration, parseDuration } from './duration'
import { normalizeItems, isScope, type ShareItem, type ShareScope } from './items'
import { hashPassword, verifyPassword } from './password'
import { publicUrlOf } from './public-url'
import { checkPreviewItems } from './preview-items'
import { addressKey, LinkGuard } from './rate-limit'
import { RecipientStore, type IssuedCode } from './recipients'
import { migrate } from './schema'
import { checkRecipients, normalizeAddress } from './signin/address'
import { codeKey } from './signin/codes'
import { checkSessionFiles } from './session-files'
import {
  computeVerifier,
  newShareId,
  newShareSecret,
  parseToken,
  verifierKey,
  verifiersEqual,
  isShareId,
} from './tokens'
import type {
  AccessLogEntry,
  AccessResult,
  ByteCharge,
  CreatedShare,
  CreateShareOptions,
  PruneAccessLogOptions,
  PurgeExpiredOptions,
  ShareFilter,
  ShareInfo,
  ShareRecipient,
  ShareRegistryOptions,
  ShareStatus,
  VerifyAccessOptions,
} from './types'

export type { IssuedCode } from './recipients'
export type {
  AccessLogEntry,
  AccessResult,
  ByteCharge,
  AccessStatus,
  CreatedShare,
  CreateShareOptions,
  PasswordLockout,
  PruneAccessLogOptions,
  PurgeExpiredOptions,
  ShareFilter,
  ShareInfo,
  ShareRecipient,
  ShareRegistryOptions,
  ShareStatus,
  VerifyAccessOptions,
} from './types'

/** Access-log entries this young are never pruned by age (only the row bound can take them). */
const RECENT_LOG_KEPT = 15 * 60_000
/** How often (in inserted rows) the access log's row bound is checked. */
const BOUND_CHECK_EVERY = 100

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

/** The byte budget of one item: full deliveries so far, and the bytes sent beyond them. */
interface ItemBudget {
  deliveries: number
  carry_bytes: number
}

/**
 * The registry of share links. Open it with {@link openShareRegistry}.
 */
export class ShareRegistry {
  readonly #db: Database
  readonly #verifierKey: Buffer
  readonly #clock: Clock
  readonly #publicUrl: string
  readonly #defaultTtl: number
  readonly #maxTtl: number
  readonly #guard: LinkGuard
  readonly #maxLogRows: number
  readonly #recipients: RecipientStore
  readonly #passwordQueue = new Map<string, Promise<unknown>>()
  /** Refusals that cost no work, counted per minute: `minute|shareId|event|outcome` → count. */
  readonly #tally = new Map<string, number>()
  #insertsSinceBoundCheck = 0

  /** @internal use {@link openShareRegistry} */
  constructor(options: ShareRegistryOptions) {
    if (!(options.serverKey instanceof Uint8Array) || options.serverKey.byteLength !== 32) {
      throw new InvalidArgumentError(
        'The share registry needs a 32-byte serverKey (crypto.randomBytes(32), kept secret)',
      )
    }
    this.#clock = options.clock ?? systemClock
    this.#publicUrl = publicUrlOf(options.publicUrl ?? options.baseUrl ?? 'http://127.0.0.1:8765')
    this.#maxTtl = parseDuration(options.maxTtl ?? '14d', 'maxTtl')
    this.#defaultTtl =
      options.defaultTtl === undefined
        ? Math.min(7 * 86_400_000, this.#maxTtl)
        : parseDuration(options.defaultTtl, 'defaultTtl')
    if (this.#defaultTtl > this.#maxTtl)
      throw new InvalidArgumentError(
        `defaultTtl (${formatDuration(this.#defaultTtl)}) is longer than maxTtl (${formatDuration(this.#maxTtl)})`,
      )
    this.#guard = new LinkGuard(options.lockout)
    this.#maxLogRows = options.maxLogRows ?? 500_000
    if (!Number.isSafeInteger(this.#maxLogRows) || this.#maxLogRows < 1)
      throw new InvalidArgumentError(`maxLogRows must be a whole number ≥ 1, got ${options.maxLogRows}`)
    this.#verifierKey = verifierKey(options.serverKey)

    if (typeof options.path !== 'string' || options.path === '')
      throw new InvalidArgumentError('The share registry needs the path of its database file (or ":memory:")')
    checkDatabasePath(options.path, 'share registry')
    if (options.path !== ':memory:') {
      // Created owner-only before SQLite sees it; SQLite gives -wal/-shm the same mode.
      try {
        closeSync(openSync(options.path, 'a', 0o600))
        chmodSync(options.path, 0o600)
      } catch (err) {
        throw toFsError(err, options.path, 'create the share registry')
      }
    }
    this.#db = openDatabaseFile(options.path, 'share registry')
    try {
      this.#db.pragma('journal_mode = WAL')
      this.#db.pragma('synchronous = FULL') // a revocation must survive a power cut
      this.#db.pragma('foreign_keys = ON')
      this.#db.pragma('busy_timeout = 5000')
      migrate(this.#db, options.path)
      this.#recipients = new RecipientStore(this.#db, codeKey(options.serverKey))
    } catch (err) {
      this.#db.close()
      throw err instanceof ShutterproofError ? err : sqliteError(err, options.path, 'share registry')
    }
  }

  /** The address every link starts with (the `publicUrl` option, without a trailing slash). */
  get publicUrl(): string {
    return this.#publicUrl
  }

  /**
   * Runs bookkeeping writes (access-log lines, last-access times, bytes counted) without
   * an fsync each (`synchronous = NORMAL`): in WAL mode a power cut can lose the last of
   * them but never corrupts the database, and the next FULL commit (a revocation, a new
   * share) makes them durable too. One fsync per page view would cap the server at a few
   * hundred requests per second.
   */
  #relaxed<T>(fn: () => T): T {
    this.#db.pragma('synchronous = NORMAL')
    try {
      return fn()
    } finally {
      this.#db.pragma('synchronous = FULL')
    }
  }

  /** Closes the database, writing the per-minute counts first (again: nothing). */
  close(): void {
    if (!this.#db.open) return
    this.#flushTally(Infinity)
    this.#db.close()
  }

  /** `await using registry = await openShareRegistry(…)` closes it at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close()
  }

  /** `using registry = …` closes it at the end of the block. */
  [Symbol.dispose](): void {
    this.close()
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
    if (!isScope(scope))
      throw new InvalidArgumentError(
        `createShare scope must be 'preview' or 'full', got ${JSON.stringify(scope)}`,
      )
    const items = normalizeItems(options.items, scope)
    checkSessionFiles(session, items)
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
    const recipients = checkRecipients(options.recipients)
    let generated: string | undefined
    let passwordHash: string | null = null
    if (options.password !== undefined) {
      if (options.password === 'generate') generated = generatePassphrase({ words: 5 }).passphrase
      passwordHash = await hashPassword(generated ?? options.password, {
        generated: generated !== undefined,
        userInputs: [label, recipient].filter(Boolean),
      })
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
        .run(
          id,
          session,
          scope,
          computeVerifier(this.#verifierKey, id, secret),
          now,
          expiresAt,
          passwordHash,
          maxDownloads ?? null,
          label,
          recipient,
        )
      const insert = this.#db.prepare(
        'INSERT INTO share_items (share_id, idx, path, kind) VALUES (?, ?, ?, ?)',
      )
      items.forEach((item, i) => insert.run(id, i, item.path, item.kind))
      this.#recipients.add(id, recipients, now)
    })()
    const token = id + secret
    const created: CreatedShare = {
      id,
      url: `${this.#publicUrl}/s/${token}`,
      token,
      expiresAt: new Date(expiresAt).toISOString(),
    }
    if (generated !== undefined) created.password = generated
    if (recipients.length > 0) created.recipients = recipients
    return created
  }

  /**
   * Checks a token (and password) and says whether the link may be used now. The secret
   * is compared in constant time; an unknown id costs the same comparison, and no
   * database write (unknown links are counted per minute in one log line). Wrong
   * passwords slow down the address they come from (see {@link PasswordLockout}):
   * `locked` with `retryAfter` says how long that address, or everyone when the link's
   * per-minute ceiling is reached, must wait. Without `remote`, all callers count as one
   * address.
   *
   * @example
   * ```ts
   * const { status, share } = await registry.verifyAccess(token, { password, remote: '203.0.113.5' })
   * if (status !== 'ok') return refuse(status)
   * ```
   */
  async verifyAccess(token: string, options: VerifyAccessOptions = {}): Promise<AccessResult> {
    const parts = parseToken(token)
    const row = parts ? this.#row(parts.id) : undefined
    const given = computeVerifier(this.#verifierKey, parts?.id ?? '', parts?.secret ?? '')
    const match = verifiersEqual(given, row?.verifier ?? DUMMY_VERIFIER)
    if (!parts || !row || !match) {
      this.countAccess({ shareId: '-', event: 'probe', outcome: 'not_found' })
      return { status: 'not_found' }
    }
    const share = this.#info(row)
    if (share.status !== 'active') return { status: share.status, share }
    // Sign-in first: a bound link opens only for an active recipient, then asks its password.
    const recipient =
      share.recipients.length === 0
        ? undefined
        : share.recipients.find((r) => r.id === options.recipient && r.status === 'active')
    if (share.recipients.length > 0 && !recipient) return { status: 'signin_required', share }
    const who = recipient ? { recipient } : {}
    if (row.password_hash === null) return { status: 'ok', share, ...who }
    if (options.password === undefined || options.password === '')
      return { status: 'password_required', share, ...who }
    return this.#serialized(row.id, () =>
      this.#checkPassword(row, share, options.password!, options.remote, recipient),
    )
  }

  async #checkPassword(
    row: ShareRow,
    share: ShareInfo,
    password: string,
    remote: string | undefined,
    recipient: ShareRecipient | undefined,
  ): Promise<AccessResult> {
    const client = remote === undefined ? '' : addressKey(remote)
    const refusal = this.#guard.admit(row.id, client, this.#clock.now().getTime())
    if (refusal) {
      this.countAccess({
        shareId: row.id,
        event: 'password',
        outcome: refusal.reason === 'busy' ? 'throttled' : 'locked',
      })
      return { status: 'locked', share, retryAfter: refusal.retryAfter }
    }
    const ok = await verifyPassword(password, row.password_hash!)
    this.#guard.settle(row.id, client, ok, this.#clock.now().getTime())
    this.logAccess({
      shareId: row.id,
      event: 'password',
      outcome: ok ? 'password_ok' : 'bad_password',
      ...(remote === undefined ? {} : { remote }),
      ...(recipient ? { recipient: recipient.address } : {}),
    })
    return { status: ok ? 'ok' : 'bad_password', share, ...(recipient ? { recipient } : {}) }
  }

  /**
   * Makes a sign-in code for `address` on an active share, when it is one of the share's
   * active recipients (`not_recipient` otherwise, `capped` after 6 codes in an hour). The
   * caller mails it; the registry keeps only a keyed hash. The share handler calls this
   * off the response path, so that the answer to "send me a code" is the same, in content
   * and in time, for recipients and everyone else.
   *
   * @example
   * ```ts
   * const issued = registry.issueSigninCode(share.id, 'client@example.com')
   * if (issued.status === 'issued') await mailer.send(signInMessage({ to: issued.recipient.address, code: issued.code, … }))
   * ```
   */
  issueSigninCode(shareId: string, address: string): IssuedCode {
    const normalized = normalizeAddress(address)
    const row = normalized !== undefined && isShareId(shareId) ? this.#row(shareId) : undefined
    if (!row || this.#info(row).status !== 'active') return { status: 'not_recipient' }
    return this.#relaxed(() => this.#recipients.issueCode(shareId, normalized!, this.#clock.now().getTime()))
  }

  /**
   * The recipient a code signs in, using the code up, or `undefined` for a wrong, used
   * or expired code (or an address that is not a recipient: the same answer). A code
   * stops working after 5 wrong tries at its address ({@link ShareRegistry.countWrongCode}).
   */
  checkSigninCode(shareId: string, address: string, code: string): ShareRecipient | undefined {
    const normalized = normalizeAddress(address)
    if (normalized === undefined || !isShareId(shareId)) return undefined
    return this.#relaxed(() =>
      this.#recipients.checkCode(shareId, normalized, code, this.#clock.now().getTime()),
    )
  }

  /** Counts a wrong code against the live codes of `address` on the share; returns the recipient it was, if any. */
  countWrongCode(shareId: string, address: string): ShareRecipient | undefined {
    const normalized = normalizeAddress(address)
    if (normalized === undefined || !isShareId(shareId)) return undefined
    this.#relaxed(() => this.#recipients.countWrongCode(shareId, normalized, this.#clock.now().getTime()))
    return this.#recipients.list(shareId).find((r) => r.address === normalized)
  }

  /**
   * Revokes one recipient of a share: their sign-in stops working from the next request
   * (downloads under way end within a second), no code is mailed to them any more, and
   * the other recipients go on. Revoking twice keeps the first time and reason.
   *
   * @example
   * ```ts
   * registry.revokeRecipient('k3v7qzp2m4x6b5ta', 'assistant@example.com', 'left the agency')
   * ```
   */
  revokeRecipient(shareId: string, address: string, reason = ''): ShareRecipient {
    const row = isShareId(shareId) ? this.#row(shareId) : undefined
    if (!row)
      throw new ShareNotFoundError(
        `No share has id ${JSON.stringify(shareId)}; registry.listShares() gives the ids`,
      )
    const normalized = normalizeAddress(address)
    const revoked =
      normalized === undefined
        ? undefined
        : this.#recipients.revoke(
            shareId,
            normalized,
            checkText(reason, 'reason'),
            this.#clock.now().getTime(),
          )
    if (!revoked) {
      const bound = this.#recipients.list(shareId).map((r) => r.address)
      throw new ShareNotFoundError(
        `${JSON.stringify(address)} is not a recipient of share ${shareId}; ${bound.length === 0 ? 'that link is not bound to recipients (revoke the whole link instead)' : `its recipients are ${bound.join(', ')}`}`,
      )
    }
    return revoked
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
   * Counts one full delivery of every item (as a completed `all.tar` does), unless that
   * would take an item past the share's limit (then `false`, nothing counted).
   */
  recordDownload(id: string): boolean {
    return this.#db
      .transaction(() => {
        const limit = (
          this.#db.prepare('SELECT max_downloads FROM shares WHERE id = ?').get(id) as
            { max_downloads: number | null } | undefined
        )?.max_downloads
        if (limit === undefined) return false
        const items = this.#db
          .prepare('SELECT idx, deliveries, carry_bytes FROM share_items WHERE share_id = ?')
          .all(id) as Array<ItemBudget & { idx: number }>
        if (limit !== null && items.some((i) => i.deliveries + (i.carry_bytes > 0 ? 1 : 0) + 1 > limit))
          return false
        this.#db.prepare('UPDATE share_items SET deliveries = deliveries + 1 WHERE share_id = ?').run(id)
        this.#db
          .prepare('UPDATE shares SET last_access_at = ? WHERE id = ?')
          .run(this.#clock.now().getTime(), id)
        return true
      })
      .immediate()
  }

  /**
   * Charges bytes to the share's download budget, all or nothing: `false` (nothing
   * charged) when an item would go past `maxDownloads × size`. A download charges what it
   * is about to send before sending it, so parallel requests cannot overrun the limit,
   * and gives back what it could not send with {@link ShareRegistry.refundBytes}.
   * Without a limit every charge succeeds and only counts.
   *
   * @example
   * ```ts
   * if (!registry.chargeBytes(share.id, [{ index: 1, bytes: end - start + 1, size }])) return tooMany()
   * ```
   */
  chargeBytes(shareId: string, charges: readonly ByteCharge[]): boolean {
    return this.#relaxed(() =>
      this.#db
        .transaction(() => {
          const limit = (
            this.#db.prepare('SELECT max_downloads FROM shares WHERE id = ?').get(shareId) as
              { max_downloads: number | null } | undefined
          )?.max_downloads
          if (limit === undefined) return false
          const next = charges.map((c) => {
            const item = this.#budget(shareId, c.index)
            return { c, served: item.deliveries * c.size + item.carry_bytes + c.bytes }
          })
          if (limit !== null && next.some(({ c, served }) => served > limit * c.size)) return false
          for (const { c, served } of next) this.#setBudget(shareId, c.index, served, c.size)
          this.#db
            .prepare('UPDATE shares SET last_access_at = ? WHERE id = ?')
            .run(this.#clock.now().getTime(), shareId)
          return true
        })
        .immediate(),
    )
  }

  /** Gives back bytes charged by {@link ShareRegistry.chargeBytes} but never sent. */
  refundBytes(shareId: string, charges: readonly ByteCharge[]): void {
    if (charges.every((c) => c.bytes <= 0)) return
    this.#relaxed(() =>
      this.#db
        .transaction(() => {
          for (const c of charges) {
            if (c.bytes <= 0) continue
            const item = this.#budget(shareId, c.index)
            this.#setBudget(
              shareId,
              c.index,
              Math.max(0, item.deliveries * c.size + item.carry_bytes - c.bytes),
              c.size,
            )
          }
        })
        .immediate(),
    )
  }

  #budget(shareId: string, index: number): ItemBudget {
    return (
      (this.#db
        .prepare('SELECT deliveries, carry_bytes FROM share_items WHERE share_id = ? AND idx = ?')
        .get(shareId, index) as ItemBudget | undefined) ?? {
        deliveries: 0,
        carry_bytes: 0,
      }
    )
  }

  #setBudget(shareId: string, index: number, served: number, size: number): void {
    // An empty file is delivered by every request: count each as one delivery.
    const [deliveries, carry] =
      size === 0
        ? [this.#budget(shareId, index).deliveries + 1, 0]
        : [Math.floor(served / size), served % size]
    this.#db
      .prepare('UPDATE share_items SET deliveries = ?, carry_bytes = ? WHERE share_id = ? AND idx = ?')
      .run(deliveries, carry, shareId, index)
  }

  /** Records that the share was opened now. */
  touch(id: string): void {
    this.#relaxed(() =>
      this.#db
        .prepare('UPDATE shares SET last_access_at = ? WHERE id = ?')
        .run(this.#clock.now().getTime(), id),
    )
  }

  /**
   * Appends a line to the access log. Lines are never edited; the only way one leaves the
   * log is {@link ShareRegistry.pruneAccessLog}, which removes the oldest lines by age.
   */
  logAccess(entry: AccessLogEntry): void {
    this.#flushTally(this.#minute())
    this.#insert(entry, this.#clock.now().getTime())
  }

  /**
   * Counts a request that was refused without work (an unknown link, a client told to
   * wait): one access-log line per minute and kind, with `count`, instead of one line per
   * request, so a flood of refusals cannot flood the log.
   *
   * @example
   * ```ts
   * registry.countAccess({ shareId: share.id, event: 'password', outcome: 'rate_limited' })
   * ```
   */
  countAccess(entry: Pick<AccessLogEntry, 'shareId' | 'event' | 'outcome'>): void {
    const minute = this.#minute()
    this.#flushTally(minute)
    const key = [minute, String(entry.shareId).slice(0, 64), entry.event, entry.outcome].join('|')
    this.#tally.set(key, (this.#tally.get(key) ?? 0) + 1)
  }

  #minute(): number {
    return Math.floor(this.#clock.now().getTime() / 60_000) * 60_000
  }

  /** Writes the per-minute counts of minutes before `before`. */
  #flushTally(before: number): void {
    for (const [key, count] of this.#tally) {
      const [minute, shareId, event, outcome] = key.split('|') as [string, string, string, string]
      if (Number(minute) >= before) continue
      this.#tally.delete(key)
      this.#insert({ shareId, event, outcome, count }, Number(minute))
    }
  }

  #insert(entry: AccessLogEntry, at: number): void {
    this.#relaxed(() =>
      this.#db
        .prepare(
          'INSERT INTO share_access_log (share_id, at, event, outcome, item, bytes, remote, count, recipient) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        )
        .run(
          String(entry.shareId).slice(0, 64),
          at,
          entry.event,
          entry.outcome,
          entry.item ?? null,
          entry.bytes ?? null,
          entry.remote ?? null,
          entry.count ?? null,
          entry.recipient ?? null,
        ),
    )
    if (++this.#insertsSinceBoundCheck >= BOUND_CHECK_EVERY) {
      this.#insertsSinceBoundCheck = 0
      this.#enforceLogBound()
    }
  }

  /** Removes the oldest rows past `maxLogRows` (down to 90 % of it), moving the prune cutoff forward. */
  #enforceLogBound(): number {
    const { lo, hi } = this.#db
      .prepare('SELECT min(seq) AS lo, max(seq) AS hi FROM share_access_log')
      .get() as { lo: number | null; hi: number | null }
    if (lo === null || hi === null || hi - lo + 1 <= this.#maxLogRows) return 0
    const keepFrom = this.#db
      .prepare('SELECT at FROM share_access_log WHERE seq >= ? ORDER BY seq LIMIT 1')
      .get(hi - Math.floor(this.#maxLogRows * 0.9) + 1) as { at: number }
    return this.#db
      .transaction(() => {
        this.#db
          .prepare('UPDATE share_access_log_pruned SET before = max(before, ?) WHERE id = 1')
          .run(keepFrom.at)
        return this.#db.prepare('DELETE FROM share_access_log WHERE at < ?').run(keepFrom.at).changes
      })
      .immediate()
  }

  /**
   * The access log, oldest first (optionally of one share).
   *
   * @example
   * ```ts
   * for (const e of registry.accessLog(id)) console.log(e.at, e.event, e.outcome, e.item)
   * ```
   */
  accessLog(shareId?: string): Array<AccessLogEntry & { at: string }> {
    this.#flushTally(Infinity)
    const rows = (
      shareId === undefined
        ? this.#db.prepare('SELECT * FROM share_access_log ORDER BY seq').all()
        : this.#db.prepare('SELECT * FROM share_access_log WHERE share_id = ? ORDER BY seq').all(shareId)
    ) as Array<{
      share_id: string
      at: number
      event: string
      outcome: string
      item: string | null
      bytes: number | null
      remote: string | null
      count: number | null
      recipient: string | null
    }>
    return rows.map((r) => ({
      shareId: r.share_id,
      at: new Date(r.at).toISOString(),
      event: r.event,
      outcome: r.outcome,
      ...(r.item === null ? {} : { item: r.item }),
      ...(r.bytes === null ? {} : { bytes: r.bytes }),
      ...(r.remote === null ? {} : { remote: r.remote }),
      ...(r.count === null ? {} : { count: r.count }),
      ...(r.recipient === null ? {} : { recipient: r.recipient }),
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
    if (!row)
      throw new ShareNotFoundError(
        `No share has id ${JSON.stringify(id)}; registry.listShares() gives the ids`,
      )
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
      .filter(
        (s) =>
          (filter.session === undefined || s.session === filter.session) &&
          (filter.status === undefined || s.status === filter.status) &&
          (filter.scope === undefined || s.scope === filter.scope),
      )
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
    this.#flushTally(Infinity)
    return auditRows(this.listShares(), this.#clock.now(), options, this.#recipientActivity())
  }

  /** The access log summed per share, recipient, event, outcome and item (only lines that name a recipient). */
  #recipientActivity(): RecipientActivity[] {
    const rows = this.#db
      .prepare(
        `SELECT share_id, recipient, event, outcome, item, sum(coalesce(count, 1)) AS n, sum(bytes) AS bytes, max(at) AS last
         FROM share_access_log WHERE recipient IS NOT NULL GROUP BY share_id, recipient, event, outcome, item`,
      )
      .all() as Array<{
      share_id: string
      recipient: string
      event: string
      outcome: string
      item: string | null
      n: number
      bytes: number | null
      last: number
    }>
    return rows.map((r) => ({
      shareId: r.share_id,
      address: r.recipient,
      event: r.event,
      outcome: r.outcome,
      ...(r.item === null ? {} : { item: r.item }),
      count: r.n,
      bytes: r.bytes ?? 0,
      last: new Date(r.last),
    }))
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
    if (options.dryRun)
      return (
        this.#db.prepare('SELECT count(*) AS n FROM shares WHERE expires_at <= ?').get(now) as { n: number }
      ).n
    return this.#db.prepare('DELETE FROM shares WHERE expires_at <= ?').run(now).changes
  }

  /**
   * Removes the access-log entries older than `olderThan` and returns how many were
   * removed. The log keeps client addresses, so keep it only as long as you need it
   * (`shutterproof share purge` uses 90 days unless told otherwise).
   *
   * Only the oldest part of the log can go: the cutoff is recorded in the database, only
   * ever moves forward, and the database refuses to delete any newer line. Entries of
   * the last 15 minutes are kept whatever the age given. The row bound (`maxLogRows`) is
   * enforced here too, and the rows it removes are counted in the result. Shares
   * themselves are not touched; see {@link ShareRegistry.purgeExpired}.
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
    this.#flushTally(Infinity)
    if (options.dryRun) {
      const old = (
        this.#db.prepare('SELECT count(*) AS n FROM share_access_log WHERE at < ?').get(cutoff) as {
          n: number
        }
      ).n
      const total = (this.#db.prepare('SELECT count(*) AS n FROM share_access_log').get() as { n: number }).n
      return Math.max(old, total - this.#maxLogRows)
    }
    const removed = this.#db
      .transaction(() => {
        this.#db
          .prepare('UPDATE share_access_log_pruned SET before = max(before, ?) WHERE id = 1')
          .run(cutoff)
        return this.#db.prepare('DELETE FROM share_access_log WHERE at < ?').run(cutoff).changes
      })
      .immediate()
    return removed + this.#enforceLogBound()
  }

  /** The time before which access-log entries may go: never within the last 15 minutes. */
  #logCutoff(olderThan: unknown): number {
    const now = this.#clock.now().getTime()
    let cutoff: number
    if (olderThan instanceof Date) {
      cutoff = olderThan.getTime()
      if (!Number.isFinite(cutoff))
        throw new InvalidArgumentError('pruneAccessLog olderThan is an invalid Date')
    } else if (typeof olderThan === 'string' || typeof olderThan === 'number') {
      cutoff = now - parseDuration(olderThan, 'olderThan')
    } else {
      throw new InvalidArgumentError("pruneAccessLog needs olderThan: a Date, or an age such as '90d'")
    }
    return Math.min(cutoff, now - RECENT_LOG_KEPT)
  }

  #row(id: string): ShareRow | undefined {
    return this.#db.prepare('SELECT * FROM shares WHERE id = ?').get(id) as ShareRow | undefined
  }

  #info(r: ShareRow): ShareInfo {
    const now = this.#clock.now().getTime()
    const items = this.#db
      .prepare('SELECT path, kind, deliveries FROM share_items WHERE share_id = ? ORDER BY idx')
      .all(r.id) as Array<ShareItem & { deliveries: number }>
    // At the limit when no file has a delivery left.
    const limitReached = r.max_downloads !== null && items.every((i) => i.deliveries >= r.max_downloads!)
    const status: ShareStatus =
      r.revoked_at !== null ? 'revoked' : now >= r.expires_at ? 'expired' : limitReached ? 'limit' : 'active'
    const info: ShareInfo = {
      id: r.id,
      session: r.session,
      scope: r.scope,
      items: items.map((i) => ({ path: i.path, kind: i.kind })),
      createdAt: new Date(r.created_at).toISOString(),
      expiresAt: new Date(r.expires_at).toISOString(),
      hasPassword: r.password_hash !== null,
      downloads: items.reduce((n, i) => n + i.deliveries, 0),
      label: r.label,
      recipient: r.recipient,
      recipients: this.#recipients.list(r.id),
      status,
    }
    if (r.revoked_at !== null) info.revokedAt = new Date(r.revoked_at).toISOString()
    if (r.revoke_reason !== null && r.revoked_at !== null) info.revokeReason = r.revoke_reason
    if (r.max_downloads !== null) info.maxDownloads = r.max_downloads
    if (r.last_access_at !== null) info.lastAccessAt = new Date(r.last_access_at).toISOString()
    return info
  }
}

function checkText(value: unknown, what: string): string {
  if (value === undefined || value === null) return ''
  if (typeof value !== 'string') throw new InvalidArgumentError(`${what} must be a string`)
  if (value.length > 500) throw new InvalidArgumentError(`${what} is longer than 500 characters; shorten it`)
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(value))
    throw new InvalidArgumentError(`${what} contains control characters; remove them`)
  return value
}

/**
 * Opens (creating and migrating as needed) a share registry. Async, like every open of
 * the library: `await` it. A file that cannot be opened rejects with a typed error naming
 * it (`EISDIR`, `ENOENT`, `EACCES`, `E_FORMAT` for a file that is not a database,
 * `E_SCHEMA_TOO_NEW`).
 *
 * Until 0.3 the promise also gives direct access to the registry, so code written when
 * this function was synchronous keeps working (with a deprecation warning).
 *
 * @example
 * ```ts
 * import { openShareRegistry } from 'shutterproof'
 * await using registry = await openShareRegistry({ path: 'shares.db', serverKey, publicUrl: 'https://photos.example.com' })
 * ```
 */
export function openShareRegistry(options: ShareRegistryOptions): Promise<ShareRegistry> & ShareRegistry {
  return asyncOpen(
    () => new ShareRegistry(options),
    'SP_DEP_SYNC_SHARE_REGISTRY',
    'Using openShareRegistry(…) without await is deprecated: write `await openShareRegistry(…)`',
  )
}
