/**
 * E-mail addresses of a link's recipients: what counts as one, and the one form used to
 * compare them (so `Client@Example.COM ` and `client@example.com` are the same person).
 * @module
 */
import { domainToASCII } from 'node:url'

import { InvalidArgumentError } from '../../errors'

/** Most recipients one link may have. */
export const MAX_RECIPIENTS = 50

/** The characters RFC 5322 allows in an unquoted local part (quoted ones are refused: no provider hands them out). */
const LOCAL = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/

/**
 * The comparable form of an address: trimmed, lower case, the domain in its ASCII
 * (punycode) form; `undefined` when it is not an address mail can be sent to.
 * Plus-tags and dots are kept: `ann+photos@` is another mailbox to us.
 *
 * @example
 * ```ts
 * normalizeAddress(' Ann@Example.COM ')  // 'ann@example.com'
 * normalizeAddress('ann@bücher.de')      // 'ann@xn--bcher-kva.de'
 * normalizeAddress('not an address')     // undefined
 * ```
 */
export function normalizeAddress(input: unknown): string | undefined {
  if (typeof input !== 'string') return undefined
  const text = input.trim().normalize('NFC')
  if (text.length === 0 || text.length > 254) return undefined
  const at = text.lastIndexOf('@')
  if (at <= 0 || at === text.length - 1) return undefined
  const local = text.slice(0, at).toLowerCase()
  const domain = domainToASCII(text.slice(at + 1).toLowerCase())
  if (local.length > 64 || !LOCAL.test(local)) return undefined
  const labels = domain.split('.')
  if (
    domain.length === 0 ||
    domain.length > 253 ||
    labels.length < 2 ||
    !labels.every((l) => LABEL.test(l)) ||
    /^\d+$/.test(labels.at(-1)!)
  )
    return undefined
  const address = `${local}@${domain}`
  return address.length <= 254 ? address : undefined
}

/**
 * Checks the recipients asked for at creation: each an address, at most
 * {@link MAX_RECIPIENTS}; returns them normalized, duplicates removed, in the order given.
 */
export function checkRecipients(list: unknown): string[] {
  if (list === undefined) return []
  if (!Array.isArray(list)) throw new InvalidArgumentError('recipients must be a list of e-mail addresses')
  const out: string[] = []
  for (const given of list) {
    const address = normalizeAddress(given)
    if (address === undefined) {
      throw new InvalidArgumentError(
        `${JSON.stringify(given)} is not an e-mail address a sign-in code can be sent to (e.g. client@example.com); check the recipients given`,
      )
    }
    if (!out.includes(address)) out.push(address)
  }
  if (out.length > MAX_RECIPIENTS)
    throw new InvalidArgumentError(
      `a link may be bound to at most ${MAX_RECIPIENTS} recipients, ${out.length} were given; make several links`,
    )
  return out
}
