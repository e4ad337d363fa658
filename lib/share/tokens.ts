/**
 * Share tokens: a fresh random id (80 bits) and a fresh random secret (256 bits) for every
 * link, written in lowercase base32 so a link survives chat apps, e-mail and
 * double-click selection. Only a keyed BLAKE3 verifier of the secret is ever stored.
 * @module
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'

import { deriveKey, keyedHash } from '../hash'

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567'
/** Characters of a share id (10 random bytes). */
export const ID_LENGTH = 16
/** Characters of a share secret (32 random bytes). */
export const SECRET_LENGTH = 52
const TOKEN = new RegExp(`^[a-z2-7]{${ID_LENGTH + SECRET_LENGTH}}$`)
const ID = new RegExp(`^[a-z2-7]{${ID_LENGTH}}$`)

/**
 * RFC 4648 base32, lowercase, without padding.
 *
 * @example
 * ```ts
 * base32(Buffer.from('foobar'))  // 'mzxw6ytboi'
 * ```
 */
export function base32(bytes: Uint8Array): string {
  let out = ''
  let bits = 0
  let value = 0
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
    value &= (1 << bits) - 1
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31]
  return out
}

/** A new random share id. */
export function newShareId(): string {
  return base32(randomBytes(10))
}

/** A new random share secret (never stored). */
export function newShareSecret(): string {
  return base32(randomBytes(32))
}

/** Whether `id` has the shape of a share id. */
export function isShareId(id: unknown): id is string {
  return typeof id === 'string' && ID.test(id)
}

/**
 * Splits a token (`id` followed by `secret`) into its parts, or returns `undefined` for
 * anything that is not exactly a token.
 *
 * @example
 * ```ts
 * const parts = parseToken(req.url.slice(3))
 * ```
 */
export function parseToken(token: unknown): { id: string; secret: string } | undefined {
  if (typeof token !== 'string' || !TOKEN.test(token)) return undefined
  return { id: token.slice(0, ID_LENGTH), secret: token.slice(ID_LENGTH) }
}

/** The key verifiers are computed with, derived from the server key. */
export function verifierKey(serverKey: Uint8Array): Buffer {
  return deriveKey('shutterproof 2026-11 share link verifier v1', serverKey)
}

/** The stored verifier of a secret: keyed BLAKE3 over the id and the secret. */
export function computeVerifier(key: Uint8Array, id: string, secret: string): Buffer {
  return keyedHash(key, Buffer.from(`${id}:${secret}`, 'utf8'))
}

/** Constant-time comparison of two verifiers (false when the lengths differ). */
export function verifiersEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && timingSafeEqual(a, b)
}
