/**
 * One-time sign-in codes: 8 random decimal digits (uniform, no modulo bias), shown as
 * `1234 5678`. Only a keyed BLAKE3 hash of a code is stored, bound to its link and
 * recipient, so a code read from the database (or meant for another link) opens nothing.
 * @module
 */
import { randomInt, timingSafeEqual } from 'node:crypto'

import { deriveKey, keyedHash } from '../../hash'

/** Digits of a code: 10^8 values, so even the attempts the limits allow over a link's 14 days stay a tiny chance. */
export const CODE_DIGITS = 8
/** How long a code works. */
export const CODE_TTL_MS = 10 * 60_000

/** A fresh code: {@link CODE_DIGITS} digits from the CSPRNG. */
export function newSigninCode(): string {
  return String(randomInt(0, 10 ** CODE_DIGITS)).padStart(CODE_DIGITS, '0')
}

/**
 * A code as mailed: two groups of four.
 *
 * @example
 * ```ts
 * formatCode('01234567')  // '0123 4567'
 * ```
 */
export function formatCode(code: string): string {
  return `${code.slice(0, 4)} ${code.slice(4)}`
}

/** The digits of what was typed (spaces, dashes and dots dropped), or `undefined` when it cannot be a code. */
export function parseCode(input: unknown): string | undefined {
  if (typeof input !== 'string' || input.length > 40) return undefined
  const digits = input.replace(/[\s.\-\u2010-\u2015]/g, '')
  return new RegExp(`^\\d{${CODE_DIGITS}}$`).test(digits) ? digits : undefined
}

/** The key codes are hashed with, derived from the server key. */
export function codeKey(serverKey: Uint8Array): Buffer {
  return deriveKey('shutterproof 2026-12 share sign-in code v1', serverKey)
}

/** The stored form of a code for one recipient of one link. */
export function codeMac(key: Uint8Array, shareId: string, recipientId: string, code: string): Buffer {
  return keyedHash(key, Buffer.from(`code:v1:${shareId}:${recipientId}:${code}`, 'utf8'))
}

/** Constant-time comparison of two 32-byte code hashes (Buffer or, from node:sqlite, Uint8Array). */
export function macsEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && timingSafeEqual(a, b)
}
