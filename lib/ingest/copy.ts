/**
 * The copy itself: the card's files still to copy, through the native copy engine, into
 * every session folder at once (the card read once, hashed inline), its events turned
 * into progress.
 * @module
 */
import { withCancel } from '../abort'
import type { CallbackGuard } from '../callbacks'
import { fromNative, reported } from '../errors'
import type { HashAlgorithm } from '../hash'
import {
  nativeCopyCard,
  nativeReturnFreedMemory,
  type NativeCardReport,
  type NativeCopyEvent,
} from '../native'
import type { CardFiles } from './plan'
import type { ResumeEvidence } from './resume'
import type { RunProgress } from './run-progress'
import type { IngestProgress, VerifyMode } from './types'

/** What to copy where, and how. */
export interface CopyJob {
  card: CardFiles
  resume: ResumeEvidence
  sessionRoots: string[]
  algorithms: HashAlgorithm[]
  verify: VerifyMode
}

/**
 * Runs the copy to its end or its stop. Rejects only when the engine itself cannot run
 * (with the stop's error when stopped); an abort resolves with status `aborted`.
 */
export async function copyCard(
  job: CopyJob,
  guard: CallbackGuard,
  progress: RunProgress,
  onProgress: ((p: IngestProgress) => void) | undefined,
  /** Called once, after the event that tells the whole card has been read. */
  onCardRead?: () => void,
): Promise<NativeCardReport> {
  // Progress: ≤ 20/s from the core; late events (after the promise settled or the stop) dropped.
  let settled = false
  const onEvent = (e: NativeCopyEvent) => {
    if (settled || guard.stopped) return
    if (e.kind === 'destination-failed' && e.index !== undefined && e.failure)
      progress.failures[e.index] = reported(e.failure)
    if (e.kind === 'progress' && e.progress) progress.sample(e.progress.bytesRead)
    if (e.kind === 'progress' && e.progress && onProgress) onProgress(progress.event(e.progress))
    if (e.kind === 'progress' && e.progress && e.progress.bytesRead >= e.progress.bytesTotal && onCardRead) {
      const once = onCardRead
      onCardRead = undefined
      once()
    }
  }
  let native: NativeCardReport
  progress.sample(0, true)
  try {
    native = await withCancel(guard.signal, (token) =>
      // The card's paths as one string, the files back as columns: no object per file either way.
      nativeCopyCard(
        job.card.root,
        job.card.joinedPaths(job.resume.toCopy),
        job.sessionRoots,
        { algorithms: job.algorithms, verify: job.verify, sourceRoot: job.card.root, skipIdentical: true },
        token,
        onEvent,
      ),
    )
  } catch (err) {
    throw guard.failure(fromNative(err))
  } finally {
    settled = true
    // The engine's per-file state is freed but kept by the C allocator: give it back before
    // the records and reports are written (about 20 MiB at 20,000 files; issue #18).
    nativeReturnFreedMemory()
  }
  progress.sample(native.bytesRead, true)
  return native
}
