/**
 * The share registry's public types: what a share is, how it is created and checked, and
 * what its access log holds. Kept apart from the registry so that modules which only need
 * the shapes (the audit, the handler) do not import the database code.
 * @module
 */
import type { Clock } from './clock'
import type { ShareItem, ShareItemInput, ShareScope } from './items'

/** Where a share stands right now. */
export type ShareStatus = 'active' | 'expired' | 'revoked' | 'limit'

/** What the registry knows about a share (never its secret, verifier or password hash). */
export interface ShareInfo {
  id: string
  /** The session folder the items live in. */
  session: string
  scope: ShareScope
  items: ShareItem[]
  /** ISO 8601 UTC, like every time in a result (before 0.2: a `Date`; `new Date(s)` reads both). */
  createdAt: string
  /** ISO 8601 UTC. */
  expiresAt: string
  /** ISO 8601 UTC. */
  revokedAt?: string
  revokeReason?: string
  hasPassword: boolean
  /** Full deliveries allowed per file (see {@link CreateShareOptions.maxDownloads}). */
  maxDownloads?: number
  /** Full deliveries so far, all files together (bytes sent ÷ file size, per file, rounded down). */
  downloads: number
  label: string
  /** Who the link is for, as a note (never shown to the client); see {@link ShareInfo.recipients} for sign-in. */
  recipient: string
  /**
   * The people the link is bound to: empty for a link anyone holding it may open; else
   * only these addresses can sign in (with a code e-mailed to them), each revocable alone.
   */
  recipients: ShareRecipient[]
  /** ISO 8601 UTC. */
  lastAccessAt?: string
  status: ShareStatus
}

/** One person a link is bound to (see {@link CreateShareOptions.recipients}). */
export interface ShareRecipient {
  /** Random, stable id (named in the sign-in cookie; not secret). */
  id: string
  /** The e-mail address, normalized: trimmed, lower case, the domain in ASCII. */
  address: string
  /** ISO 8601 UTC. */
  addedAt: string
  status: 'active' | 'revoked'
  /** ISO 8601 UTC. */
  revokedAt?: string
  revokeReason?: string
}

/** Options of {@link openShareRegistry}. */
export interface ShareRegistryOptions {
  /** The SQLite file (created with mode 0600), or `':memory:'`. */
  path: string
  /** 32 secret bytes; verifiers are keyed with a key derived from it. */
  serverKey: Uint8Array
  /**
   * Where clients reach the server: every link starts with it, e.g.
   * `'https://photos.example.com'` or `'https://example.com/photos'` (default
   * `http://127.0.0.1:8765`, which only this machine can open; see {@link loopbackWarning}).
   */
  publicUrl?: string
  /** @deprecated the former name of `publicUrl`; used when `publicUrl` is absent. */
  baseUrl?: string
  /** Time source (default the system clock). */
  clock?: Clock
  /** Lifetime of a share when none is given (default `'7d'`, or `maxTtl` when that is shorter). */
  defaultTtl?: string | number
  /** Longest lifetime allowed (default `'14d'`); longer requests fail with `E_TTL_TOO_LONG`. */
  maxTtl?: string | number
  /** How wrong passwords are slowed down; see {@link PasswordLockout}. */
  lockout?: PasswordLockout
  /**
   * Most rows the access log keeps (default 500,000, about 50 MB): past it, the oldest
   * rows go, as {@link ShareRegistry.pruneAccessLog} would remove them.
   */
  maxLogRows?: number
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
  /**
   * A password the strength estimator rates at least 3 of 4 (`E_WEAK_PASSPHRASE`
   * otherwise; see {@link checkPassphraseStrength}), or `'generate'` for 5 random words
   * (returned once).
   */
  password?: string
  /**
   * How many times each file may be delivered in full, counted in bytes sent: ranges and
   * parallel connections add up, `all.tar` counts one delivery of every file, HEAD sends
   * nothing and counts nothing. Past it, 429.
   */
  maxDownloads?: number
  label?: string
  /** A note saying who the link is for (never shown to the client, not used for sign-in). */
  recipient?: string
  /**
   * Bind the link to these people: opening it asks for an e-mail address, and only these
   * addresses get a one-time code (8 digits, 10 minutes, single use) that signs them in.
   * Each is normalized; at most 50. The server needs an SMTP server to send the codes
   * (see {@link createShareMailer}).
   */
  recipients?: readonly string[]
}

/** A new share: the only time its token (and a generated password) can be seen. */
export interface CreatedShare {
  id: string
  url: string
  token: string
  /** ISO 8601 UTC (before 0.2: a `Date`). */
  expiresAt: string
  /** Present when the password was generated: give it to the client by another channel. */
  password?: string
  /** The recipients the link is bound to, normalized (absent for a link anyone holding it may open). */
  recipients?: string[]
}

/** The answer of {@link ShareRegistry.verifyAccess}. */
export type AccessStatus =
  | 'ok'
  | 'expired'
  | 'revoked'
  | 'not_found'
  | 'bad_password'
  | 'password_required'
  | 'signin_required'
  | 'locked'
  | 'limit'

/** The answer of {@link ShareRegistry.verifyAccess}: a status, and the share when it was found. */
export interface AccessResult {
  status: AccessStatus
  /** The share, when the token's secret was right (every status but `not_found`). */
  share?: ShareInfo
  /** With `locked`: seconds until another password may be tried. */
  retryAfter?: number
  /** The signed-in recipient, when the link is bound to recipients and `recipient` named an active one. */
  recipient?: ShareRecipient
}

/** Options of {@link ShareRegistry.verifyAccess}. */
export interface VerifyAccessOptions {
  /** The password the client typed. Without one, a password-protected share answers `password_required`. */
  password?: string
  /**
   * The client's address (behind a proxy: the address the proxy saw). Logged, and the key
   * of the wrong-password back-off: failures from one address slow down that address only.
   */
  remote?: string
  /**
   * The id of the recipient this client signed in as (from a verified sign-in grant).
   * A link bound to recipients answers `signin_required` without it, or when that
   * recipient was revoked.
   */
  recipient?: string
}

/** One line of the access log. */
export interface AccessLogEntry {
  shareId: string
  event: string
  outcome: string
  item?: string
  bytes?: number
  remote?: string
  /** The signed-in recipient's address, on links bound to recipients. */
  recipient?: string
  /** How many requests this line stands for: refusals that cost no work are counted per minute in one line. */
  count?: number
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

/**
 * How wrong passwords are slowed down, per link and client address, and how much password
 * checking one link may cost. There is no lock that one party can set for everyone: a
 * client that keeps failing waits longer and longer, others do not wait at all, and the
 * per-link ceiling only paces the checks (a correct password gets through within seconds).
 */
export interface PasswordLockout {
  /** Wrong passwords one address may try on one link before it must wait (default 5). */
  attempts?: number
  /** How long failures are remembered (default `'24h'`); a correct password forgets them. */
  window?: string | number
  /** The longest wait: after `attempts` failures it is 1 s, then doubles each failure, up to this (default `'15m'`). */
  maxDelay?: string | number
  /** Password checks (Argon2id runs) one link may cost per minute, from all addresses together (default 30). */
  checksPerMinute?: number
}

/** One charge to a download budget: `bytes` of item `index`, whose file has `size` bytes. */
export interface ByteCharge {
  index: number
  bytes: number
  size: number
}
