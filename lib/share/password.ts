/**
 * Share passwords: Argon2id (hash-wasm) with OWASP's parameters (19 MiB, 2 passes,
 * 1 lane), a random 16-byte salt, stored in the PHC encoded form that carries its own
 * parameters. Verification recomputes and compares in constant time, and refuses
 * parameters beyond sane caps (a tampered database must not make a request cost minutes).
 * @module
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'

import { argon2id } from 'hash-wasm'

import { InvalidArgumentError } from '../errors'
import { checkPassphraseStrength } from '../keys/strength'

/** Argon2id parameters used for new share passwords (OWASP Password Storage Cheat Sheet). */
export const ARGON2_PARAMS = { memorySize: 19_456, iterations: 2, parallelism: 1, hashLength: 32 } as const

const CAPS = { memorySize: 262_144, iterations: 10, parallelism: 8 }
const ENCODED = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/

/**
 * The strength a chosen share password needs (of zxcvbn's 0–4): 3, over 10⁸ guesses.
 * Share passwords are only ever guessed online, through the server's back-off and its
 * per-link ceiling (30 checks a minute: 10⁸ guesses take about six years).
 */
export const SHARE_PASSWORD_MIN_SCORE = 3

/**
 * Hashes a password for storage: `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`. A chosen
 * password (not `generated`) must pass {@link checkPassphraseStrength} at
 * {@link SHARE_PASSWORD_MIN_SCORE} (`E_WEAK_PASSPHRASE` otherwise); `userInputs` (the
 * label, the recipient) count as easy to guess.
 *
 * @example
 * ```ts
 * const stored = await hashPassword('orbit-fancy-walnut-ritual')
 * ```
 */
export async function hashPassword(password: string, options: { userInputs?: readonly string[]; generated?: boolean } = {}): Promise<string> {
  if (typeof password !== 'string') throw new InvalidArgumentError('A share password must be a string')
  if (!options.generated) {
    checkPassphraseStrength(password, {
      minScore: SHARE_PASSWORD_MIN_SCORE,
      what: 'The share password',
      userInputs: options.userInputs ?? [],
      generateHint: "Or let Shutterproof make one: password: 'generate' (CLI: --password generate).",
    })
  }
  return argon2id({ password: password.normalize('NFC'), salt: randomBytes(16), ...ARGON2_PARAMS, outputType: 'encoded' })
}

/**
 * Checks a password against a stored hash, in constant time. A malformed hash, or one
 * whose parameters exceed the caps, never verifies.
 *
 * @example
 * ```ts
 * if (await verifyPassword(input, stored)) grantAccess()
 * ```
 */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const m = ENCODED.exec(encoded)
  if (!m || typeof password !== 'string') return false
  const [memorySize, iterations, parallelism] = [Number(m[1]), Number(m[2]), Number(m[3])]
  if (memorySize > CAPS.memorySize || iterations > CAPS.iterations || parallelism > CAPS.parallelism) return false
  const salt = Buffer.from(m[4]!, 'base64')
  const expected = Buffer.from(m[5]!, 'base64')
  if (salt.length < 8 || expected.length < 16) return false
  const actual = await argon2id({
    password: password.normalize('NFC'),
    salt,
    memorySize,
    iterations,
    parallelism,
    hashLength: expected.length,
    outputType: 'binary',
  })
  return timingSafeEqual(Buffer.from(actual), expected)
}
