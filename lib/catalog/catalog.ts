/**
 * The SQLite catalog (node:sqlite or better-sqlite3, see lib/sqlite.ts; WAL): destinations, sessions, copies with their last
 * verification, backups and restore tests, for quick 3-2-1 answers. It is an index only:
 * {@link Catalog.rebuild} reconstructs it from the reports at folder destinations and
 * from the stores' sealed indexes.
 * @module
 */

import { readdir } from 'node:fs/promises'
import { join } from 'node:path'

import { asyncOpen } from '../deprecate'
import { InvalidArgumentError, SchemaVersionError, ShutterproofError } from '../errors'
import { toFsError } from '../fs/errors'
import { openDatabaseFile, sqliteError } from '../fs/sqlite'
import type { Database } from '../sqlite'
import type { Store } from '../backup/store'
import { isDiskVerified, latestEvidence, readRecords } from '../ingest/records'

export type MediaKind = 'ssd' | 'hdd' | 'nas' | 'optical' | 'cloud'
export type Location = 'onsite' | 'offsite'

/** A place holding copies: a folder of session folders, or a backup store. */
export type DestinationSpec = { label: string; kind: MediaKind; location: Location } & (
  { root: string } | { store: Store }
)

/** The 3-2-1 answer for one session. */
export interface SessionStatus {
  session: string
  copies: number
  kinds: MediaKind[]
  offsite: boolean
  /** Oldest of the copies' last verifications (ISO), undefined if a copy was never verified. */
  lastVerified?: string
  /** Newest restore test of an off-site copy. */
  lastRestoreTest?: { at: string; status: string }
  meets321: boolean
  reasons: string[]
  /**
   * Where the complete copies are, so that it is plain which ones are off-site; for a
   * backup store, when its last full restore test passed.
   */
  places: Array<{ label: string; kind: MediaKind; location: Location; lastFullTestPassed?: string }>
}

/** A backup store of the catalog and its restore tests. */
export interface StoreStatus {
  label: string
  kind: MediaKind
  location: Location
  /** The store's location (folder or `s3://…`). */
  store: string
  /** When the last full restore test (every file of every session) passed. */
  lastFullTestPassed?: string
  /** The newest restore test of any kind. */
  lastTest?: { at: string; status: string; full: boolean }
}

const MIGRATIONS = [
  `CREATE TABLE destinations (id INTEGER PRIMARY KEY, label TEXT UNIQUE NOT NULL, kind TEXT NOT NULL, location TEXT NOT NULL, root TEXT);
   CREATE TABLE sessions (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL);
   CREATE TABLE copies (session_id INTEGER NOT NULL REFERENCES sessions(id), destination_id INTEGER NOT NULL REFERENCES destinations(id),
     files INTEGER NOT NULL, complete INTEGER NOT NULL, last_verified_at TEXT, last_verify_result TEXT, PRIMARY KEY (session_id, destination_id));
   CREATE TABLE backups (id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL, destination_id INTEGER NOT NULL, snapshot TEXT NOT NULL, created_at TEXT NOT NULL, files INTEGER NOT NULL, UNIQUE (destination_id, snapshot));
   CREATE TABLE restore_tests (id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL, destination_id INTEGER NOT NULL, tested_at TEXT NOT NULL, status TEXT NOT NULL, UNIQUE (session_id, destination_id, tested_at));`,
  // Restore tests of whole stores: full (every file) or sampled.
  `CREATE TABLE store_tests (id INTEGER PRIMARY KEY, destination_id INTEGER NOT NULL REFERENCES destinations(id), tested_at TEXT NOT NULL, status TEXT NOT NULL, full INTEGER NOT NULL, UNIQUE (destination_id, tested_at));`,
]

const DAY = 24 * 60 * 60 * 1000

/** Options of {@link openCatalog}. */
export interface OpenCatalogOptions {
  /** The places copies live in: folders of session folders, and backup stores. */
  destinations?: DestinationSpec[]
  /** The clock ages are measured against (default: the system's). */
  now?: () => Date
  /** Create the file when it does not exist (default true); false rejects with `ENOENT`. */
  create?: boolean
}

