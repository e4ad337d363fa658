/**
 * One progress shape for every long operation ({@link Progress}), and the bridge from
 * native byte counts to it: drops events that arrive after the signal aborted or the
 * promise settled (they travel on another queue, and native code may have queued one
 * just before it saw the abort), never goes backwards, and ends with the final event
 * emitted from JavaScript right before the promise resolves.
 * @module
 */
/**
 * What an operation is doing: `read` (reading sources: hashing, the card), `write`
 * (writing outputs: copies, sealed or restored files), `read-back` (reading what was
 * written back from the disk to check it), `records` (writing reports, histories,
 * snapshots at the end).
 */
export type ProgressPhase = 'read' | 'write' | 'read-back' | 'records'

/**
 * The progress event of every long operation (`hashFile`, `hashFiles`, `sealFile`,
 * `openSealedFile`, `ingest`, `verify`, `backup`, `restore`, `restoreTest`,
 * `createDelivery`, `makePreviews`): at most ~20 a second, never going backwards within a phase, and a
 * last one (with `bytes === bytesTotal` when it succeeded) just before the promise
 * resolves — no event comes after it.
 */
export interface Progress {
  phase: ProgressPhase
  /** Bytes done so far. */
  bytes: number
  /** Bytes in all (known before the work starts; grows if a file grows meanwhile). */
  bytesTotal: number
  /** Files done so far. */
  files: number
  /** Files in all. */
  filesTotal: number
  /** The file being worked on, when there is one. */
  currentFile?: string
  /** The destination (folder or store) concerned, when the event is about one. */
  destination?: string
}

/** Progress of a one-file operation (`hashFile`, `sealFile`, `openSealedFile`, `createDelivery`). */
export interface ByteProgress extends Progress {
  /** @deprecated Same as `bytesTotal`; kept for one minor version. */
  total: number
}

export interface ProgressTracker {
  /** The callback to hand to native code, or undefined when nobody listens. */
  readonly native: ((bytes: number) => void) | undefined
  /** Marks the work settled; emits the final event when it succeeded. */
  settle(finalBytes?: number): void
}

/** Size of a file for progress totals, or 0 when it cannot be read (native code reports why). */
export async function sizeOf(path: string): Promise<number> {
  // node:fs/promises loaded on first use: `shutterproof hash` (no progress) never needs it.
  const { stat } = require('node:fs/promises') as typeof import('node:fs/promises')
  try {
    return (await stat(path)).size
  } catch {
    return 0
  }
}

/** A {@link ByteProgress} event of a one-file operation. */
export function byteProgress(
  phase: ProgressPhase,
  file: string,
  bytes: number,
  total: number,
  done: boolean,
): ByteProgress {
  const bytesTotal = Math.max(total, bytes)
  return {
    phase,
    bytes,
    bytesTotal,
    total: bytesTotal,
    files: done ? 1 : 0,
    filesTotal: 1,
    currentFile: file,
  }
}

/** Native byte counts of one file to {@link ByteProgress} events (see the module note). */
export function trackProgress(
  onProgress: ((p: ByteProgress) => void) | undefined,
  total: number,
  signal: AbortSignal | undefined,
  what: { phase: ProgressPhase; file: string },
): ProgressTracker {
  let settled = false
  let last = 0
  return {
    native: onProgress
      ? (bytes: number) => {
          if (settled || signal?.aborted || bytes < last) return
          last = bytes
          onProgress(byteProgress(what.phase, what.file, bytes, total, false))
        }
      : undefined,
    settle(finalBytes?: number) {
      settled = true
      if (onProgress && finalBytes !== undefined && !signal?.aborted)
        onProgress(byteProgress(what.phase, what.file, finalBytes, finalBytes, true))
    },
  }
}
