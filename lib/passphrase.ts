/**
 * Passphrases of random words (4–6 words from the 2,048-word BIP39 English list, 11 bits
 * each), picked uniformly with rejection sampling: no modulo bias. Used for share
 * passwords now, and meant for the vault passphrase as well.
 * @module
 */
import { randomBytes } from 'node:crypto'

import { wordlist } from '@scure/bip39/wordlists/english.js'

import { InvalidArgumentError } from './errors'

/** The word list passphrases are drawn from (BIP39 English, 2,048 words). */
export const PASSPHRASE_WORDS: readonly string[] = wordlist

/**
 * A uniformly random integer in `[0, n)`, from `crypto.randomBytes`, by rejection
 * sampling: 32-bit values at or above the largest multiple of `n` are drawn again, so
 * every result is exactly equally likely.
 *
 * @example
 * ```ts
 * const die = uniformInt(6) + 1
 * ```
 */
export function uniformInt(n: number, random: (size: number) => Buffer = randomBytes): number {
  if (!Number.isSafeInteger(n) || n <= 0 || n > 2 ** 32) throw new InvalidArgumentError(`uniformInt needs 1 ≤ n ≤ 2^32, got ${n}`)
  const limit = 2 ** 32 - (2 ** 32 % n) // largest multiple of n that fits in 32 bits
  for (;;) {
    const x = random(4).readUInt32BE(0)
    if (x < limit) return x % n
  }
}

/** Options of {@link generatePassphrase}. */
export interface PassphraseOptions {
  /** How many words, 4 to 6 (default 5, about 55 bits). */
  words?: number
  /** What goes between words (default `'-'`). */
  separator?: string
}

/**
 * A passphrase of random words, e.g. `'orbit-fancy-walnut-ritual-canoe'`.
 *
 * @example
 * ```ts
 * import { generatePassphrase } from 'shutterproof'
 * const password = generatePassphrase({ words: 6 })  // ≈ 66 bits
 * ```
 */
export function generatePassphrase(options: PassphraseOptions = {}): string {
  const count = options.words ?? 5
  if (!Number.isInteger(count) || count < 4 || count > 6) {
    throw new InvalidArgumentError(`A passphrase has 4 to 6 words, got ${count}; pass words: 4, 5 or 6`)
  }
  const words: string[] = []
  for (let i = 0; i < count; i++) words.push(PASSPHRASE_WORDS[uniformInt(PASSPHRASE_WORDS.length)]!)
  return words.join(options.separator ?? '-')
}
