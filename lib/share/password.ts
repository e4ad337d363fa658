/**
 * Share passwords: Argon2id in the Rust core (crates/core/src/keys/password_hash.rs), on
 * libuv's thread pool, never on the event loop; the same capped, counted Argon2id that
 * unlocks vaults. OWASP's costs (19 MiB, 2 passes, 1 lane), a random 16-byte salt, stored
 * in the PHC form that carries its own costs — the form hash-wasm wrote before, so older
 * registries verify unchanged. Verification compares in constant time and refuses costs
 * beyond sane caps (256 MiB, t = 10, p = 8: a tampered database must not make a request
 * cost minutes).
 * @module
 */
import { fromNative, InvalidArgumentError } from '../errors'
import { checkPassphraseStrength } from '../keys/strength'
import { nativeHashPassword, nativeVerifyPassword } from '../native'

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
export async function hashPassword(
  password: string,
  options: { userInputs?: readonly string[]; generated?: boolean } = {},
): Promise<string> {
  if (typeof password !== 'string') throw new InvalidArgumentError('A share password must be a string')
  if (!options.generated) {
    checkPassphraseStrength(password, {
      minScore: SHARE_PASSWORD_MIN_SCORE,
      what: 'The share password',
      userInputs: options.userInputs ?? [],
      generateHint: "Or let Shutterproof make one: password: 'generate' (CLI: --password generate).",
    })
  }
  try {
    return await nativeHashPassword(password.normalize('NFC'))
  } catch (err) {
    throw fromNative(err)
  }
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
  if (typeof password !== 'string' || typeof encoded !== 'string') return false
  try {
    return await nativeVerifyPassword(password.normalize('NFC'), encoded)
  } catch (err) {
    const error = fromNative(err)
    // Not an Argon2id hash, or costs above the caps: refused before Argon2 ran.
    if (error.code === 'E_FORMAT' || error.code === 'E_KDF_LIMIT') return false
    throw error
  }
}
