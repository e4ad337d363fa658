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
