/**
 * Resuming an ingest: what an earlier run (crashed, aborted, card pulled) left in each
 * session folder — stale temporary files, which go, and records, which spare reading
 * again the files they prove are already safe everywhere.
 * @module
 */
import { stat } from 'node:fs/promises'
import { join } from 'node:path'

import { fromNative } from '../errors'
import { LSTATS_AT_ONCE } from '../fs/at-once'
import { lstatBatched } from '../fs/lstat-batched'
import { nativeRemoveStalePartials } from '../native'
import { readEvidence, type EvidenceLookup } from './evidence'
import type { CardFiles } from './plan'
import { isDiskVerified, type RecordFile } from './records'

/** What earlier runs left, per destination, and what this run still has to copy. */
export interface ResumeEvidence {
  /** Per destination, the stale temporary files removed. */
  removedPartials: string[][]
  /** Per destination, the newest record entry of each path (see `readEvidence`). */
  evidence: EvidenceLookup[]
  /** Per card file (by index), 1 when verified at every destination by an earlier run and unchanged since: not read again. */
  previously: Uint8Array
  /** How many files those are. */
  previousCount: number
  /** Bytes of those files. */
  previousBytes: number
  /** The other files of the card (indices, in the card's order), to copy now. */
  toCopy: Uint32Array
  /** Bytes of those files. */
  toCopyBytes: number
}

/** Removes stale temporary files and reads the earlier evidence of every session folder. */
export async function resumeEvidence(
  card: CardFiles,
  sessionRoots: readonly string[],
): Promise<ResumeEvidence> {
  const removedPartials: string[][] = []
  const evidence: EvidenceLookup[] = []
  for (const root of sessionRoots) {
    const exists = await stat(root).then(
      () => true,
      () => false,
    )
    removedPartials.push(
      exists
        ? await nativeRemoveStalePartials(root).catch((err: unknown) => Promise.reject(fromNative(err, root)))
        : [],
    )
    evidence.push(exists ? await readEvidence(root) : new Map<string, RecordFile>())
  }
  const previously = await verifiedEverywhere(card, evidence, sessionRoots)
  let previousCount = 0
  let previousBytes = 0
  for (let i = 0; i < card.count; i++)
    if (previously[i]) {
      previousCount++
      previousBytes += card.size(i)
    }
  const toCopy = new Uint32Array(card.count - previousCount)
  let toCopyBytes = 0
  for (let i = 0, k = 0; i < card.count; i++)
    if (!previously[i]) {
      toCopy[k++] = i
      toCopyBytes += card.size(i)
    }
  return { removedPartials, evidence, previously, previousCount, previousBytes, toCopy, toCopyBytes }
}

/** Per card file, whether its copies are still verified at every destination. */
async function verifiedEverywhere(
  card: CardFiles,
  evidence: readonly EvidenceLookup[],
  sessionRoots: readonly string[],
): Promise<Uint8Array> {
  const previously = new Uint8Array(card.count)
  const everywhere = async (i: number) => {
    const path = card.path(i)
    let all = true
    for (let d = 0; d < sessionRoots.length && all; d++)
      all = await stillVerified(evidence[d]!.get(path), card, i, sessionRoots[d]!)
    if (all) previously[i] = 1
  }
  for (let from = 0; from < card.count; from += LSTATS_AT_ONCE) {
    const to = Math.min(card.count, from + LSTATS_AT_ONCE)
    await Promise.all(Array.from({ length: to - from }, (_, k) => everywhere(from + k)))
  }
  return previously
}

/** Same size and mtime as recorded, and the recorded copy still has them: no need to read again. */
async function stillVerified(
  rec: RecordFile | undefined,
  card: CardFiles,
  i: number,
  sessionRoot: string,
): Promise<boolean> {
  const size = card.size(i)
  const mtimeMs = card.mtimeMs(i)
  if (
    !isDiskVerified(rec) ||
    rec!.size !== size ||
    rec!.mtimeMs === undefined ||
    Math.abs(rec!.mtimeMs - mtimeMs) >= 1
  )
    return false
  if (!rec!.hashes.blake3) return false
  const st = await lstatBatched(join(sessionRoot, card.path(i))).catch(() => undefined)
  return !!st && st.isFile() && st.size === size && Math.abs(st.mtimeMs - mtimeMs) < 1
}
