/**
 * Who a file is sealed for, and what opens it.
 * @module
 */
import { InvalidArgumentError } from '../errors'
import type { KdfOptions } from '../keys/kdf'
import { toNativeUnlock } from '../keys/vault'
import type { NativeUnlock, Vault } from '../native'

/** Seal for an open vault (no Argon2 per file), or for a stand-alone passphrase. */
export type SealKey = { vault: Vault } | { passphrase: string; kdf?: KdfOptions }

/** Open with the vault, the file's passphrase, or the vault's 24 recovery words. */
export type OpenKey = { vault: Vault } | { passphrase: string } | { recoveryKey: string }

/** @internal */
export function splitOpenKey(key: OpenKey): { vault: Vault | undefined; unlock: NativeUnlock | undefined } {
  if (key && 'vault' in key && key.vault !== undefined) {
    if ('passphrase' in key || 'recoveryKey' in key)
      throw new InvalidArgumentError('give exactly one of vault, passphrase or recoveryKey')
    return { vault: key.vault, unlock: undefined }
  }
  return { vault: undefined, unlock: toNativeUnlock(key as { passphrase?: string; recoveryKey?: string }) }
}

/** @internal */
export function splitSealKey(key: SealKey): {
  vault: Vault | undefined
  passphrase: string | undefined
  kdf: KdfOptions | undefined
} {
  if (key && 'vault' in key && key.vault !== undefined) {
    if ('passphrase' in key) throw new InvalidArgumentError('give exactly one of vault or passphrase')
    return { vault: key.vault, passphrase: undefined, kdf: undefined }
  }
  const p = (key as { passphrase?: unknown })?.passphrase
  if (typeof p !== 'string' || p === '')
    throw new InvalidArgumentError('seal with { vault } or a non-empty { passphrase }')
  return { vault: undefined, passphrase: p, kdf: (key as { kdf?: KdfOptions }).kdf }
}
