/**
 * Random passphrases of words (uniform over a 2048-word list; no modulo bias).
 * @module
 */
import { fromNative, InvalidArgumentError } from '../errors'
import { nativeCheckRecoveryWords, nativeGeneratePassphrase } from '../native'

/** A generated passphrase and how hard it is to guess for someone who knows the list. */
export interface GeneratedPassphrase {
  passphrase: string
  /** log2(2048) × words: 11 bits a word. */
  entropyBits: number
}

/**
 * Generates a passphrase of random words from the BIP39 English list (2048 words), each
 * drawn uniformly with rejection sampling.
 *
 * @example
 * ```ts
 * const { passphrase, entropyBits } = generatePassphrase({ words: 6 })  // 66 bits
 * ```
 */
export function generatePassphrase(
  options: { words?: number; separator?: string } = {},
): GeneratedPassphrase {
  const words = options.words ?? 6
  const separator = options.separator ?? '-'
  if (!Number.isInteger(words) || words < 4 || words > 24)
    throw new InvalidArgumentError('words must be a whole number from 4 to 24')
  try {
    const g = nativeGeneratePassphrase(words, separator)
    return { passphrase: g.phrase, entropyBits: g.entropyBits }
  } catch (err) {
    throw fromNative(err)
  }
}

/**
 * Checks 24 recovery words without opening anything: throws `E_BAD_RECOVERY_KEY` naming
 * the problem (another word count, an unknown word, or a checksum that fails, as one
 * mistyped word does). Words are read as `openVault` reads them (docs/FORMAT.md,
 * "Recovery key"): any white space between them, a kit's list numbers skipped.
 *
 * @example
 * ```ts
 * checkRecoveryKey(wordsTypedByTheUser)
 * ```
 */
export function checkRecoveryKey(words: string): void {
  try {
    nativeCheckRecoveryWords(words)
  } catch (err) {
    throw fromNative(err)
  }
}
