/**
 * `restoreTest(store)`: decrypt and re-hash what a store holds, against its index,
 * without writing any plaintext to disk.
 * @module
 */
import { randomInt } from 'node:crypto'

import { CallbackGuard } from '../callbacks'
import { CloudError, InvalidArgumentError, reported, type ErrorCode, type ShutterproofError } from '../errors'
import type { Progress } from '../progress'
import type { LocalObjectFile } from './backend'
import { checkSealed } from './objects'
import type { SnapshotFile, Store, StoredSnapshot } from './store'

/** Why one file of a snapshot failed its restore test. */
export type RestoreFailureKind =
  | 'missing-object'
  | 'failed-authentication'
  | 'hash-mismatch'
  | 'unreadable-object'
  | 'unreadable-index'
  | 'no-snapshot'
  | 'empty-snapshot'

/** One failure, naming the session and file (or the index snapshot). */
export interface RestoreTestFailure {
  kind: RestoreFailureKind
  session?: string
  /** The file, relative to its session folder. */
  path?: string
  object?: string
  /** The index snapshot concerned. */
  snapshot?: string
  code: ErrorCode
  message: string
}

/** Options of {@link restoreTest}. */
export interface RestoreTestOptions {
  /** Only this session's newest snapshot (default: the newest snapshot of every session). */
  session?: string
  /**
   * `'all'` (default), how many files to pick at random across the snapshots tested, or a
   * share of them (`'10%'`: a cheap frequent test; at least one file).
   */
  sample?: number | 'all' | `${number}%`
  /** Keep a sealed record of this test in the store, for the catalog (default true). */
  record?: boolean
  /** Aborting rejects with an `AbortError` whose `partial` is the report so far (no record is kept). */
  signal?: AbortSignal
  /**
   * Progress in the common shape (phase `read-back`, `currentFile` as `session/path`;
   * then `records`), after each file and a last time right before the promise resolves.
   * If it throws, the test stops and rejects with `E_CALLBACK`.
   */
  onProgress?: (p: Progress) => void
}

/** What {@link restoreTest} resolves with. */
export interface RestoreTestReport {
  /** `completed` or `failed` (`aborted` only in an `AbortError`'s `partial`). */
  status: 'completed' | 'failed' | 'aborted'
  /** Every file of every session's newest snapshot was checked (no sample, no session filter). */
  full: boolean
  testedAt: string
  snapshots: Array<{ key: string; session: string; createdAt: string; files: number }>
  /** Files checked (decrypted and re-hashed). */
  checked: number
  /** Plaintext bytes decrypted and hashed. */
  bytes: number
  failures: RestoreTestFailure[]
  /** Key of the sealed record kept in the store. */
  record?: string
}

const KIND_OF_CODE: Record<string, RestoreFailureKind> = {
  ENOENT: 'missing-object',
  E_AUTH: 'failed-authentication',
  E_TRUNCATED: 'failed-authentication',
  E_WRONG_KEY: 'failed-authentication',
  E_FORMAT: 'failed-authentication',
}

/** `'10%'` → 10; undefined unless 0 < share ≤ 100. */
function parsePercent(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)%$/.exec(text.trim())
  const n = m ? Number(m[1]) : NaN
  return n > 0 && n <= 100 ? n : undefined
}

/**
 * Decrypts and re-hashes the objects of the newest snapshot of each session (or one
 * session; all files or a random sample), in Rust, reading each object back from the disk.
 * Says `completed` with counts and bytes, or lists every failure by session and file:
 * missing object, failed authentication, hash mismatch, unreadable index. A store with
 * no snapshot to test (`no-snapshot`), or a newest snapshot with no files
 * (`empty-snapshot`), fails: a restore test that checked nothing proves nothing.
 *
 * @example
 * ```ts
 * const r = await restoreTest(store, { session: '2026-04-26_Ada_Wedding', sample: 50 })
 * console.log(r.status, r.checked, r.failures)
 * ```
 */
