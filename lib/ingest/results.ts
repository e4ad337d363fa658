/**
 * The copy engine's report as the ingest's per-file results: every file of the card, at
 * every destination — the ones copied now as the engine saw them, the ones an earlier
 * run verified as its records say.
 * @module
 */
import { reported } from '../errors'
import { HASH_ALGORITHMS, type HashResult } from '../hash'
import type { NativeCopyReport, NativeDigests } from '../native'
import type { CardPlan, PlannedFile } from './plan'
import type { EvidenceLookup } from './evidence'
import type { VerifyMethod } from './records'
import type { ResumeEvidence } from './resume'
import type { FileAtDestination, IngestFileResult } from './types'

type NativeFile = NativeCopyReport['files'][number]

/** Per card file (in the card's order), its result at each destination. */
export function fileResults(
  plan: CardPlan,
  native: NativeCopyReport,
  resume: ResumeEvidence,
): IngestFileResult[] {
  const byPath = new Map(native.files.map((f) => [f.relative, f]))
  return plan.files.map((f) => {
    const n = byPath.get(f.path)
    return n ? copiedNow(f, n) : verifiedBefore(f, resume.evidence)
  })
}

/** A file this run did not copy: every destination's records say it was verified before. */
function verifiedBefore(f: PlannedFile, evidence: readonly EvidenceLookup[]): IngestFileResult {
  const rec = evidence[0]!.get(f.path)!
  return {
    path: f.path,
    size: f.size,
    mtimeMs: f.mtimeMs,
    sourceState: 'previously-verified',
    hashes: rec.hashes,
    destinations: evidence.map((e): FileAtDestination => ({
      status: 'previously-verified',
      method: e.get(f.path)!.method,
    })),
  }
}

/**
 * One copy of each word: every string the engine hands over is a new one, and a card of
 * 20,000 files would keep 100,000 copies of `verified`, `disk-direct` and the like.
 */
const words = new Map<string, string>()
function word<T extends string>(s: string): T {
  let w = words.get(s)
  if (w === undefined) words.set(s, (w = s))
  return w as T
}

/** A file handed to the engine this run, as it reports it. */
function copiedNow(f: PlannedFile, n: NativeFile): IngestFileResult {
  const out: IngestFileResult = {
    path: f.path,
    size: n.sourceState === 'not-read' ? f.size : n.size,
    mtimeMs: n.mtimeMs ?? f.mtimeMs,
    sourceState: word(n.sourceState),
    destinations: n.destinations.map((r): FileAtDestination => {
      const x: FileAtDestination = { status: word(r.status), method: word<VerifyMethod>(r.method) }
      if (r.failure) x.error = reported(r.failure)
      return x
    }),
  }
  const h = hashesOf(n.digests)
  if (h) out.hashes = h
  if (n.sourceFailure) out.sourceError = reported(n.sourceFailure)
  return out
}

function hashesOf(d: NativeDigests | undefined): Omit<HashResult, 'size'> | undefined {
  if (!d) return undefined
  const out: Omit<HashResult, 'size'> = {}
  for (const a of HASH_ALGORITHMS) if (d[a] != null) out[a] = d[a]!
  return out
}
