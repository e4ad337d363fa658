/**
 * Resuming an ingest: what an earlier run (crashed, aborted, card pulled) left in each
 * session folder — stale temporary files, which go, and records, which spare reading
 * again the files they prove are already safe everywhere.
 * @module
 */
import { lstat, stat } from 'node:fs/promises'
import { join } from 'node:path'

import { fromNative } from '../errors'
import { nativeRemoveStalePartials } from '../native'
import type { CardPlan, PlannedFile } from './plan'
import type { EvidenceLookup } from './evidence'
import { isDiskVerified, readEvidence, type RecordFile } from './records'

/** What earlier runs left, per destination, and what this run still has to copy. */
export interface ResumeEvidence {
  /** Per destination, the stale temporary files removed. */
  removedPartials: string[][]
  /** Per destination, the newest record entry of each path (see {@link latestEvidence}). */
  evidence: EvidenceLookup[]
  /** Card paths verified at every destination by an earlier run and unchanged since: not read again. */
  previously: ReadonlySet<string>
  /** Bytes of those files. */
  previousBytes: number
  /** The other files of the card, to copy now. */
  toCopy: PlannedFile[]
}

/** Removes stale temporary files and reads the earlier evidence of every session folder. */
export async function resumeEvidence(
  plan: CardPlan,
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
    evidence.push(exists ? await readEvidence(root) : new Map())
  }
  const previously = await verifiedEverywhere(plan.files, evidence, sessionRoots)
  const toCopy = plan.files.filter((f) => !previously.has(f.path))
  const previousBytes = plan.files.filter((f) => previously.has(f.path)).reduce((n, f) => n + f.size, 0)
  return { removedPartials, evidence, previously, previousBytes, toCopy }
}

/** The card paths whose copies are still verified at every destination. */
async function verifiedEverywhere(
  files: readonly PlannedFile[],
  evidence: readonly EvidenceLookup[],
  sessionRoots: readonly string[],
): Promise<Set<string>> {
  const previously = new Set<string>()
  for (const f of files) {
    let all = true
    for (let d = 0; d < sessionRoots.length && all; d++)
      all = await stillVerified(evidence[d]!.get(f.path), f, sessionRoots[d]!)
    if (all) previously.add(f.path)
  }
  return previously
}

/** Same size and mtime as recorded, and the recorded copy still has them: no need to read again. */
async function stillVerified(
  rec: RecordFile | undefined,
  file: PlannedFile,
  sessionRoot: string,
): Promise<boolean> {
  if (
    !isDiskVerified(rec) ||
    rec!.size !== file.size ||
    rec!.mtimeMs === undefined ||
    Math.abs(rec!.mtimeMs - file.mtimeMs) >= 1
  )
    return false
  if (!rec!.hashes.blake3) return false
  const st = await lstat(join(sessionRoot, file.path)).catch(() => undefined)
  return !!st && st.isFile() && st.size === file.size && Math.abs(st.mtimeMs - file.mtimeMs) < 1
}
