/**
 * Sealing and opening files by path. Bytes stay in Rust; outputs appear under their final
 * name only when complete (temporary name, fsync, rename), never overwrite unless asked,
 * and nothing is left behind on any failure or abort.
 * @module
 */
import { raceAbort, throwIfAborted, withCancel } from '../abort'
import { CallbackGuard } from '../callbacks'
import { FileSystemError, fromNative, InvalidArgumentError, type ShutterproofError } from '../errors'
import { toNativeKdf } from '../keys/kdf'
import { nativeInspectSealed, nativeOpenSealedFile, nativeReadSealedRange, nativeSealFile } from '../native'
import { sizeOf, trackProgress, type ByteProgress } from '../progress'
import { splitOpenKey, splitSealKey, type OpenKey, type SealKey } from './keys'

/** Options shared by {@link sealFile} and {@link openSealedFile}. */
export interface SealFileCommonOptions {
  /** Replace an existing output (default false: `E_EXISTS`). */
  overwrite?: boolean
  /** Aborting rejects with an `AbortError` (`E_ABORTED`); no output file remains. */
  signal?: AbortSignal
  /**
   * Plaintext bytes done (phase `write`); at most ~20 events a second plus the final one
   * right before the promise resolves. If it throws, the work stops (no output remains)
   * and the promise rejects with `E_CALLBACK`.
   */
  onProgress?: (progress: ByteProgress) => void
}

/** Sizes of a finished seal or open. */
export interface SealResult {
  plaintextSize: number
  sealedSize: number
}

function checkPaths(src: string, dst: string): void {
  if (typeof src !== 'string' || src === '' || typeof dst !== 'string' || dst === '') {
    throw new InvalidArgumentError('give a source and a destination path')
  }
}

/**
 * Seals `src` into `dst` (Cobblestone-256 payload behind an authenticated header, see
 * docs/FORMAT.md), for an open vault or a passphrase.
 *
 * @example
 * ```ts
 * const vault = await openVault('studio.vault', { passphrase })
 * await sealFile('IMG_0001.CR3', 'offsite/IMG_0001.CR3.sealed', { vault, onProgress: console.log })
 * ```
 * @throws `E_EXISTS` (output exists), `ENOENT`, `E_NO_SPACE`, `E_ABORTED`, `E_INVALID_ARGUMENT`
 */
export async function sealFile(
  src: string,
  dst: string,
  options: SealKey & SealFileCommonOptions,
): Promise<SealResult> {
  checkPaths(src, dst)
  const { vault, passphrase, kdf } = splitSealKey(options)
  const guard = new CallbackGuard(options.signal)
  guard.throwIfStopped()
  const onProgress = guard.wrap('onProgress', options.onProgress)
  const progress = trackProgress(onProgress, onProgress ? await sizeOf(src) : 0, guard.signal, {
    phase: 'write',
    file: src,
  })
  try {
    const r = await withCancel(guard.signal, (token) =>
      nativeSealFile(
        src,
        dst,
        vault,
        passphrase,
        toNativeKdf(kdf),
        options.overwrite ?? false,
        token,
        progress.native,
      ),
    )
    progress.settle(r.plaintextSize)
    return r
  } catch (err) {
    progress.settle()
    throw guard.failure(withOutputPath(fromNative(err, src), dst))
  }
}

/** `E_EXISTS` is about the output: its `path` must name it, as its message does. */
function withOutputPath(err: ShutterproofError, dst: string): ShutterproofError {
  if (err.code !== 'E_EXISTS' || err.path === dst) return err
  return new FileSystemError('E_EXISTS', err.message, { path: dst, cause: err.cause })
}

/**
 * Opens (decrypts) a sealed file into `dst`. The output is renamed into place only after
 * the last chunk authenticated: a damaged or truncated file leaves nothing behind.
 *
 * @example
 * ```ts
 * await openSealedFile('IMG_0001.CR3.sealed', 'restored/IMG_0001.CR3', { recoveryKey: words })
 * ```
 * @throws `E_AUTH` (modified), `E_TRUNCATED`, `E_WRONG_KEY`, `E_BAD_PASSPHRASE`, `E_FORMAT`, `E_EXISTS`, `E_ABORTED`
 */
