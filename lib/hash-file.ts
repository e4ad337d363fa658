/**
 * Hashing files by path: {@link hashFile} and {@link hashFiles}, the algorithm list and
 * result types. Kept apart from lib/hash.ts (which re-exports all of it) so that what hashes
 * files by path — `shutterproof hash` — does not load `node:stream` (for `HashStream`)
 * (docs/CLI.md, "Start-up").
 * @module
 */
import { abortError, withCancel } from './abort'
import { CallbackGuard } from './callbacks'
import { fromNative, InvalidArgumentError, type ShutterproofError } from './errors'
import { nativeHashFile, type NativeDigests } from './native'
import { sizeOf, trackProgress, type ByteProgress, type Progress } from './progress'

/**
 * Every supported algorithm, in a stable order (the core's `Algorithm::ALL`): the one
 * list that {@link HashAlgorithm} and {@link HashResult} are made from.
 */
export const HASH_ALGORITHMS = ['blake3', 'xxh128', 'xxh64', 'xxh3', 'md5', 'sha1', 'sha256'] as const

/** The hash algorithms the library computes. */
export type HashAlgorithm = (typeof HASH_ALGORITHMS)[number]

/**
 * Digests of some data: lowercase hex for each requested algorithm, and the size.
 * XXH128 is printed big-endian, exactly as `xxhsum -H2` prints it.
 */
export interface HashResult extends Partial<Record<HashAlgorithm, string>> {
  /** Bytes hashed. */
  size: number
}

/** Options of {@link hashFile}. */
export interface HashFileOptions {
  /** Algorithms to compute in the same read; default `['blake3']`. */
  algorithms?: readonly HashAlgorithm[]
  /** Aborting rejects the promise with an `AbortError` (`E_ABORTED`) within milliseconds and stops the native work. */
  signal?: AbortSignal
  /**
   * Called at most ~20 times a second (phase `read`), and once more with
   * `bytes === bytesTotal` right before the promise resolves. If it throws, hashing
   * stops and the promise rejects with `E_CALLBACK`.
   */
  onProgress?: (progress: ByteProgress) => void
}

/** @internal The algorithms to compute, checked, without repeats; `['blake3']` when not given. */
export function checkAlgorithms(algorithms: readonly HashAlgorithm[] | undefined): HashAlgorithm[] {
  if (algorithms === undefined) return ['blake3']
  if (!Array.isArray(algorithms) || algorithms.length === 0) {
    throw new InvalidArgumentError(`algorithms must be a non-empty array of ${HASH_ALGORITHMS.join(', ')}`)
  }
  for (const a of algorithms) {
    if (!HASH_ALGORITHMS.includes(a)) {
      throw new InvalidArgumentError(
        `Unknown hash algorithm ${JSON.stringify(a)}; use one of ${HASH_ALGORITHMS.join(', ')}`,
      )
    }
  }
  return [...new Set(algorithms)]
}

/** The digests present in a native result (its absent algorithms come as `null`). */
export function digestsOf(d: NativeDigests): Omit<HashResult, 'size'> {
  const out: Omit<HashResult, 'size'> = {}
  for (const a of HASH_ALGORITHMS) {
    const hex = d[a]
    if (hex != null) out[a] = hex
  }
  return out
}

/** @internal */
export function toResult(d: NativeDigests): HashResult {
  return { size: d.size, ...digestsOf(d) }
}

/** What {@link hashFile} and {@link hashFiles} use of a {@link CallbackGuard}. */
type Guard = Pick<CallbackGuard, 'stopped' | 'throwIfStopped' | 'wrap' | 'stopError' | 'failure'> & {
  readonly signal: AbortSignal | undefined
}

/**
 * A {@link CallbackGuard} when there are callbacks to guard; without any (`shutterproof
 * hash`), the caller's signal as it is, with the same abort contract: no AbortController
 * and no `AbortSignal.any` per call (docs/CLI.md, "Start-up").
 */
function guardFor(signal: AbortSignal | undefined, callbacks: boolean): Guard {
  if (callbacks) return new CallbackGuard(signal)
  const stopError = (partial?: unknown) => abortError(signal!, partial)
  return {
    signal,
    get stopped() {
      return signal?.aborted === true
    },
    throwIfStopped(partial?: unknown) {
      if (signal?.aborted) throw stopError(partial)
    },
    wrap: () => undefined,
    stopError,
    failure: (err: unknown, partial?: unknown) => (signal?.aborted ? stopError(partial) : err),
  }
}

/**
 * Hashes a file without blocking the event loop: the bytes are read and hashed on native
 * threads (BLAKE3 over all cores for large files, like `b3sum`), never passed through
 * JavaScript.
 *
 * @example
 * ```ts
 * import { hashFile } from 'shutterproof'
 * const { size, blake3, xxh128 } = await hashFile('DCIM/100CANON/IMG_0001.CR3', {
 *   algorithms: ['blake3', 'xxh128'],
 *   onProgress: ({ bytes, total }) => console.log(`${bytes} / ${total}`),
 * })
 * ```
 * @throws {@link FileSystemError} `ENOENT`, `EISDIR`, `EACCES`, `E_IO`
 * @throws {@link AbortError} `E_ABORTED` when `signal` aborts
 */
