/**
 * The vault: one key, unlocked once by a passphrase (one Argon2id run) or by the recovery
 * key, that seals and opens any number of files. The key never leaves Rust: JavaScript
 * holds an opaque {@link Vault} handle whose `close()` wipes it.
 * @module
 */
import { randomBytes } from 'node:crypto'
import { closeSync, fsyncSync, openSync, renameSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'

import { raceAbort, throwIfAborted } from '../abort'
import { fromNative, InvalidArgumentError } from '../errors'
import { toFsError } from '../fs/errors'
import {
  nativeChangePassphrase,
  nativeCreateVault,
  nativeOpenVault,
  type NativeUnlock,
  Vault,
} from '../native'
import { toNativeKdf, type KdfOptions } from './kdf'
import { recoveryKit, type RecoveryKit } from './recovery-kit'

export { Vault }

declare module '../../index.js' {
  interface Vault {
    /** `await using vault = await openVault(…)` closes (wipes) it at the end of the block. */
    [Symbol.asyncDispose](): Promise<void>
    /** `using vault = …` closes (wipes) it at the end of the block. */
    [Symbol.dispose](): void
  }
}

// The handle is a native class: give it the disposal protocol here, once.
Object.defineProperty(Vault.prototype, Symbol.asyncDispose, {
  value: async function (this: Vault) {
    if (!this.closed) this.close()
  },
  configurable: true,
  writable: true,
})
Object.defineProperty(Vault.prototype, Symbol.dispose, {
  value: function (this: Vault) {
    if (!this.closed) this.close()
  },
  configurable: true,
  writable: true,
})

/**
 * A passphrase, or the 24 recovery words as one string: any white space between words;
 * a kit's list numbers (`1.`, `2)`) are skipped (docs/FORMAT.md, "Recovery key").
 */
export type VaultUnlock = { passphrase: string } | { recoveryKey: string }

/** @internal */
export function toNativeUnlock(
  unlock: VaultUnlock | { passphrase?: string; recoveryKey?: string },
): NativeUnlock {
  const u = unlock as { passphrase?: unknown; recoveryKey?: unknown }
  const given = [u.passphrase, u.recoveryKey].filter((x) => x !== undefined)
  if (given.length !== 1) throw new InvalidArgumentError('give exactly one of passphrase or recoveryKey')
  if (u.passphrase !== undefined) {
    if (typeof u.passphrase !== 'string' || u.passphrase === '')
      throw new InvalidArgumentError('passphrase must be a non-empty string')
    return { passphrase: u.passphrase }
  }
  if (typeof u.recoveryKey !== 'string')
    throw new InvalidArgumentError('recoveryKey must be the 24 recovery words as a string')
  return { recoveryWords: u.recoveryKey }
}

/** Options of {@link createVault}. */
export interface CreateVaultOptions {
  passphrase: string
  /**
   * Aborting rejects at once with an `AbortError`; no vault file is left (the key
   * derivation finishes in the background, and the file it writes is removed).
   */
  signal?: AbortSignal
  /** Argon2id costs (defaults: 64 MiB, t = 3, p = 4). */
  kdf?: KdfOptions
}

/**
 * Creates a vault key file at `path` (never overwriting one) and returns the open vault
 * with its recovery kit. Print the kit; the words are not stored anywhere.
 *
 * @example
 * ```ts
 * const { vault, recoveryKit } = await createVault('/Volumes/Keys/studio.vault', { passphrase })
 * console.log(recoveryKit.text)           // print it, keep it offline
 * await sealFile('IMG_0001.CR3', 'IMG_0001.CR3.sealed', { vault })
 * vault.close()
 * ```
 * @throws `E_EXISTS` when a file is already there, `E_INVALID_ARGUMENT` for an empty passphrase.
 */
export async function createVault(
  path: string,
  options: CreateVaultOptions,
): Promise<{ vault: Vault; recoveryKit: RecoveryKit }> {
  if (typeof path !== 'string' || path === '')
    throw new InvalidArgumentError('createVault needs a path for the vault key file')
  toNativeUnlock({ passphrase: options?.passphrase })
  throwIfAborted(options.signal)
  const work = native(path, () => nativeCreateVault(path, options.passphrase, toNativeKdf(options.kdf)))
  const created = await raceAbort(options.signal, work, (late) => {
    // Created after the caller was told it was aborted: nobody will print its kit.
    late.vault.close()
    rmSync(path, { force: true })
  })
  return {
    vault: created.vault,
    recoveryKit: recoveryKit(created.recoveryWords, created.vault.keyId, new Date()),
  }
}

/** Options of {@link openVault}. */
export interface OpenVaultOptions {
  /** Aborting rejects at once with an `AbortError`; a vault unlocked after that is closed (its key wiped). */
  signal?: AbortSignal
}

/**
 * Opens a vault key file with its passphrase or with the recovery words alone.
 *
 * @example
 * ```ts
 * const vault = await openVault('studio.vault', { passphrase: process.env.SHUTTERPROOF_PASSPHRASE! })
 * const rescued = await openVault('studio.vault', { recoveryKey: 'word1 word2 … word24' })
 * ```
 * @throws `E_BAD_PASSPHRASE`, `E_BAD_RECOVERY_KEY` (a typo), `E_WRONG_KEY`, `ENOENT`, `E_FORMAT`
 */
export async function openVault(
  path: string,
  unlock: VaultUnlock,
  options: OpenVaultOptions = {},
): Promise<Vault> {
  const nativeUnlock = toNativeUnlock(unlock)
  throwIfAborted(options.signal)
  const work = native(path, () => nativeOpenVault(path, nativeUnlock))
  return raceAbort(options.signal, work, (late) => late.close())
}

/**
 * Replaces the vault's passphrase (unlocking with the old passphrase or the recovery
 * words). The vault key does not change, so every file sealed before stays readable; the
 * old passphrase stops working.
 *
 * @example
 * ```ts
 * await changePassphrase('studio.vault', { passphrase: oldOne }, newOne)
 * ```
 */
export async function changePassphrase(
  path: string,
  unlock: VaultUnlock,
  newPassphrase: string,
  options: ChangePassphraseOptions = {},
): Promise<Vault> {
  const nativeUnlock = toNativeUnlock(unlock)
  toNativeUnlock({ passphrase: newPassphrase })
  throwIfAborted(options.signal)
  // The re-keyed vault is written beside the old one and committed here, by a rename that
  // runs only if no abort came first: an abort during the derivations keeps the old
  // passphrase, with no window between "aborted" and a changed file.
  const rekeyed = join(dirname(path), `.sp-rekey-${randomBytes(8).toString('hex')}`)
  const work = native(path, () =>
    nativeChangePassphrase(path, nativeUnlock, newPassphrase, toNativeKdf(options.kdf), rekeyed),
  )
  const vault = await raceAbort(options.signal, work, (late) => {
    late.close()
    rmSync(rekeyed, { force: true })
  })
  try {
    renameSync(rekeyed, path)
    syncFolder(dirname(path))
  } catch (err) {
    vault.close()
    rmSync(rekeyed, { force: true })
    throw toFsError(err, path, 'replace the vault key file')
  }
  return vault
}

/** Options of {@link changePassphrase}. */
export interface ChangePassphraseOptions {
  /** Argon2id costs of the new passphrase stanza (defaults: 64 MiB, t = 3, p = 4). */
  kdf?: KdfOptions
  /**
   * Aborting rejects at once with an `AbortError`, and the old passphrase keeps working
   * (the new vault file, if the derivations finish later, is removed, never renamed in).
   */
  signal?: AbortSignal
}

/** Starts a native task; its errors, thrown at once (a bad argument) or later, become typed ones naming `path`. */
async function native<T>(path: string, start: () => Promise<T>): Promise<T> {
  try {
    return await start()
  } catch (err) {
    throw fromNative(err, path)
  }
}

/** Makes a rename in `folder` durable. */
function syncFolder(folder: string): void {
  const fd = openSync(folder, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}