export async function openSealedFile(
  src: string,
  dst: string,
  options: OpenKey & SealFileCommonOptions,
): Promise<SealResult> {
  checkPaths(src, dst)
  const { vault, unlock } = splitOpenKey(options)
  const guard = new CallbackGuard(options.signal)
  guard.throwIfStopped()
  const onProgress = guard.wrap('onProgress', options.onProgress)
  const progress = trackProgress(onProgress, onProgress ? await sizeOf(src) : 0, guard.signal, {
    phase: 'write',
    file: src,
  })
  try {
    const r = await withCancel(guard.signal, (token) =>
      nativeOpenSealedFile(src, dst, vault, unlock, options.overwrite ?? false, token, progress.native),
    )
    progress.settle(r.plaintextSize)
    return r
  } catch (err) {
    progress.settle()
    throw guard.failure(withOutputPath(fromNative(err, src), dst))
  }
}

/**
 * Decrypts plaintext bytes `[start, end)` of a sealed file, reading and authenticating
 * only the chunks that hold them (for previews, or resuming a download). Aborting
 * `signal` rejects with an `AbortError` (checked before each 16 KiB chunk).
 *
 * @example
 * ```ts
 * const head = await readSealedRange('clip.mov.sealed', 0, 4096, { vault, signal })
 * ```
 */
export async function readSealedRange(
  path: string,
  start: number,
  end: number,
  options: OpenKey & { signal?: AbortSignal },
): Promise<Buffer> {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new InvalidArgumentError('start and end must be whole numbers with 0 ≤ start ≤ end')
  }
  const { signal, ...key } = options ?? ({} as OpenKey)
  const { vault, unlock } = splitOpenKey(key as OpenKey)
  try {
    return await withCancel(signal, (token) => nativeReadSealedRange(path, start, end, vault, unlock, token))
  } catch (err) {
    throw fromNative(err, path)
  }
}

/** Public facts of a sealed file's header (no key needed, nothing secret). */
export interface SealedFileInfo {
  kind: 'file' | 'vault'
  version: number
  /** One entry per way to unlock: `vault`, `recovery`, `passphrase`. */
  stanzas: Array<'vault' | 'recovery' | 'passphrase'>
  /** The vault key id, for files sealed with a vault. */
  keyId?: string
  /** Argon2id costs of each passphrase stanza. */
  kdf: Array<{ memoryKiB: number; iterations: number; parallelism: number }>
  headerSize: number
  sealedSize: number
  plaintextSize: number
}

/**
 * Reads a sealed file's header: what can unlock it, the vault key id, sizes.
 *
 * @example
 * ```ts
 * const info = await inspectSealed('IMG_0001.CR3.sealed')
 * console.log(info.stanzas, info.keyId, info.plaintextSize)
 * ```
 */
export async function inspectSealed(
  path: string,
  options: { signal?: AbortSignal } = {},
): Promise<SealedFileInfo> {
  throwIfAborted(options.signal)
  try {
    const i = await raceAbort(options.signal, nativeInspectSealed(path))
    const info: SealedFileInfo = {
      kind: i.kind as SealedFileInfo['kind'],
      version: i.version,
      stanzas: i.stanzas as SealedFileInfo['stanzas'],
      kdf: i.kdf.map((k) => ({
        memoryKiB: k.memoryKib,
        iterations: k.iterations,
        parallelism: k.parallelism,
      })),
      headerSize: i.headerSize,
      sealedSize: i.sealedSize,
      plaintextSize: i.plaintextSize,
    }
    if (i.keyId != null) info.keyId = i.keyId
    return info
  } catch (err) {
    throw fromNative(err, path)
  }
}
