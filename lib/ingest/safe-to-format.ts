/**
 * "May I format this card?" — a verdict computed from what the destinations' own reports
 * say, checked against the card as it is now. The library never deletes or formats
 * anything.
 *
 * Choice (documented): by default the card is **not** re-hashed. A card file counts as
 * safely copied to a destination when that destination's newest evidence for its path
 * (our `.shutterproof/` records, including later `verify` runs) says it was read back
 * from the disk and matched (`disk-direct` / `disk-evicted`), the card file still has the
 * size and modification time recorded with the source hash, and the copy is still there
 * with that size. `rehash: true` also re-reads every card file and compares its BLAKE3
 * with the recorded source hash (slow, and it reads the card once more).
 * @module
 */
import { lstat, readdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'

import { throwIfAborted } from '../abort'
import { InvalidArgumentError } from '../errors'
import { hashFile } from '../hash'
import { DATA_FOLDER, planCard } from './plan'
import { isDiskVerified, latestEvidence, readRecords, type RecordFile, type VerifyMethod } from './records'

/** Why a card is not (yet) safe to format. */
export interface SafeToFormatReason {
  /**
   * `missing`: no copy or no record of it at a destination. `unverified`: copied but not
   * read back from the disk (`cache`, `size`, `source` modes, or failed). `mismatch`: the
   * copy or the card differs from what was recorded. `too-few-copies`: fewer verified
   * copies than `minCopies`. `no-session`: a destination holds no Shutterproof session.
   * `cancelled`: the ingest that gave this verdict was cancelled.
   */
  code: 'missing' | 'unverified' | 'mismatch' | 'too-few-copies' | 'no-session' | 'cancelled'
  /** Card-relative path, when the reason concerns one file. */
  path?: string
  /** The destination (as given), when the reason concerns one. */
  destination?: string
  /** For `unverified`: how the copy was checked (`size`, `cache`, `none`, …). */
  method?: VerifyMethod
  message: string
}

/** Options of {@link safeToFormat}. */
export interface SafeToFormatOptions {
  /** Verified copies each file needs; default 2. */
  minCopies?: number
  /** Re-hash the card (BLAKE3) and compare with the recorded source hashes; default false. */
  rehash?: boolean
  signal?: AbortSignal
}

/** The verdict. */
export interface SafeToFormatVerdict {
  safe: boolean
  minCopies: number
  /** Card files considered. */
  files: number
  /** Per card file, the destinations holding a disk-verified copy. */
  copies: Array<{ path: string; verifiedAt: string[] }>
  reasons: SafeToFormatReason[]
}

/** Session roots under `dest`: itself if it has `.shutterproof/`, else its children that do. */
async function sessionRootsOf(dest: string): Promise<string[]> {
  const isSession = async (p: string) => (await lstat(join(p, DATA_FOLDER)).catch(() => undefined))?.isDirectory() ?? false
  if (await isSession(dest)) return [dest]
  const names = await readdir(dest).catch(() => [] as string[])
  const out: string[] = []
  for (const n of names.sort()) if (await isSession(join(dest, n))) out.push(join(dest, n))
  return out
}

/**
 * Whether `source` (a card) may be formatted: every file on it has at least `minCopies`
 * copies read back from the disk and matching, among `destinations` (session folders,
 * or the drives holding them). Reasons name each file and destination that falls short.
 *
 * @example
 * ```ts
 * const v = await safeToFormat('/media/EOS_DIGITAL', ['/Volumes/A/2026-04-26_Ada_Wedding', '/Volumes/B/2026-04-26_Ada_Wedding'])
 * if (!v.safe) for (const r of v.reasons) console.log(r.code, r.message)
 * ```
 */
export async function safeToFormat(source: string, destinations: readonly string[], options: SafeToFormatOptions = {}): Promise<SafeToFormatVerdict> {
  const minCopies = options.minCopies ?? 2
  if (!Number.isInteger(minCopies) || minCopies < 1) throw new InvalidArgumentError('minCopies must be a whole number ≥ 1')
  if (!Array.isArray(destinations)) throw new InvalidArgumentError('destinations must be an array of folders')
  throwIfAborted(options.signal)
  const plan = await planCard(source)
  const reasons: SafeToFormatReason[] = []
  const evidence: Array<{ dest: string; roots: Array<{ root: string; files: Map<string, RecordFile> }> }> = []
  for (const d of destinations) {
    const roots = []
    for (const root of await sessionRootsOf(resolve(d))) roots.push({ root, files: latestEvidence((await readRecords(root)).records) })
    if (roots.length === 0) reasons.push({ code: 'no-session', destination: d, message: `${d}: no Shutterproof session here (no ${DATA_FOLDER}/ reports); ingest to it or name the session folder` })
    evidence.push({ dest: d, roots })
  }
  const copies: SafeToFormatVerdict['copies'] = []
  for (const file of plan.files) {
    throwIfAborted(options.signal)
    let cardBlake3: string | undefined
    const verifiedAt: string[] = []
    for (const { dest, roots } of evidence) {
      if (roots.length === 0) continue
      let best: { reason?: SafeToFormatReason } | undefined
      for (const { root, files } of roots) {
        const rec = files.get(file.path)
        const where = join(root, file.path)
        if (!rec) continue
        if (rec.status === 'mismatch' || rec.status === 'missing') {
          best ??= { reason: { code: 'mismatch', path: file.path, destination: dest, message: `${where}: the last verify found it ${rec.status === 'missing' ? 'missing' : 'different from the card'}; copy it again` } }
          continue
        }
        if (!isDiskVerified(rec)) {
          best ??= { reason: { code: 'unverified', path: file.path, destination: dest, method: rec.method, message: `${where}: ${rec.status} but not read back from the disk (method ${rec.method}); ingest again with verify 'destination' to a real disk` } }
          continue
        }
        if (rec.size !== file.size || (rec.mtimeMs !== undefined && Math.abs(rec.mtimeMs - file.mtimeMs) >= 1)) {
          best = { reason: { code: 'mismatch', path: file.path, destination: dest, message: `${file.source}: size or modification time differs from the copy recorded at ${where}; the card file changed, ingest it again` } }
          continue
        }
        const st = await lstat(where).catch(() => undefined)
        if (!st?.isFile() || st.size !== rec.size) {
          best = { reason: { code: st ? 'mismatch' : 'missing', path: file.path, destination: dest, message: `${where}: ${st ? 'size differs from the verified copy' : 'the verified copy is gone'}; copy it again` } }
          continue
        }
        if (options.rehash) {
          cardBlake3 ??= (await hashFile(file.source, options.signal ? { signal: options.signal } : {})).blake3
          if (rec.hashes.blake3 !== cardBlake3) {
            best = { reason: { code: 'mismatch', path: file.path, destination: dest, message: `${file.source}: its BLAKE3 differs from the source hash recorded at ${where}; ingest it again` } }
            continue
          }
        }
        best = {}
        break
      }
      if (!best) reasons.push({ code: 'missing', path: file.path, destination: dest, message: `${join(dest, file.path)}: no verified copy recorded at ${dest}; ingest the card to it` })
      else if (best.reason) reasons.push(best.reason)
      else verifiedAt.push(dest)
    }
    copies.push({ path: file.path, verifiedAt })
    if (verifiedAt.length < minCopies) {
      reasons.push({ code: 'too-few-copies', path: file.path, message: `${file.source}: ${verifiedAt.length} verified ${verifiedAt.length === 1 ? 'copy' : 'copies'}, ${minCopies} needed; keep the card until it has ${minCopies}` })
    }
  }
  const safe = copies.every((c) => c.verifiedAt.length >= minCopies) && destinations.length >= minCopies
  if (destinations.length < minCopies && plan.files.length === 0) {
    reasons.push({ code: 'too-few-copies', message: `${destinations.length} destinations given, ${minCopies} needed` })
  }
  return { safe, minCopies, files: plan.files.length, copies, reasons }
}