export async function restoreTest(
  store: Store,
  options: RestoreTestOptions = {},
): Promise<RestoreTestReport> {
  const sample = options.sample ?? 'all'
  const percent = typeof sample === 'string' && sample !== 'all' ? parsePercent(sample) : undefined
  if (typeof sample === 'string' && sample !== 'all' && percent === undefined)
    throw new InvalidArgumentError(
      `sample must be 'all', a whole number ≥ 1 or a share like '10%', not ${sample}`,
    )
  if (typeof sample === 'number' && (!Number.isSafeInteger(sample) || sample < 1))
    throw new InvalidArgumentError(`sample must be 'all' or a whole number ≥ 1, not ${String(sample)}`)
  const guard = new CallbackGuard(options.signal)
  guard.throwIfStopped()
  const onProgress = guard.wrap('onProgress', options.onProgress)
  const testedAt = new Date().toISOString()
  const { snapshots, unreadable } = await store.snapshots()
  const failures: RestoreTestFailure[] = unreadable.map((u) => ({
    kind: 'unreadable-index',
    snapshot: u.key,
    ...reported({ code: u.code, message: `index snapshot ${u.message}` }),
  }))
  const latest = new Map<string, StoredSnapshot>()
  for (const s of snapshots) latest.set(s.session, s)
  let chosen = [...latest.values()]
  if (options.session !== undefined) chosen = chosen.filter((s) => s.session === options.session)
  // Nothing to test is a failure, never "completed: 0 files checked": every backup was
  // killed before its first snapshot, or the index was deleted.
  if (chosen.length === 0 && unreadable.length === 0) {
    const what =
      options.session === undefined ? 'no index snapshot at all' : `no snapshot of session ${options.session}`
    failures.push({
      kind: 'no-snapshot',
      ...(options.session === undefined ? {} : { session: options.session }),
      code: 'ENOENT',
      message: `${store.location} holds ${what} (index/ is empty: no backup ever completed, or the index was removed); run the backup again and then the restore test`,
    })
  }
  for (const s of chosen) {
    if (s.files.length > 0) continue
    const earlier = snapshots.filter((x) => x.session === s.session && x.files.length > 0).at(-1)
    failures.push({
      kind: 'empty-snapshot',
      session: s.session,
      snapshot: s.key,
      code: 'E_FORMAT',
      message: `${s.session}: its newest snapshot ${s.key} holds no files${earlier ? ` (the one of ${earlier.createdAt} held ${earlier.files.length})` : ''}; back the session up again from a copy that holds its files`,
    })
  }
  let work: Array<{ s: StoredSnapshot; f: SnapshotFile }> = chosen.flatMap((s) =>
    s.files.map((f) => ({ s, f })),
  )
  const count =
    percent !== undefined
      ? Math.max(1, Math.ceil((work.length * percent) / 100))
      : sample === 'all'
        ? work.length
        : (sample as number)
  const full = options.session === undefined && count >= work.length
  if (count < work.length) {
    for (let i = 0; i < count; i++) {
      const j = i + randomInt(work.length - i)
      ;[work[i], work[j]] = [work[j]!, work[i]!]
    }
    work = work.slice(0, count)
  }
  // Each object is decrypted once, whatever number of files share it.
  const results = new Map<string, Promise<{ blake3: string; size: number } | ShutterproofError>>()
  const check = (object: string) => {
    let p = results.get(object)
    if (!p) {
      p = (async () => {
        let local: LocalObjectFile | undefined
        try {
          local = await store.backend.localFile(store.objectKey(object))
          const d = await checkSealed(store.vault, local.path, guard.signal)
          return { blake3: d.blake3, size: d.plaintextSize }
        } catch (err) {
          const e = err as ShutterproofError
          // A store that cannot be reached says nothing about this object: the test fails whole.
          if (guard.stopped || e instanceof CloudError) throw err
          return e
        } finally {
          await local?.release()
        }
      })()
      results.set(object, p)
    }
    return p
  }
  let checked = 0
  let bytes = 0
  const bytesTotal = work.reduce((n, w) => n + w.f.size, 0)
  const snapshotsTested = chosen.map((s) => ({
    key: s.key,
    session: s.session,
    createdAt: s.createdAt,
    files: s.files.length,
  }))
  for (const { s, f } of work) {
    const r = await check(f.object).catch((err: unknown) => {
      throw guard.failure(err, {
        status: 'aborted',
        full,
        testedAt,
        snapshots: snapshotsTested,
        checked,
        bytes,
        failures,
      } satisfies RestoreTestReport)
    })
    checked++
    const where = { session: s.session, path: f.path, object: f.object, snapshot: s.key }
    if ('code' in r) {
      const kind = KIND_OF_CODE[r.code] ?? 'unreadable-object'
      failures.push({
        kind,
        ...where,
        ...reported({
          code: r.code,
          message: `${s.session}/${f.path}: ${kind === 'missing-object' ? `its object ${f.object} is missing from the store` : r.message}`,
        }),
      })
    } else if (r.size !== f.size) {
      failures.push({
        kind: 'hash-mismatch',
        ...where,
        code: 'E_VERIFY_MISMATCH',
        message: `${s.session}/${f.path}: the store holds ${r.size} bytes for it, the index says ${f.size}`,
      })
    } else if (r.blake3 !== f.blake3) {
      failures.push({
        kind: 'hash-mismatch',
        ...where,
        code: 'E_VERIFY_MISMATCH',
        message: `${s.session}/${f.path}: its object decrypts to other bytes (BLAKE3 ${r.blake3}, index says ${f.blake3}); objects were swapped or replaced`,
      })
    } else bytes += r.size
    onProgress?.({
      phase: 'read-back',
      files: checked,
      filesTotal: work.length,
      bytes,
      bytesTotal,
      currentFile: `${s.session}/${f.path}`,
      destination: store.location,
    })
  }
  const status = failures.length === 0 ? 'completed' : 'failed'
  const report: RestoreTestReport = {
    status,
    full,
    testedAt,
    snapshots: snapshotsTested,
    checked,
    bytes,
    failures,
  }
  if (guard.stopped) throw guard.stopError({ ...report, status: 'aborted' })
  if (options.record !== false) {
    onProgress?.({
      phase: 'records',
      files: checked,
      filesTotal: work.length,
      bytes,
      bytesTotal,
      destination: store.location,
    })
    report.record = await store.publishRestoreTest({
      format: 'shutterproof-restore-test/1',
      testedAt,
      status,
      full,
      sessions: chosen.map((s) => ({
        session: s.session,
        snapshot: s.key,
        checked: work.filter((w) => w.s === s).length,
        failures: failures.filter((x) => x.session === s.session).length,
      })),
      unreadableSnapshots: unreadable.map((u) => u.key),
    })
  }
  onProgress?.({
    phase: 'records',
    files: checked,
    filesTotal: work.length,
    bytes,
    bytesTotal,
    destination: store.location,
  })
  return report
}
