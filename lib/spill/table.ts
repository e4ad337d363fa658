/**
 * A table of text values keyed by path that keeps memory flat in the file count: per-file
 * state that grows with a card (the newest record entry of every path, the paths an ASC
 * MHL history lists, a generation's files waiting to be written in order) stays in a `Map`
 * while it is small, and moves to a temporary SQLite database on disk with a small page
 * cache once its text passes {@link IN_MEMORY_CHARS}. Small cards pay no database (opening
 * one, and a native call per row, cost more than the rows themselves: issue #18, a
 * 2,000-file ingest spent ~0.1 s of its ~1.3 s in these tables); large ones hold at most
 * that much text in the heap. The database is a file in a private temporary folder
 * (./folder.ts), removed by {@link SpillTable.close} and, at the latest, when the process
 * exits (or by the next run, if this one is killed).
 *
 * Where SQLite is not available (Node 20 without the optional better-sqlite3), the table
 * stays a `Map`: everything works, with memory growing with the file count.
 *
 * Rows come back sorted by path in JavaScript's string order (UTF-16 code units), the
 * order `Array.prototype.sort` gives: on disk, the key is the path in UTF-16 big-endian,
 * whose byte order SQLite compares.
 * @internal
 * @module
 */
import { join } from 'node:path'

import { openDatabase, type Database, type Statement } from '../sqlite'
import { openSpillFolder, removeSpillFolder } from './folder'

/**
 * Characters of paths and values (each row counted {@link ROW_CHARS} more) a table keeps
 * in memory before it moves to disk: about 1 MiB, which holds the state of a card of a
 * couple of thousand files.
 */
export const IN_MEMORY_CHARS = 1024 * 1024

/**
 * What a row costs beyond its text, in characters: the `Map`'s entry, and the rest of the
 * text a path may keep alive (a path cut from a parsed manifest is a slice of its piece).
 * Without it a table of 20,000 short paths never moved, and kept every piece of two
 * histories alive (+12 MiB at the peak of a 20,000-file ingest).
 */
const ROW_CHARS = 100

/** Page cache per table, in KiB: the B-tree's inner pages and a run of leaves (rows are read and written mostly in path order); flat in the row count. */
const CACHE_KIB = 256
/** Rows per read of {@link SpillTable.entries}. */
const PAGE = 500

/** A path as a key whose byte order is JavaScript's string order. */
function keyOf(path: string): Buffer {
  return Buffer.from(path, 'utf16le').swap16()
}

function pathOf(key: Buffer): string {
  return Buffer.from(key).swap16().toString('utf16le')
}

/** The operations every table offers, on either store. */
interface Store {
  get(path: string): string | undefined
  set(path: string, value: string): void
  /** Starts a transaction: the writes until {@link Store.commit} stay, or none of them after {@link Store.rollback}. */
  begin(): void
  commit(): void
  rollback(): void
  /** Rows sorted by path, from the first path after `after` (from the first row without it). */
  entries(after?: string): Generator<[string, string]>
  readonly size: number
  close(): void
}

/** A path → text table in a temporary SQLite database. */
class SqliteStore implements Store {
  readonly #dir: string
  readonly #db: Database
  readonly #get: Statement
  readonly #set: Statement
  readonly #page: Statement
  readonly #first: Statement
  readonly #count: Statement

  constructor() {
    this.#dir = openSpillFolder('spill')
    try {
      this.#db = openDatabase(join(this.#dir, 'spill.db'))
      // Scratch data: losing it in a crash loses nothing, so no fsync and no WAL.
      this.#db
        .exec(`PRAGMA cache_size = -${CACHE_KIB}; PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE;
        PRAGMA temp_store = FILE; CREATE TABLE t (k BLOB PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID;
        BEGIN`)
    } catch (err) {
      this.#remove()
      throw err
    }
    this.#get = this.#db.prepare('SELECT v FROM t WHERE k = ?')
    this.#set = this.#db.prepare('INSERT OR REPLACE INTO t (k, v) VALUES (?, ?)')
    this.#first = this.#db.prepare(`SELECT k, v FROM t ORDER BY k LIMIT ${PAGE}`)
    this.#page = this.#db.prepare(`SELECT k, v FROM t WHERE k > ? ORDER BY k LIMIT ${PAGE}`)
    this.#count = this.#db.prepare('SELECT count(*) AS n FROM t')
  }

