/**
 * The delivery key: 32 random bytes, used as the recovery key of the files' recovery
 * stanza (docs/FORMAT.md), so any Shutterproof reader opens a delivered file with it and
 * the browser needs nothing but WebCrypto. In the link it is 43 base64url characters
 * after the `#`; `openSealedFile` takes it as its 24 recovery words.
 * @module
 */
import { InvalidArgumentError } from '../../errors'

async function bip39(): Promise<{
  mnemonicToEntropy: (m: string, w: string[]) => Uint8Array
  entropyToMnemonic: (e: Uint8Array, w: string[]) => string
  wordlist: string[]
}> {
  const lib = await import('@scure/bip39')
  const { wordlist } = await import('@scure/bip39/wordlists/english.js')
  return { mnemonicToEntropy: lib.mnemonicToEntropy, entropyToMnemonic: lib.entropyToMnemonic, wordlist }
}

/** The link's fragment (without `#`) for the 24 recovery words of a delivery. */
export async function fragmentFromWords(words: string): Promise<string> {
  const { mnemonicToEntropy, wordlist } = await bip39()
  return Buffer.from(mnemonicToEntropy(words.trim().split(/\s+/).join(' '), wordlist)).toString('base64url')
}

/**
 * The 24 words that open a delivered file with `openSealedFile(…, { recoveryKey })`, from
 * a delivery link or its key (the part after `#`).
 *
 * @example
 * ```ts
 * const recoveryKey = await deliveryKeyWords('https://photos.example.com/d/abc…#q1w2…')
 * await openSealedFile('0001.sealed', 'IMG_0001.CR3', { recoveryKey })
 * ```
 */
export async function deliveryKeyWords(linkOrKey: string): Promise<string> {
  const fragment = String(linkOrKey).includes('#') ? String(linkOrKey).split('#').pop()! : String(linkOrKey)
  if (!/^[A-Za-z0-9_-]{43}$/.test(fragment))
    throw new InvalidArgumentError(
      'A delivery key is the 43 characters after the # of a delivery link; this one is wrong or incomplete',
    )
  const { entropyToMnemonic, wordlist } = await bip39()
  return entropyToMnemonic(new Uint8Array(Buffer.from(fragment, 'base64url')), wordlist)
}
