/**
 * `restoreTest(store)`: decrypt and re-hash what a store holds, against its index,
 * without writing any plaintext to disk.
 * @module
 */
import { randomInt } from 'node:crypto'

import { CallbackGuard } from '../callbacks'
import { InvalidArgumentError, reported, type ErrorCode, type ShutterproofError } from '../errors'
import type { Progress } from '../progress'
import { checkSealed } from './objects'
import type { SnapshotFile, Store, StoredSnapshot } from './store'

/** Why one file of a snapshot failed its restore test. */
export type RestoreFailureKind = 'missing-object' | 'failed-authentication' | 'hash-mismatch' | 'unreadable-object' | 'unreadable-index'

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
  /** `'all'` (default) or how many files to pick at random across the snapshots tested. */
  sample?: number | 'all'
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

/**
 * Decrypts and re-hashes the objects of the newest snapshot of each session (or one
 * session; all files or a random sample), in Rust, reading each object back from the disk.
 * Says `completed` with counts and bytes, or lists every failure by session and file:
 * missing object, failed authentication, hash mismatch, unreadable index.
 *
 * @example
 * ```ts
 * const r = await restoreTest(store, { session: '2026-04-26_Ada_Wedding', sample: 50 })
 * console.log(r.status, r.checked, r.failures)
 * ```
 */
export async function restoreTest(store: Store, options: RestoreTestOptions = {}): Promise<RestoreTestReport> {
  const sample = options.sample ?? 'all'
  if (sample !== 'all' && (!Number.isSafeInteger(sample) || sample < 1)) throw new InvalidArgumentError(`sample must be 'all' or a whole number ≥ 1, not ${String(sample)}`)
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
  if (options.session !== undefined) {
    chosen = chosen.filter((s) => s.session === options.session)
    if (chosen.length === 0 && unreadable.length === 0) {
      failures.push({ kind: 'unreadable-index', session: options.session, code: 'ENOENT', message: `${store.location} holds no snapshot of session ${options.session}` })
    }
  }
  let work: Array<{ s: StoredSnapshot; f: SnapshotFile }> = chosen.flatMap((s) => s.files.map((f) => ({ s, f })))
  if (sample !== 'all' && sample < work.length) {
    for (let i = 0; i < sample; i++) {
      const j = i + randomInt(work.length - i)
      ;[work[i], work[j]] = [work[j]!, work[i]!]
    }
    work = work.slice(0, sample)
  }
  // Each object is decrypted once, whatever number of files share it.
  const results = new Map<string, Promise<{ blake3: string; size: number } | ShutterproofError>>()
  const check = (object: string) => {
    let p = results.get(object)
    if (!p) {
      p = (async () => {
        const local = await store.backend.localFile(store.objectKey(object))
        try {
          const d = await checkSealed(store.vault, local.path, guard.signal)
          return { blake3: d.blake3, size: d.plaintextSize }
        } catch (err) {
          if (guard.stopped) throw err
          return err as ShutterproofError
        } finally {
          await local.release()
        }
      })()
      results.set(object, p)
    }
    return p
  }
  let checked = 0
  let bytes = 0
  const bytesTotal = work.reduce((n, w) => n + w.f.size, 0)
  const snapshotsTested = chosen.map((s) => ({ key: s.key, session: s.session, createdAt: s.createdAt, files: s.files.length }))
  for (const { s, f } of work) {
    const r = await check(f.object).catch((err: unknown) => {
      throw guard.failure(err, { status: 'aborted', testedAt, snapshots: snapshotsTested, checked, bytes, failures } satisfies RestoreTestReport)
    })
    checked++
    const where = { session: s.session, path: f.path, object: f.object, snapshot: s.key }
    if ('code' in r) {
      const kind = KIND_OF_CODE[r.code] ?? 'unreadable-object'
      failures.push({ kind, ...where, ...reported({ code: r.code, message: `${s.session}/${f.path}: ${kind === 'missing-object' ? `its object ${f.object} is missing from the store` : r.message}` }) })
    } else if (r.size !== f.size) {
      failures.push({ kind: 'hash-mismatch', ...where, code: 'E_VERIFY_MISMATCH', message: `${s.session}/${f.path}: the store holds ${r.size} bytes for it, the index says ${f.size}` })
    } else if (r.blake3 !== f.blake3) {
      failures.push({ kind: 'hash-mismatch', ...where, code: 'E_VERIFY_MISMATCH', message: `${s.session}/${f.path}: its object decrypts to other bytes (BLAKE3 ${r.blake3}, index says ${f.blake3}); objects were swapped or replaced` })
    } else bytes += r.size
    onProgress?.({ phase: 'read-back', files: checked, filesTotal: work.length, bytes, bytesTotal, currentFile: `${s.session}/${f.path}`, destination: store.location })
  }
  const status = failures.length === 0 ? 'completed' : 'failed'
  const report: RestoreTestReport = {
    status,
    testedAt,
    snapshots: snapshotsTested,
    checked,
    bytes,
    failures,
  }
  if (guard.stopped) throw guard.stopError({ ...report, status: 'aborted' })
  if (options.record !== false) {
    onProgress?.({ phase: 'records', files: checked, filesTotal: work.length, bytes, bytesTotal, destination: store.location })
    report.record = await store.publishRestoreTest({
      format: 'shutterproof-restore-test/1',
      testedAt,
      status,
      sessions: chosen.map((s) => ({ session: s.session, snapshot: s.key, checked: work.filter((w) => w.s === s).length, failures: failures.filter((x) => x.session === s.session).length })),
      unreadableSnapshots: unreadable.map((u) => u.key),
    })
  }
  onProgress?.({ phase: 'records', files: checked, filesTotal: work.length, bytes, bytesTotal, destination: store.location })
  return report
}