  get(path: string): string | undefined {
    return (this.#get.get(keyOf(path)) as { v: string } | undefined)?.v
  }

  set(path: string, value: string): void {
    this.#set.run(keyOf(path), value)
  }

  // One transaction from open to close (never committed: the file is removed), so that
  // writes cost no commit each; the atomic parts are savepoints within it.
  begin(): void {
    this.#db.exec('SAVEPOINT part')
  }

  commit(): void {
    this.#db.exec('RELEASE part')
  }

  rollback(): void {
    this.#db.exec('ROLLBACK TO part; RELEASE part')
  }

  *entries(after?: string): Generator<[string, string]> {
    let rows = (after === undefined ? this.#first.all() : this.#page.all(keyOf(after))) as Array<{
      k: Buffer
      v: string
    }>
    while (rows.length > 0) {
      for (const r of rows) yield [pathOf(r.k), r.v]
      if (rows.length < PAGE) return
      rows = this.#page.all(rows[rows.length - 1]!.k) as Array<{ k: Buffer; v: string }>
    }
  }

  get size(): number {
    return (this.#count.get() as { n: number }).n
  }

  close(): void {
    if (this.#db.open) this.#db.close()
    this.#remove()
  }

  #remove(): void {
    removeSpillFolder(this.#dir)
  }
}

/** The same table in a `Map`: while it is small, and where SQLite cannot be loaded. */
class MapStore implements Store {
  #map = new Map<string, string>()
  /** Characters of the paths and values held. */
  chars = 0

  get(path: string): string | undefined {
    return this.#map.get(path)
  }

  set(path: string, value: string): void {
    const prev = this.#map.get(path)
    this.#map.set(path, value)
    this.chars += prev === undefined ? ROW_CHARS + path.length + value.length : value.length - prev.length
  }

  #before: Map<string, string> | undefined
  #charsBefore = 0

  /** The rows as they were when the open part began (undefined outside a part), then the rows now. */
  get parts(): { before: ReadonlyMap<string, string> | undefined; now: ReadonlyMap<string, string> } {
    return { before: this.#before, now: this.#map }
  }

  begin(): void {
    this.#before = new Map(this.#map)
    this.#charsBefore = this.chars
  }

  commit(): void {
    this.#before = undefined
  }

  rollback(): void {
    if (this.#before) {
      this.#map = this.#before
      this.chars = this.#charsBefore
    }
    this.#before = undefined
  }

  *entries(after?: string): Generator<[string, string]> {
    for (const k of [...this.#map.keys()].sort())
      if (after === undefined || k > after) yield [k, this.#map.get(k)!]
  }

  get size(): number {
    return this.#map.size
  }

  close(): void {
    this.#map.clear()
  }
}

let sqliteWorks: boolean | undefined

/** A new on-disk store, or undefined where there can be none (the `Map` then does the same job in the heap). */
function newDiskStore(): SqliteStore | undefined {
  if (sqliteWorks === false) return undefined
  try {
    const s = new SqliteStore()
    sqliteWorks = true
    return s
  } catch (err) {
    // No driver (E_SQLITE_UNAVAILABLE; not tried again), or no writable temporary folder.
    if ((err as { code?: string }).code === 'E_SQLITE_UNAVAILABLE') sqliteWorks = false
    return undefined
  }
}

/**
 * The rows of `map` in a new on-disk store, an open part carried over (its rows at the
 * part's start committed, the rest inside the part); undefined when there can be no disk store.
 */
function moveToDisk(map: MapStore): SqliteStore | undefined {
  const disk = newDiskStore()
  if (!disk) return undefined
  const { before, now } = map.parts
  try {
    for (const [k, v] of before ?? now) disk.set(k, v)
    if (before) {
      disk.begin()
      for (const [k, v] of now) if (before.get(k) !== v) disk.set(k, v)
    }
  } catch (err) {
    disk.close()
    throw err
  }
  map.close()
  return disk
}

/**
 * A temporary path → text table: on disk (SQLite) where it can be, else in memory. Close
 * it when done; a table left open is removed when the process exits.
 */
export class SpillTable {
  #store: Store = new MapStore()
  /** Characters the `Map` may hold before the table moves to disk; Infinity once it has moved or cannot. */
  #inMemoryChars: number
  #closed = false

  /** `inMemoryChars`: for tests, the text kept in memory before the table moves to disk (0: on disk from the first row). */
  constructor(options: { inMemoryChars?: number } = {}) {
    this.#inMemoryChars = options.inMemoryChars ?? IN_MEMORY_CHARS
  }

  /** The value stored for `path`. */
  get(path: string): string | undefined {
    return this.#closed ? undefined : this.#store.get(path)
  }

  has(path: string): boolean {
    return this.get(path) !== undefined
  }

  /** Stores `value` for `path`, replacing any. */
  set(path: string, value: string): void {
    if (this.#closed) throw new Error('SpillTable: closed')
    this.#store.set(path, value)
    const store = this.#store
    if (store instanceof MapStore && store.chars > this.#inMemoryChars) {
      this.#store = moveToDisk(store) ?? store
      this.#inMemoryChars = Infinity
    }
  }

  /** Whether the rows are in the on-disk database (for tests). */
  get onDisk(): boolean {
    return this.#store instanceof SqliteStore
  }

  /**
   * Runs `work` (which may wait; nothing else writes to this table meanwhile): when it
   * rejects, none of its writes stay, and the rejection is passed on.
   */
  async atomically<T>(work: () => Promise<T>): Promise<T> {
    this.#store.begin()
    let out: T
    try {
      out = await work()
    } catch (err) {
      this.#store.rollback()
      throw err
    }
    this.#store.commit()
    return out
  }

  /**
   * Every row, sorted by path (JavaScript's string order), read a page at a time. Rows may
   * be set meanwhile (a caller recording each row's outcome as it goes): when that moves
   * the table to disk, the rows after the last one given come from there.
   */
  *entries(): Generator<[string, string]> {
    let after: string | undefined
    for (;;) {
      const store = this.#store
      for (const row of store.entries(after)) {
        if (this.#closed) return
        yield row
        after = row[0]
        if (this.#store !== store) break
      }
      if (this.#closed || this.#store === store) return
    }
  }

  /** Rows stored. */
  get size(): number {
    return this.#closed ? 0 : this.#store.size
  }

  /** Removes the table and its file. Idempotent. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#store.close()
  }
}
