/**
 * Byte progress from native work to a user callback: drops events that arrive after the
 * signal aborted or the promise settled (they travel on another queue, and native code may
 * have queued one just before it saw the abort), never goes backwards, and always ends
 * with `bytes === total`, emitted from JavaScript once the work is done.
 * @internal
 * @module
 */
import { stat } from 'node:fs/promises'

/** Progress of a file operation. */
export interface ByteProgress {
  /** Bytes done so far; never decreases. */
  bytes: number
  /** Bytes in all. */
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
  try {
    return (await stat(path)).size
  } catch {
    return 0
  }
}

export function trackProgress(onProgress: ((p: ByteProgress) => void) | undefined, total: number, signal?: AbortSignal): ProgressTracker {
  let settled = false
  let last = 0
  return {
    native: onProgress
      ? (bytes: number) => {
          if (settled || signal?.aborted || bytes < last) return
          last = bytes
          onProgress({ bytes, total: Math.max(total, bytes) })
        }
      : undefined,
    settle(finalBytes?: number) {
      settled = true
      if (onProgress && finalBytes !== undefined) onProgress({ bytes: finalBytes, total: finalBytes })
    },
  }
}