export async function hashFile(path: string, options: HashFileOptions = {}): Promise<HashResult> {
  if (typeof path !== 'string' || path === '') throw new InvalidArgumentError('hashFile needs a file path')
  const algorithms = checkAlgorithms(options.algorithms)
  const guard = guardFor(options.signal, options.onProgress !== undefined)
  guard.throwIfStopped()
  const onProgress = guard.wrap('onProgress', options.onProgress)
  const progress = trackProgress(onProgress, onProgress ? await sizeOf(path) : 0, guard.signal, {
    phase: 'read',
    file: path,
  })
  try {
    const digests = await withCancel(guard.signal, (token) =>
      nativeHashFile(path, algorithms, token, progress.native),
    )
    const result = toResult(digests)
    progress.settle(result.size)
    if (guard.stopped) throw guard.stopError()
    return result
  } catch (err) {
    progress.settle()
    throw guard.failure(fromNative(err, path))
  }
}

/** One entry of {@link hashFiles}'s result: the file's digests or its error. */
export type HashFilesEntry =
  { path: string; ok: true; result: HashResult } | { path: string; ok: false; error: ShutterproofError }

/** Options of {@link hashFiles}. */
export interface HashFilesOptions extends Omit<HashFileOptions, 'onProgress'> {
  /** Files hashed at the same time (default 2; each large file already uses every core). */
  concurrency?: number
  /** Called when each file is done, in completion order. If it throws, the batch rejects with `E_CALLBACK`. */
  onFile?: (entry: HashFilesEntry) => void
  /**
   * Bytes and files of the whole batch (phase `read`, `currentFile` the file that last
   * moved), at most ~20 a second per file being hashed, and a last one right before the
   * promise resolves. If it throws, the batch rejects with `E_CALLBACK`.
   */
  onProgress?: (progress: Progress) => void
}

/**
 * Hashes many files with bounded parallelism. One failing file does not lose the others:
 * each entry says `ok` with its result or carries its error. Aborting rejects the whole
 * batch with an `AbortError` whose `partial` holds the entries finished so far.
 *
 * @example
 * ```ts
 * const entries = await hashFiles(['a.CR3', 'b.CR3'], { algorithms: ['xxh128'] })
 * for (const e of entries) console.log(e.path, e.ok ? e.result.xxh128 : e.error.code)
 * ```
 */
export async function hashFiles(
  paths: readonly string[],
  options: HashFilesOptions = {},
): Promise<HashFilesEntry[]> {
  if (!Array.isArray(paths)) throw new InvalidArgumentError('hashFiles needs an array of paths')
  const concurrency = options.concurrency ?? 2
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new InvalidArgumentError('concurrency must be a whole number ≥ 1')
  checkAlgorithms(options.algorithms)
  const guard = guardFor(options.signal, options.onFile !== undefined || options.onProgress !== undefined)
  guard.throwIfStopped()
  const onFile = guard.wrap('onFile', options.onFile)
  const onProgress = guard.wrap('onProgress', options.onProgress)
  const entries: HashFilesEntry[] = new Array(paths.length)
  const sizes = onProgress ? await Promise.all(paths.map((p) => sizeOf(p))) : []
  const bytesTotal = sizes.reduce((a, b) => a + b, 0)
  const moving = new Map<number, number>()
  let bytesDone = 0
  let filesDone = 0
  const emit = (currentFile?: string) => {
    let bytes = bytesDone
    for (const b of moving.values()) bytes += b
    const p: Progress = {
      phase: 'read',
      bytes,
      bytesTotal: Math.max(bytesTotal, bytes),
      files: filesDone,
      filesTotal: paths.length,
    }
    if (currentFile !== undefined) p.currentFile = currentFile
    onProgress?.(p)
  }
  let next = 0
  const worker = async () => {
    while (next < paths.length && !guard.stopped) {
      const i = next++
      const path = paths[i]!
      try {
        const fileOptions: HashFileOptions = { algorithms: options.algorithms ?? ['blake3'] }
        if (guard.signal) fileOptions.signal = guard.signal
        if (onProgress) fileOptions.onProgress = (p) => (moving.set(i, p.bytes), emit(path))
        entries[i] = { path, ok: true, result: await hashFile(path, fileOptions) }
      } catch (err) {
        const error = fromNative(err, path)
        if (guard.stopped) return
        entries[i] = { path, ok: false, error }
      }
      moving.delete(i)
      bytesDone += entries[i]!.ok ? (entries[i] as { result: HashResult }).result.size : 0
      filesDone++
      onFile?.(entries[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, paths.length) }, worker))
  if (guard.stopped) throw guard.stopError(entries.filter((e) => e !== undefined))
  emit()
  return entries
}
