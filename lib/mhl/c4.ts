/**
 * C4 IDs (SMPTE ST 2114): the SHA-512 of some bytes, written in base58 as `c4` + 88
 * characters. ASC MHL uses them to chain its manifests in `ascmhl_chain.xml`.
 * @module
 */
import { createHash } from 'node:crypto'

import { InvalidArgumentError } from '../errors'
import { readPieces } from '../fs/read-pieces'

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'
const DIGITS = 88

/** Whether a string has the shape of a C4 ID (`c4` + 88 base58 characters). */
export function isC4Id(value: string): boolean {
  return /^c4[1-9A-HJ-NP-Za-km-z]{88}$/.test(value)
}

/**
 * The C4 ID of a SHA-512 digest given as 128 hex digits.
 *
 * @example
 * ```ts
 * import { c4FromSha512Hex } from 'shutterproof'
 * c4FromSha512Hex(createHash('sha512').update('').digest('hex')) // 'c459dsjfscH38cYeXXYogktxf4Cd9ibshE3BHUo6a58hBXmRQdZrAkZzsWcbWtDg5oQstpDuni4Hirj75GEmTc1sFT'
 * ```
 * @throws {@link InvalidArgumentError} `E_INVALID_ARGUMENT` when `hex` is not 128 hex digits
 */
export function c4FromSha512Hex(hex: string): string {
  if (!/^[0-9a-fA-F]{128}$/.test(hex)) throw new InvalidArgumentError('A SHA-512 digest has 128 hex digits')
  let n = BigInt(`0x${hex}`)
  let out = ''
  while (n > 0n) {
    out = ALPHABET[Number(n % 58n)]! + out
    n /= 58n
  }
  return `c4${out.padStart(DIGITS, '1')}`
}

/**
 * The C4 ID of some bytes.
 *
 * @example
 * ```ts
 * import { c4Id } from 'shutterproof'
 * console.log(c4Id(Buffer.from('hello'))) // 'c4…' (90 characters)
 * ```
 */
export function c4Id(data: Uint8Array): string {
  return c4FromSha512Hex(createHash('sha512').update(data).digest('hex'))
}

/**
 * The C4 ID of a file, such as an ASC MHL manifest, read a chunk at a time.
 *
 * @example
 * ```ts
 * import { c4IdOfFile } from 'shutterproof'
 * console.log(await c4IdOfFile('ascmhl/0001_A002R2EC_2020-01-16_091500Z.mhl'))
 * ```
 */
export async function c4IdOfFile(path: string): Promise<string> {
  // A piece at a time into one reused buffer: a 20,000-file manifest is ~5 MB, never
  // whole in memory, and no buffer per piece left for the collector (a stream's 64 KiB
  // pieces of a few manifests were ~20 MiB of external memory at once; issue #18).
  const sha = createHash('sha512')
  for await (const piece of readPieces(path)) sha.update(piece)
  return c4FromSha512Hex(sha.digest('hex'))
}
