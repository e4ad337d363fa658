/**
 * How hard a passphrase is to guess, by zxcvbn-ts (dictionaries of common passwords,
 * English words, names, keyboard patterns, dates, l33t substitutions), not by counting
 * character classes. A vault passphrase guards every file ever sealed for the vault
 * against whoever copies the vault file, so only the estimator's top score counts as strong.
 * @module
 */
import type { ZxcvbnFactory } from '@zxcvbn-ts/core'

import { InvalidArgumentError, WeakPassphraseError } from '../errors'

/** The estimate for one passphrase. */
export interface PassphraseStrength {
  /** zxcvbn's score, 0 (guessed at once) to 4 (more than 10^10 guesses). */
  score: 0 | 1 | 2 | 3 | 4
  /** log10 of the estimated number of guesses an attacker needs. */
  guessesLog10: number
  /** `score` is 4: strong enough for a vault. */
  strong: boolean
  /** Why it is weak, when the estimator can say (e.g. "This is a commonly used password."). */
  warning?: string
  /** What would make it stronger. */
  suggestions: string[]
}

/** The score a vault passphrase needs. */
export const STRONG_SCORE = 4

/** What a strong passphrase looks like, for messages (the API's way to make one; the CLI names its command). */
export const STRONG_PASSPHRASE_ADVICE =
  'a strong passphrase is 4 to 6 random words with a separator (e.g. "lunar-pocket-ripple-fabric-orbit"); generatePassphrase() makes one'

let estimator: ZxcvbnFactory | undefined

/** Built on first use: the dictionaries take most of a second to load. */
function zxcvbn(): ZxcvbnFactory {
  if (!estimator) {
    const { ZxcvbnFactory: Factory } = require('@zxcvbn-ts/core') as typeof import('@zxcvbn-ts/core')
    const common = require('@zxcvbn-ts/language-common') as typeof import('@zxcvbn-ts/language-common')
    const en = require('@zxcvbn-ts/language-en') as typeof import('@zxcvbn-ts/language-en')
    estimator = new Factory({
      translations: en.translations,
      graphs: common.adjacencyGraphs,
      dictionary: { ...common.dictionary, ...en.dictionary },
    })
  }
  return estimator
}

/**
 * Estimates how hard `passphrase` is to guess. `context` lists words an attacker would
 * try first (the studio's or client's name, the file name): a passphrase built from them
 * scores lower.
 *
 * @example
 * ```ts
 * import { passphraseStrength } from 'shutterproof'
 * passphraseStrength('abc')                                  // { score: 0, strong: false, warning: 'Common character sequences…' }
 * passphraseStrength('lunar-pocket-ripple-fabric-orbit').strong  // true
 * ```
 */
export function passphraseStrength(passphrase: string, context: readonly string[] = []): PassphraseStrength {
  if (typeof passphrase !== 'string') throw new InvalidArgumentError('passphrase must be a string')
  // zxcvbn's cost grows with length; what it finds in the first 256 characters is enough to judge.
  const r = zxcvbn().check(passphrase.slice(0, 256), [...context])
  const out: PassphraseStrength = {
    score: r.score,
    guessesLog10: r.guessesLog10,
    strong: r.score >= STRONG_SCORE,
    suggestions: r.feedback.suggestions,
  }
  if (r.feedback.warning) out.warning = r.feedback.warning
  return out
}

/**
 * The estimate, under the name the share server first used for it.
 * @deprecated Use {@link passphraseStrength}.
 */
export function estimatePassphraseStrength(
  passphrase: string,
  userInputs: readonly string[] = [],
): PassphraseStrength {
  return passphraseStrength(passphrase, userInputs)
}

/**
 * Throws `E_WEAK_PASSPHRASE` (naming why and what to do) when `passphrase` scores below
 * `minScore` (default 3: over 10⁸ guesses; vaults ask {@link STRONG_SCORE}); returns the
 * estimate otherwise. `what` names the secret in the message; `userInputs` are words the
 * attacker may know (the label, the client's name) and count as easy.
 *
 * @example
 * ```ts
 * checkPassphraseStrength(password, { what: 'A share password', userInputs: [label] })
 * ```
 */
export function checkPassphraseStrength(
  passphrase: string,
  options: { minScore?: number; what?: string; userInputs?: readonly string[]; generateHint?: string } = {},
): PassphraseStrength {
  if (typeof passphrase !== 'string' || passphrase === '')
    throw new InvalidArgumentError(`${options.what ?? 'A passphrase'} cannot be empty`)
  const minScore = options.minScore ?? 3
  const estimate = passphraseStrength(passphrase, options.userInputs)
  if (estimate.score >= minScore) return estimate
  const why = estimate.warning ?? 'It would be guessed too quickly.'
  const how =
    estimate.suggestions.length > 0 ? ` ${estimate.suggestions.join(' ')}` : ' Use four or more random words.'
  throw new WeakPassphraseError(
    `${options.what ?? 'The passphrase'} is too easy to guess (strength ${estimate.score} of 4, ${minScore} needed): ${why}${how}${options.generateHint ? ` ${options.generateHint}` : ''}`,
  )
}
