/**
 * How hard a chosen passphrase or password is to guess, by zxcvbn-ts (dictionaries of
 * common passwords, English words and names; keyboard patterns, repeats, sequences,
 * dates, l33t). One estimator for every secret a person chooses: vault passphrases and
 * share passwords alike. The dictionaries load on first use (about half a second).
 * @module
 */
import { ZxcvbnFactory } from '@zxcvbn-ts/core'
import * as common from '@zxcvbn-ts/language-common'
import * as en from '@zxcvbn-ts/language-en'

import { InvalidArgumentError, WeakPassphraseError } from '../errors'

/** The estimate of {@link estimatePassphraseStrength}. */
export interface PassphraseStrength {
  /** 0 (guessed at once) to 4 (over 10¹⁰ guesses). */
  score: 0 | 1 | 2 | 3 | 4
  /** log10 of the guesses an attacker who knows these patterns needs. */
  guessesLog10: number
  /** Why it is weak, when it is (e.g. `Repeated characters like "aaa" are easy to guess.`). */
  warning?: string
  /** How to make it stronger. */
  suggestions: string[]
}

let estimator: ZxcvbnFactory | undefined

/**
 * Estimates how hard `passphrase` is to guess.
 *
 * @example
 * ```ts
 * estimatePassphraseStrength('aaaaaaaaaa').score          // 0
 * estimatePassphraseStrength('orbit fancy walnut ritual').score  // 4
 * ```
 */
export function estimatePassphraseStrength(passphrase: string, userInputs: readonly string[] = []): PassphraseStrength {
  estimator ??= new ZxcvbnFactory({ dictionary: { ...common.dictionary, ...en.dictionary }, graphs: common.adjacencyGraphs, translations: en.translations })
  // zxcvbn's cost grows with length; past 100 characters the start decides the estimate.
  const r = estimator.check(passphrase.slice(0, 100), [...userInputs]) as {
    score: PassphraseStrength['score']
    guessesLog10: number
    feedback: { warning: string | null; suggestions: string[] }
  }
  return {
    score: r.score,
    guessesLog10: r.guessesLog10,
    ...(r.feedback.warning ? { warning: r.feedback.warning } : {}),
    suggestions: r.feedback.suggestions,
  }
}

/**
 * Throws `E_WEAK_PASSPHRASE` (naming why and what to do) when `passphrase` scores below
 * `minScore` (default 3: over 10⁸ guesses); returns the estimate otherwise. `what` names
 * the secret in the message; `userInputs` are words the attacker may know (the label,
 * the client's name) and count as easy.
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
  if (typeof passphrase !== 'string' || passphrase === '') throw new InvalidArgumentError(`${options.what ?? 'A passphrase'} cannot be empty`)
  const minScore = options.minScore ?? 3
  const estimate = estimatePassphraseStrength(passphrase, options.userInputs)
  if (estimate.score >= minScore) return estimate
  const why = estimate.warning ?? 'It would be guessed too quickly.'
  const how = estimate.suggestions.length > 0 ? ` ${estimate.suggestions.join(' ')}` : ' Use four or more random words.'
  throw new WeakPassphraseError(
    `${options.what ?? 'The passphrase'} is too easy to guess (strength ${estimate.score} of 4, ${minScore} needed): ${why}${how}${options.generateHint ? ` ${options.generateHint}` : ''}`,
  )
}