/**
 * Opens (creating and migrating) the catalog at `file`. Async, like every open of the
 * library: `await` it. A file that cannot be opened rejects with a typed error naming it
 * (`EISDIR`, `ENOENT`, `EACCES`, `E_FORMAT` for a file that is not a database,
 * `E_SCHEMA_TOO_NEW`).
 *
 * Until 0.3 the promise also gives direct access to the catalog, so code written when
 * this function was synchronous keeps working (with a deprecation warning).
 *
 * @example
 * ```ts
 * await using catalog = await openCatalog('catalog.db', { destinations: [
 *   { label: 'SSD1', kind: 'ssd', location: 'onsite', root: '/Volumes/SSD1' },
 *   { label: 'HDD', kind: 'hdd', location: 'onsite', root: '/Volumes/HDD' },
 *   { label: 'Offsite', kind: 'hdd', location: 'offsite', store } ] })
 * await catalog.rebuild()
 * console.table(catalog.status())
 * ```
 */
export function openCatalog(file: string, options: OpenCatalogOptions = {}): Promise<Catalog> & Catalog {
  return asyncOpen(
    () =>
      new Catalog(
        file,
        options.destinations ?? [],
        options.now ?? (() => new Date()),
        options.create !== false,
      ),
    'SP_DEP_SYNC_CATALOG',
    'Using openCatalog(…) without await is deprecated: write `await openCatalog(…)`',
  )
}

export class Catalog {
  readonly #db: Database
  readonly #destinations: DestinationSpec[]

