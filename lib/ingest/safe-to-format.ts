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
 * with that size, and the session's ASC MHL history lists it. `rehash: true` also
 * re-reads every card file and every counted copy from the disk (O_DIRECT, or with the
 * page cache evicted first), comparing each with the BLAKE3 recorded from the card (slow:
 * it reads the card and every copy once more).
 *
 * An empty card folder is never safe: it is what an unmounted card's mount point looks
 * like. The same destination given twice (by two paths, a bind mount, a symbolic link)
 * is refused: it is recognised by device and inode, so it can never count as two copies.
 * @module
 */
import { lstat, readdir, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'

import { throwIfAborted, withCancel } from '../abort'
import { fromNative, InvalidArgumentError } from '../errors'
import { LSTATS_AT_ONCE, pathsUnder } from '../fs/at-once'
import { lstatBatched } from '../fs/lstat-batched'
import { nativeIsIdentical } from '../native'
import type { OperationStatus } from '../status'
import type { SpillTable } from '../spill/table'
import { cardRoot, walkCard } from './card-walk'
import { readEvidence, type Evidence } from './evidence'
import { HistoryPathsReader } from './history'
import { defineLazyList, PackedRows } from './lazy-list'
import { DATA_FOLDER, type PlannedFile } from './plan'
import { isDiskVerified, type VerifyMethod } from './records'

/** Why a card is not (yet) safe to format. */
export interface SafeToFormatReason {
  /**
   * `missing`: no copy or no record of it at a destination. `unverified`: copied but not
   * read back from the disk (`cache`, `size`, `source` modes, or failed). `mismatch`: the
   * copy or the card differs from what was recorded. `too-few-copies`: fewer verified
   * copies than `minCopies`. `no-session`: a destination holds no Shutterproof session.
   * `no-manifest`: the copy is not in its session's ASC MHL history (or the history cannot
   * be read). `no-card`: the card folder is empty or gone (is the card mounted?).
   * `run-not-completed` (ingest only): the ingest itself did not complete.
   * `cancelled` (ingest only, in the `partial` report of its `AbortError`): the ingest
   * that gave this verdict was cancelled.
   */
  code:
    | 'missing'
    | 'unverified'
    | 'mismatch'
    | 'too-few-copies'
    | 'no-session'
    | 'no-manifest'
    | 'no-card'
    | 'run-not-completed'
    | 'cancelled'
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
  /**
   * Re-read the card and every copy from the disk (not the page cache) and compare their
   * BLAKE3 with the hashes recorded from the card; default false.
   */
  rehash?: boolean
  signal?: AbortSignal
}

/** The verdict. */
export interface SafeToFormatVerdict {
  safe: boolean
  minCopies: number
  /** Card files considered. */
  files: number
  /**
   * Per card file, the destinations holding a disk-verified copy. Kept packed (~40 bytes
   * per file) until first read: the first read of the property builds the array (one
   * object and one array per card file, ~200 bytes each; 20,000 files ≈ 4 MB) and keeps
   * it. Enumerable, so `JSON.stringify` and spreading see it as before.
   */
  copies: Array<{ path: string; verifiedAt: string[] }>
  reasons: SafeToFormatReason[]
}

/** Session roots under `dest`: itself if it has `.shutterproof/`, else its children that do. */
async function sessionRootsOf(dest: string): Promise<string[]> {
  const isSession = async (p: string) =>
    (await lstat(join(p, DATA_FOLDER)).catch(() => undefined))?.isDirectory() ?? false
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
export async function safeToFormat(
  source: string,
  destinations: readonly string[],
  options: SafeToFormatOptions = {},
): Promise<SafeToFormatVerdict> {
  return verdictOf(source, destinations, options, true)
}

/**
 * {@link safeToFormat}; without `keepCopies`, `copies` stays empty (the verdict after an
 * ingest, where nobody reads it). The card is walked one folder at a time and each
 * destination's evidence is read from temporary on-disk tables: memory stays flat in the
 * card's file count (`copies`, when kept, is packed; see {@link SafeToFormatVerdict.copies}).
 */
async function verdictOf(
  source: string,
  destinations: readonly string[],
  options: SafeToFormatOptions,
  keepCopies: boolean,
): Promise<SafeToFormatVerdict> {
  const minCopies = options.minCopies ?? 2
  if (!Number.isInteger(minCopies) || minCopies < 1)
    throw new InvalidArgumentError('minCopies must be a whole number ≥ 1')
  if (!Array.isArray(destinations)) throw new InvalidArgumentError('destinations must be an array of folders')
  throwIfAborted(options.signal)
  await refuseSameDestination(destinations)
  const walk = walkCard(await cardRoot(source))
  const first = await walk.next()
  const reasons: SafeToFormatReason[] = []
  if (first.done) {
    reasons.push({
      code: 'no-card',
      message: `${source}: the card folder holds no files; is the card mounted? An empty folder is what an unmounted card looks like`,
    })
    return { safe: false, minCopies, files: 0, copies: [], reasons }
  }
  const histories = new HistoryPathsReader()
  const evidence = await destinationEvidence(destinations, histories, reasons)
  try {
    const copies = new PackedRows<string[]>()
    let files = 0
    let safe = destinations.length >= minCopies
    // Checked a batch at a time, the outcomes taken in the card's order.
    const batch: PlannedFile[] = []
    const settle = async () => {
      const outcomes = await Promise.all(batch.map((file) => copiesOf(file, evidence, options)))
      for (const [i, file] of batch.entries()) {
        const { verifiedAt, problems } = outcomes[i]!
        reasons.push(...problems)
        files++
        if (keepCopies) copies.push(file.path, verifiedAt)
        if (verifiedAt.length < minCopies) {
          safe = false
          reasons.push({
            code: 'too-few-copies',
            path: file.path,
            message: `${file.source}: ${verifiedAt.length} verified ${verifiedAt.length === 1 ? 'copy' : 'copies'}, ${minCopies} needed; keep the card until it has ${minCopies}`,
          })
        }
      }
      batch.length = 0
    }
    // With rehash one at a time: each check reads whole files.
    const batchSize = options.rehash ? 1 : LSTATS_AT_ONCE
    for (let next: IteratorResult<PlannedFile> = first; !next.done; next = await walk.next()) {
      throwIfAborted(options.signal)
      batch.push(next.value)
      if (batch.length === batchSize) await settle()
    }
    await settle()
    const verdict: SafeToFormatVerdict = { safe, minCopies, files, copies: [], reasons }
    defineLazyList(verdict, 'copies', copies.length, function* () {
      for (const { path, shape } of copies.rows()) yield { path, verifiedAt: shape }
    })
    return verdict
  } finally {
    for (const { roots } of evidence) for (const r of roots) r.files.clear()
    histories.close()
  }
}

/** Where one card file has a verified copy, and what is wrong with it elsewhere. */
async function copiesOf(
  file: PlannedFile,
  evidence: ReadonlyArray<{ dest: string; roots: SessionEvidence[] }>,
  options: SafeToFormatOptions,
): Promise<{ verifiedAt: string[]; problems: SafeToFormatReason[] }> {
  const verifiedAt: string[] = []
  const problems: SafeToFormatReason[] = []
  // With rehash, each distinct (file, recorded hash) is read from the disk once.
  const sameOnDisk = new Map<string, Promise<boolean>>()
  for (const { dest, roots } of evidence) {
    if (roots.length === 0) continue
    const outcome = await copyAt(file, dest, roots, options, sameOnDisk)
    if (outcome === 'verified') verifiedAt.push(dest)
    else problems.push(outcome)
  }
  return { verifiedAt, problems }
}

/** Each destination's session roots with what they say; a destination holding none is a reason. */
async function destinationEvidence(
  destinations: readonly string[],
  histories: HistoryPathsReader,
  reasons: SafeToFormatReason[],
): Promise<Array<{ dest: string; roots: SessionEvidence[] }>> {
  const evidence: Array<{ dest: string; roots: SessionEvidence[] }> = []
  for (const d of destinations) {
    const roots: SessionEvidence[] = []
    evidence.push({ dest: d, roots })
    for (const root of await sessionRootsOf(resolve(d))) {
      const mhl = await histories.read(root)
      roots.push({
        root,
        under: pathsUnder(root),
        files: await readEvidence(root),
        mhl: mhl.files,
        ...(mhl.error ? { mhlError: mhl.error.message } : {}),
      })
    }
    if (roots.length === 0)
      reasons.push({
        code: 'no-session',
        destination: d,
        message: `${d}: no Shutterproof session here (no ${DATA_FOLDER}/ reports); ingest to it or name the session folder`,
      })
  }
  return evidence
}

/**
 * Whether one destination holds a verified copy of `file` (in any of its session roots),
 * or the reason it does not: the first root with a good copy wins; otherwise the reason
 * from the last root that knew the file (a mismatch or an unverified copy from the first).
 */
async function copyAt(
  file: PlannedFile,
  dest: string,
  roots: readonly SessionEvidence[],
  options: SafeToFormatOptions,
  sameOnDisk: Map<string, Promise<boolean>>,
): Promise<'verified' | SafeToFormatReason> {
  let best: { reason?: SafeToFormatReason } | undefined
  for (const { root, under, files, mhl, mhlError } of roots) {
    const rec = files.get(file.path)
    if (!rec) continue
    const where = under(file.path)
    if (rec.status === 'mismatch' || rec.status === 'missing') {
      best ??= {
        reason: {
          code: 'mismatch',
          path: file.path,
          destination: dest,
          message: `${where}: the last verify found it ${rec.status === 'missing' ? 'missing' : 'different from the card'}; copy it again`,
        },
      }
      continue
    }
    if (!isDiskVerified(rec)) {
      best ??= {
        reason: {
          code: 'unverified',
          path: file.path,
          destination: dest,
          method: rec.method,
          message: `${where}: ${rec.status} but not read back from the disk (method ${rec.method}); ingest again with verify 'destination' to a real disk`,
        },
      }
      continue
    }
    if (rec.size !== file.size || (rec.mtimeMs !== undefined && Math.abs(rec.mtimeMs - file.mtimeMs) >= 1)) {
      best = {
        reason: {
          code: 'mismatch',
          path: file.path,
          destination: dest,
          message: `${file.source}: size or modification time differs from the copy recorded at ${where}; the card file changed, ingest it again`,
        },
      }
      continue
    }
    const st = await lstatBatched(where).catch(() => undefined)
    if (!st?.isFile() || st.size !== rec.size) {
      best = {
        reason: {
          code: st ? 'mismatch' : 'missing',
          path: file.path,
          destination: dest,
          message: `${where}: ${st ? 'size differs from the verified copy' : 'the verified copy is gone'}; copy it again`,
        },
      }
      continue
    }
    if (!mhl.has(file.path)) {
      const why = mhlError
        ? `its ASC MHL history cannot be read (${mhlError})`
        : `it is not in the session's ASC MHL history (${root}/ascmhl)`
      best = {
        reason: {
          code: 'no-manifest',
          path: file.path,
          destination: dest,
          message: `${where}: ${why}; run the same ingest again to record it`,
        },
      }
      continue
    }
    if (options.rehash) {
      const blake3 = rec.hashes.blake3
      if (!blake3 || !(await readsAs(sameOnDisk, options.signal, file.source, file.size, blake3))) {
        best = {
          reason: {
            code: 'mismatch',
            path: file.path,
            destination: dest,
            message: `${file.source}: re-read from the card, it differs from the source hash recorded at ${where}; ingest it again`,
          },
        }
        continue
      }
      if (!(await readsAs(sameOnDisk, options.signal, where, rec.size, blake3))) {
        best = {
          reason: {
            code: 'mismatch',
            path: file.path,
            destination: dest,
            message: `${where}: re-read from the disk, the copy differs from the card's hash; copy it again (and check that drive)`,
          },
        }
        continue
      }
    }
    best = {}
    break
  }
  if (!best)
    return {
      code: 'missing',
      path: file.path,
      destination: dest,
      message: `${join(dest, file.path)}: no verified copy recorded at ${dest}; ingest the card to it`,
    }
  return best.reason ?? 'verified'
}

/**
 * With `rehash`: whether `path` reads back from the disk as `blake3`, each distinct
 * (path, hash) read once per card file (`sameOnDisk`). A function of its own, not a
 * closure made for every check of every copy (issue #18: garbage).
 */
function readsAs(
  sameOnDisk: Map<string, Promise<boolean>>,
  signal: AbortSignal | undefined,
  path: string,
  size: number,
  blake3: string,
): Promise<boolean> {
  const key = `${blake3}\0${path}`
  let p = sameOnDisk.get(key)
  if (!p) {
    p = withCancel(signal, (token) => nativeIsIdentical(path, size, { size, blake3 }, token)).catch(
      (err: unknown) => Promise.reject(fromNative(err, path)),
    )
    sameOnDisk.set(key, p)
  }
  return p
}

/** What one session root says: our records, and the paths its ASC MHL history lists. */
interface SessionEvidence {
  root: string
  /** `join(root, path)` of a card-relative path. */
  under: (path: string) => string
  files: Evidence
  mhl: SpillTable
  mhlError?: string
}

/**
 * Refuses a destination given twice, however it is reached (another path, a bind mount,
 * a symbolic link): folders are the same when their device and inode are.
 */
async function refuseSameDestination(destinations: readonly string[]): Promise<void> {
  const seen = new Map<string, number>()
  for (const [i, d] of destinations.entries()) {
    if (typeof d !== 'string' || d === '') throw new InvalidArgumentError('each destination must be a folder')
    // A destination that is not there is reported as holding no session, below.
    const st = await stat(d).catch(() => undefined)
    if (!st) continue
    const id = `${st.dev}:${st.ino}`
    const first = seen.get(id)
    if (first !== undefined) {
      throw new InvalidArgumentError(
        `${d}: the same folder as destination ${first + 1} (${destinations[first]}), reached by another path (same device and inode); give each destination once`,
      )
    }
    seen.set(id, i)
  }
}

/**
 * The verdict right after an ingest ended with `status`, with every reason it is not
 * safe: a cancelled run is not safe by definition (no need to read the card again to say
 * so), a run that did not complete says so (never "NO" with no reason), and a card pulled
 * during the run (its folder gone, empty or unreadable) is a reason, not a crash of the
 * report.
 */
export async function verdictAfterRun(
  card: string,
  sessionRoots: string[],
  minCopies: number,
  status: OperationStatus,
): Promise<{ safe: boolean; reasons: SafeToFormatReason[] }> {
  if (status === 'aborted') {
    return {
      safe: false,
      reasons: [
        {
          code: 'cancelled',
          message: `${card}: the ingest was cancelled before every file was copied and checked; run it again to finish`,
        },
      ],
    }
  }
  let safe: boolean
  let reasons: SafeToFormatReason[]
  try {
    ;({ safe, reasons } = await verdictOf(card, sessionRoots, { minCopies }, false))
  } catch (err) {
    const e = fromNative(err, card)
    safe = false
    reasons = [{ code: 'no-card', message: e.message }]
  }
  if (status !== 'completed') {
    safe = false
    reasons.push({
      code: 'run-not-completed',
      message: `this ingest ended ${status}; run it again once the problems listed above are fixed`,
    })
  }
  return { safe, reasons }
}
