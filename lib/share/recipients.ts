/**
 * The people a link is bound to, and the one-time codes mailed to them, in the share
 * registry's database, through lib/sqlite.ts (either SQLite driver). Addresses are stored as typed by the photographer (normalized):
 * the audit must name people, and the codes must go to them (docs/SIGNIN.md says why
 * they are not hashed).
 * @module
 */
import { randomBytes } from 'node:crypto'

import type { Database } from '../sqlite'
import { base32 } from './tokens'
import { CODE_TTL_MS, codeMac, macsEqual, newSigninCode } from './signin/codes'
import type { ShareRecipient } from './types'

/** Wrong codes one code survives; then it stops working. */
export const CODE_ATTEMPTS = 5
/** Codes mailed to one recipient of one link per hour, at most (a bound that survives restarts, behind the handler's own limits). */
const CODES_PER_HOUR = 6
/** Used and expired codes are kept this long (to count the hour's codes), then deleted. */
const CODE_KEPT_MS = 24 * 3_600_000
const DUMMY_MAC = randomBytes(32)

interface RecipientRow {
  id: string
  address: string
  added_at: number
  revoked_at: number | null
  revoke_reason: string | null
}

/** What {@link ShareRegistry.issueSigninCode} did. */
export type IssuedCode =
  | { status: 'issued'; recipient: ShareRecipient; code: string; /** ISO 8601 UTC. */ expiresAt: string }
  | { status: 'not_recipient' }
  | { status: 'capped'; recipient: ShareRecipient }

/** Recipients and sign-in codes of the registry's shares. */
export class RecipientStore {
  readonly #db: Database
  readonly #codeKey: Uint8Array

  constructor(db: Database, codeKey: Uint8Array) {
    this.#db = db
    this.#codeKey = codeKey
  }

