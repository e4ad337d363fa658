/**
 * Password grants: after a correct password the landing page sets a cookie holding a
 * short-lived value signed with keyed BLAKE3 (never the password). A grant names one
 * share, so it opens that share only, and stops working when it expires.
 * @module
 */
import { timingSafeEqual } from 'node:crypto'

import { deriveKey, keyedHash } from '../hash'

/** The key grants are signed with, derived from the server key. */
export function grantKey(serverKey: Uint8Array): Buffer {
  return deriveKey('shutterproof 2026-11 share password grant v1', serverKey)
}

function mac(key: Uint8Array, shareId: string, expiresMs: number): Buffer {
  return keyedHash(key, Buffer.from(`grant:v1:${shareId}:${expiresMs}`, 'utf8'))
}

/**
 * A signed grant for one share, valid until `expiresAt`.
 *
 * @example
 * ```ts
 * res.setHeader('Set-Cookie', `sp_grant=${issueGrant(key, share.id, until)}; HttpOnly; …`)
 * ```
 */
export function issueGrant(key: Uint8Array, shareId: string, expiresAt: Date): string {
  const ms = expiresAt.getTime()
  return `${ms.toString(36)}.${mac(key, shareId, ms).toString('base64url')}`
}

/** Whether `value` is a valid, unexpired grant for this share. */
export function checkGrant(key: Uint8Array, shareId: string, value: string | undefined, now: Date): boolean {
  const m = typeof value === 'string' ? /^([0-9a-z]{1,12})\.([A-Za-z0-9_-]{43})$/.exec(value) : null
  if (!m) return false
  const ms = parseInt(m[1]!, 36)
  const given = Buffer.from(m[2]!, 'base64url')
  const expected = mac(key, shareId, ms)
  return given.length === expected.length && timingSafeEqual(given, expected) && now.getTime() < ms
}

/** The key sign-in grants are signed with, derived from the server key (apart from password grants'). */
export function signinKey(serverKey: Uint8Array): Buffer {
  return deriveKey('shutterproof 2026-12 share sign-in grant v1', serverKey)
}

function signinMac(key: Uint8Array, shareId: string, recipientId: string, expiresMs: number): Buffer {
  return keyedHash(key, Buffer.from(`signin:v1:${shareId}:${recipientId}:${expiresMs}`, 'utf8'))
}

/**
 * A signed sign-in grant: this client proved it reads `recipientId`'s mailbox, for this
 * one share, until `expiresAt`. Whether that recipient is still allowed is checked on
 * every request (a revoked recipient's grant opens nothing).
 *
 * @example
 * ```ts
 * res.setHeader('Set-Cookie', `sp_signin=${issueSigninGrant(key, share.id, recipient.id, until)}; HttpOnly; …`)
 * ```
 */
export function issueSigninGrant(
  key: Uint8Array,
  shareId: string,
  recipientId: string,
  expiresAt: Date,
): string {
  const ms = expiresAt.getTime()
  return `${ms.toString(36)}.${recipientId}.${signinMac(key, shareId, recipientId, ms).toString('base64url')}`
}

/** The recipient id of a valid, unexpired sign-in grant for this share, or `undefined`. */
export function checkSigninGrant(
  key: Uint8Array,
  shareId: string,
  value: string | undefined,
  now: Date,
): string | undefined {
  const m =
    typeof value === 'string' ? /^([0-9a-z]{1,12})\.([a-z2-7]{16})\.([A-Za-z0-9_-]{43})$/.exec(value) : null
  if (!m) return undefined
  const ms = parseInt(m[1]!, 36)
  const given = Buffer.from(m[3]!, 'base64url')
  const expected = signinMac(key, shareId, m[2]!, ms)
  return given.length === expected.length && timingSafeEqual(given, expected) && now.getTime() < ms
    ? m[2]!
    : undefined
}