  /** @internal */
  constructor(
    file: string,
    destinations: DestinationSpec[],
    /** The clock the ages in {@link Catalog.status} are measured against. */
    readonly now: () => Date,
    create = true,
  ) {
    if (typeof file !== 'string' || file === '')
      throw new InvalidArgumentError('openCatalog needs the path of the catalog file')
    const roots = new Map<string, string>()
    for (const d of destinations) {
      const root = 'root' in d ? d.root : d.store.location
      const other = roots.get(root)
      // One place named twice would count as two copies.
      if (other !== undefined)
        throw new InvalidArgumentError(
          `destinations ${other} and ${d.label} are the same place (${root}); list it once`,
        )
      roots.set(root, d.label)
    }
    this.#db = openDatabaseFile(file, 'catalog', { fileMustExist: !create })
    try {
      this.#db.pragma('journal_mode = WAL')
      this.#db.pragma('foreign_keys = ON')
      const version = this.#db.pragma('user_version', { simple: true }) as number
      if (version > MIGRATIONS.length)
        throw new SchemaVersionError(
          `${file} was written by a newer Shutterproof (catalog schema ${version}); upgrade Shutterproof to read it`,
          { path: file },
        )
      for (let v = version; v < MIGRATIONS.length; v++) {
        this.#db.transaction(() => {
          this.#db.exec(MIGRATIONS[v]!)
          this.#db.pragma(`user_version = ${v + 1}`)
        })()
      }
      this.#destinations = destinations
      for (const d of destinations) this.#upsertDestination(d)
    } catch (err) {
      this.#db.close()
      throw err instanceof ShutterproofError ? err : sqliteError(err, file, 'catalog')
    }
  }

  #upsertDestination(d: DestinationSpec): number {
    if (
      !['ssd', 'hdd', 'nas', 'optical', 'cloud'].includes(d.kind) ||
      !['onsite', 'offsite'].includes(d.location)
    ) {
      throw new InvalidArgumentError(
        `destination ${d.label}: kind must be ssd|hdd|nas|optical|cloud and location onsite|offsite`,
      )
    }
    const root = 'root' in d ? d.root : d.store.location
    // A place relabelled since the last run is still one place: its old label goes.
    for (const old of this.#db
      .prepare('SELECT id FROM destinations WHERE root = ? AND label <> ?')
      .all(root, d.label) as Array<{ id: number }>) {
      for (const table of ['copies', 'backups', 'restore_tests', 'store_tests'])
        this.#db.prepare(`DELETE FROM ${table} WHERE destination_id = ?`).run(old.id)
      this.#db.prepare('DELETE FROM destinations WHERE id = ?').run(old.id)
    }
    this.#db
      .prepare(
        'INSERT INTO destinations (label, kind, location, root) VALUES (?, ?, ?, ?) ON CONFLICT(label) DO UPDATE SET kind = excluded.kind, location = excluded.location, root = excluded.root',
      )
      .run(d.label, d.kind, d.location, root)
    return (this.#db.prepare('SELECT id FROM destinations WHERE label = ?').get(d.label) as { id: number }).id
  }

  #session(name: string): number {
    this.#db.prepare('INSERT OR IGNORE INTO sessions (name) VALUES (?)').run(name)
    return (this.#db.prepare('SELECT id FROM sessions WHERE name = ?').get(name) as { id: number }).id
  }

  /** Records (or refreshes) what one folder destination holds of one session, from its ingest/verify reports. */
  async recordFolderSession(label: string, sessionRoot: string, sessionName: string): Promise<void> {
    const dest = this.#destinationId(label)
    const { records } = await readRecords(sessionRoot)
    if (records.length === 0) return
    const evidence = latestEvidence(records)
    const files = [...evidence.values()]
    const complete = files.length > 0 && files.every((f) => isDiskVerified(f))
    const last = files.map((f) => f.checkedAt).sort()[0]
    this.#db
      .prepare('INSERT OR REPLACE INTO copies VALUES (?, ?, ?, ?, ?, ?)')
      .run(
        this.#session(sessionName),
        dest,
        files.length,
        complete ? 1 : 0,
        last ?? null,
        complete ? 'verified' : 'incomplete',
      )
  }

  /** Records a store's snapshots (each a backup, verified when written) and restore tests. */
  async recordStore(label: string, store: Store): Promise<void> {
    const dest = this.#destinationId(label)
    const { snapshots } = await store.snapshots()
    for (const s of snapshots) {
      const sid = this.#session(s.session)
      this.#db
        .prepare(
          'INSERT OR IGNORE INTO backups (session_id, destination_id, snapshot, created_at, files) VALUES (?, ?, ?, ?, ?)',
        )
        .run(sid, dest, s.key, s.createdAt, s.files.length)
      // A snapshot with no files is no copy (an empty folder was backed up).
      this.#db
        .prepare('INSERT OR REPLACE INTO copies VALUES (?, ?, ?, ?, ?, ?)')
        .run(
          sid,
          dest,
          s.files.length,
          s.files.length > 0 ? 1 : 0,
          s.createdAt,
          s.files.length > 0 ? 'verified' : 'empty',
        )
    }
    for (const t of await store.restoreTests()) {
      this.#db
        .prepare(
          'INSERT OR IGNORE INTO store_tests (destination_id, tested_at, status, full) VALUES (?, ?, ?, ?)',
        )
        .run(dest, t.testedAt, t.status, t.full ? 1 : 0)
      for (const s of t.sessions) {
        const sid = this.#session(s.session)
        const status = s.failures === 0 && t.unreadableSnapshots.length === 0 ? 'completed' : 'failed'
        this.#db
          .prepare(
            'INSERT OR IGNORE INTO restore_tests (session_id, destination_id, tested_at, status) VALUES (?, ?, ?, ?)',
          )
          .run(sid, dest, t.testedAt, status)
        if (status === 'completed')
          this.#db
            .prepare(
              'UPDATE copies SET last_verified_at = max(coalesce(last_verified_at, ?), ?) WHERE session_id = ? AND destination_id = ?',
            )
            .run(t.testedAt, t.testedAt, sid, dest)
      }
    }
  }

  #destinationId(label: string): number {
    const row = this.#db.prepare('SELECT id FROM destinations WHERE label = ?').get(label) as
      { id: number } | undefined
    if (!row) throw new InvalidArgumentError(`no destination labelled ${label} in the catalog; add it first`)
    return row.id
  }

  /** Empties the catalog and reads everything again from the destinations given at open. */
  async rebuild(): Promise<void> {
    this.#db.exec(
      'DELETE FROM store_tests; DELETE FROM restore_tests; DELETE FROM backups; DELETE FROM copies; DELETE FROM sessions;',
    )
    for (const d of this.#destinations) {
      if ('store' in d) await this.recordStore(d.label, d.store)
      else {
        const entries = await readdir(d.root, { withFileTypes: true }).catch((err: unknown) => {
          throw toFsError(err, d.root, `read the destination ${d.label}`)
        })
        for (const name of entries
          .filter((e) => e.isDirectory())
          .map((e) => e.name)
          .sort()) {
          await this.recordFolderSession(d.label, join(d.root, name), name)
        }
      }
    }
  }

  /** The 3-2-1 status of every session (or one). */
  status(session?: string): SessionStatus[] {
    const fullTests = new Map(
      (
        this.#db
          .prepare(
            "SELECT destination_id AS dest, max(tested_at) AS at FROM store_tests WHERE full = 1 AND status = 'completed' GROUP BY destination_id",
          )
          .all() as Array<{ dest: number; at: string }>
      ).map((r) => [r.dest, r.at]),
    )
    const sessions = (
      this.#db.prepare('SELECT id, name FROM sessions ORDER BY name').all() as Array<{
        id: number
        name: string
      }>
    ).filter((s) => session === undefined || s.name === session)
    return sessions.map(({ id, name }) => {
      const copies = this.#db
        .prepare(
          'SELECT d.label, d.kind, d.location, c.last_verified_at AS at, d.id AS dest FROM copies c JOIN destinations d ON d.id = c.destination_id WHERE c.session_id = ? AND c.complete = 1 ORDER BY d.label',
        )
        .all(id) as Array<{
        label: string
        kind: MediaKind
        location: Location
        at: string | null
        dest: number
      }>
      const kinds = [...new Set(copies.map((c) => c.kind))].sort()
      const offsite = copies.filter((c) => c.location === 'offsite')
      const test = this.#db
        .prepare(
          `SELECT tested_at AS at, status FROM restore_tests WHERE session_id = ? AND destination_id IN (${offsite.map((c) => c.dest).join(',') || 'NULL'}) ORDER BY tested_at DESC LIMIT 1`,
        )
        .get(id) as { at: string; status: string } | undefined
      const times = copies.map((c) => c.at)
      const lastVerified = times.includes(null) ? undefined : (times.sort()[0] ?? undefined)
      const reasons: string[] = []
      if (copies.length < 3) reasons.push(`only ${copies.length} ${copies.length === 1 ? 'copy' : 'copies'}`)
      if (kinds.length < 2) reasons.push('one kind of storage')
      if (offsite.length === 0) reasons.push('no off-site copy')
      else if (!test) reasons.push('off-site copy never restore-tested')
      else if (test.status !== 'completed') reasons.push('last off-site restore test failed')
      if (
        copies.length > 0 &&
        (lastVerified === undefined || this.now().getTime() - Date.parse(lastVerified) > 30 * DAY)
      )
        reasons.push('last verification older than 30 days')
      const places = copies.map((c) => {
        const full = fullTests.get(c.dest)
        return {
          label: c.label,
          kind: c.kind,
          location: c.location,
          ...(full ? { lastFullTestPassed: full } : {}),
        }
      })
      const out: SessionStatus = {
        session: name,
        copies: copies.length,
        kinds,
        offsite: offsite.length > 0,
        meets321: reasons.length === 0,
        reasons,
        places,
      }
      if (lastVerified) out.lastVerified = lastVerified
      if (test) out.lastRestoreTest = { at: test.at, status: test.status }
      return out
    })
  }

  /** Every backup store of the catalog with its last full restore test that passed. */
  stores(): StoreStatus[] {
    const rows = this.#db
      .prepare(
        'SELECT id, label, kind, location, root FROM destinations WHERE id IN (SELECT destination_id FROM backups UNION SELECT destination_id FROM store_tests) ORDER BY label',
      )
      .all() as Array<{
      id: number
      label: string
      kind: MediaKind
      location: Location
      root: string
    }>
    return rows.map((d) => {
      const out: StoreStatus = { label: d.label, kind: d.kind, location: d.location, store: d.root }
      const full = this.#db
        .prepare(
          "SELECT tested_at AS at FROM store_tests WHERE destination_id = ? AND full = 1 AND status = 'completed' ORDER BY tested_at DESC LIMIT 1",
        )
        .get(d.id) as { at: string } | undefined
      if (full) out.lastFullTestPassed = full.at
      const last = this.#db
        .prepare(
          'SELECT tested_at AS at, status, full FROM store_tests WHERE destination_id = ? ORDER BY tested_at DESC LIMIT 1',
        )
        .get(d.id) as { at: string; status: string; full: number } | undefined
      if (last) out.lastTest = { at: last.at, status: last.status, full: last.full === 1 }
      return out
    })
  }

  /** A verdict only (never deletes): originals may go when the session meets 3-2-1. */
  safeToDeleteOriginals(session: string): { safe: boolean; reasons: string[] } {
    const s = this.status(session)[0]
    if (!s) return { safe: false, reasons: [`the catalog knows no session ${session}`] }
    return { safe: s.meets321, reasons: s.reasons }
  }

  /** Closes the database file (again: nothing). */
  close(): void {
    if (this.#db.open) this.#db.close()
  }

  /** `await using catalog = await openCatalog(…)` closes it at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close()
  }

  /** `using catalog = …` closes it at the end of the block. */
  [Symbol.dispose](): void {
    this.close()
  }
}