  /** Adds normalized addresses to a new share (inside the caller's transaction). */
  add(shareId: string, addresses: readonly string[], now: number): void {
    const insert = this.#db.prepare(
      'INSERT INTO share_recipients (share_id, id, address, added_at) VALUES (?, ?, ?, ?)',
    )
    for (const address of addresses) insert.run(shareId, base32(randomBytes(10)), address, now)
  }

  /** A share's recipients, in the order given at creation. */
  list(shareId: string): ShareRecipient[] {
    const rows = this.#db
      .prepare(
        'SELECT id, address, added_at, revoked_at, revoke_reason FROM share_recipients WHERE share_id = ? ORDER BY added_at, rowid',
      )
      .all(shareId) as RecipientRow[]
    return rows.map(recipientOf)
  }

  /** One recipient by id, revoked or not. */
  find(shareId: string, recipientId: string): ShareRecipient | undefined {
    const row = this.#db
      .prepare(
        'SELECT id, address, added_at, revoked_at, revoke_reason FROM share_recipients WHERE share_id = ? AND id = ?',
      )
      .get(shareId, recipientId) as RecipientRow | undefined
    return row && recipientOf(row)
  }

  /** Revokes one recipient (the first time and reason stay); `undefined` when the address is not one of the share's. */
  revoke(shareId: string, address: string, reason: string, now: number): ShareRecipient | undefined {
    this.#db
      .prepare(
        'UPDATE share_recipients SET revoked_at = ?, revoke_reason = ? WHERE share_id = ? AND address = ? AND revoked_at IS NULL',
      )
      .run(now, reason, shareId, address)
    const row = this.#db
      .prepare(
        'SELECT id, address, added_at, revoked_at, revoke_reason FROM share_recipients WHERE share_id = ? AND address = ?',
      )
      .get(shareId, address) as RecipientRow | undefined
    return row && recipientOf(row)
  }

  /**
   * A new code for `address` when it is an active recipient of the share and has not had
   * {@link CODES_PER_HOUR} codes this hour. Runs off the response path (see
   * ./routes/signin.ts), so its work says nothing about who is a recipient.
   */
  issueCode(shareId: string, address: string, now: number): IssuedCode {
    this.#db
      .prepare('DELETE FROM share_signin_codes WHERE share_id = ? AND expires_at < ?')
      .run(shareId, now - CODE_KEPT_MS)
    const row = this.#db
      .prepare(
        'SELECT id, address, added_at, revoked_at, revoke_reason FROM share_recipients WHERE share_id = ? AND address = ? AND revoked_at IS NULL',
      )
      .get(shareId, address) as RecipientRow | undefined
    if (!row) return { status: 'not_recipient' }
    const recipient = recipientOf(row)
    const recent = (
      this.#db
        .prepare(
          'SELECT count(*) AS n FROM share_signin_codes WHERE share_id = ? AND recipient_id = ? AND created_at > ?',
        )
        .get(shareId, row.id, now - 3_600_000) as {
        n: number
      }
    ).n
    if (recent >= CODES_PER_HOUR) return { status: 'capped', recipient }
    const code = newSigninCode()
    const expiresAt = now + CODE_TTL_MS
    this.#db
      .prepare(
        'INSERT INTO share_signin_codes (share_id, recipient_id, code_mac, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(shareId, row.id, codeMac(this.#codeKey, shareId, row.id, code), now, expiresAt)
    return { status: 'issued', recipient, code, expiresAt: new Date(expiresAt).toISOString() }
  }

  /**
   * The recipient a code signs in, using it up (and every other live code of that
   * recipient), or `undefined`. One query whatever the address; when nothing matches, a
   * dummy comparison still runs. Wrong codes are counted by {@link RecipientStore.countWrongCode}.
   */
  checkCode(shareId: string, address: string, code: string, now: number): ShareRecipient | undefined {
    const rows = this.#db
      .prepare(
        `SELECT c.rowid AS code_row, c.code_mac, r.id, r.address, r.added_at, r.revoked_at, r.revoke_reason
         FROM share_recipients r JOIN share_signin_codes c ON c.share_id = r.share_id AND c.recipient_id = r.id
         WHERE r.share_id = ? AND r.address = ? AND r.revoked_at IS NULL AND c.used_at IS NULL AND c.expires_at > ? AND c.attempts < ?`,
      )
      .all(shareId, address, now, CODE_ATTEMPTS) as Array<
      RecipientRow & { code_row: number; code_mac: Uint8Array }
    >
    let match: (typeof rows)[number] | undefined
    for (const row of rows) {
      if (macsEqual(codeMac(this.#codeKey, shareId, row.id, code), row.code_mac)) match = row
    }
    if (rows.length === 0) macsEqual(codeMac(this.#codeKey, shareId, '', code), DUMMY_MAC)
    if (!match) return undefined
    // Used once: a parallel request with the same code finds used_at set and fails.
    const used = this.#db
      .prepare('UPDATE share_signin_codes SET used_at = ? WHERE rowid = ? AND used_at IS NULL')
      .run(now, match.code_row)
    if (Number(used.changes) !== 1) return undefined
    this.#db
      .prepare(
        'UPDATE share_signin_codes SET used_at = ? WHERE share_id = ? AND recipient_id = ? AND used_at IS NULL',
      )
      .run(now, shareId, match.id)
    return recipientOf(match)
  }

  /** Counts a wrong code against every live code of `address` on the share (none for a non-recipient). */
  countWrongCode(shareId: string, address: string, now: number): void {
    this.#db
      .prepare(
        `UPDATE share_signin_codes SET attempts = attempts + 1
         WHERE share_id = ? AND used_at IS NULL AND expires_at > ?
           AND recipient_id = (SELECT id FROM share_recipients WHERE share_id = ? AND address = ?)`,
      )
      .run(shareId, now, shareId, address)
  }
}

function recipientOf(row: RecipientRow): ShareRecipient {
  const r: ShareRecipient = {
    id: row.id,
    address: row.address,
    addedAt: new Date(row.added_at).toISOString(),
    status: row.revoked_at === null ? 'active' : 'revoked',
  }
  if (row.revoked_at !== null) {
    r.revokedAt = new Date(row.revoked_at).toISOString()
    if (row.revoke_reason) r.revokeReason = row.revoke_reason
  }
  return r
}
