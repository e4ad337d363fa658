/**
 * A table of text values keyed by path, kept out of the JS heap: per-file state that
 * grows with a card's file count (the newest record entry of every path, the paths an ASC
 * MHL history lists, a generation's files waiting to be written in order) lives in a
 * temporary SQLite database on disk with a small page cache, so that memory stays flat in
 * the file count. The database is a file in a private temporary folder (./folder.ts),
 * removed by {@link SpillTable.close} and, at the latest, when the process exits (or by
 * the next run, if this one is killed).
 *
 * Where SQLite is not available (Node 20 without the optional better-sqlite3), the table
 * is an ordinary `Map`: everything works, with memory growing with the file count as it
 * did before.
 *
 * Rows come back sorted by path in JavaScript's string order (UTF-16 code units), the
 * order `Array.prototype.sort` gives: the key is the path in UTF-16 big-endian, whose
 * byte order SQLite compares.
 * @internal
 * @module
 */
import { join } from 'node:path'

import { openDatabase, type Database, type Statement } from '../sqlite'
import { openSpillFolder, removeSpillFolder } from './folder'

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
  /** Stores `value` for `path` unless it has one; whether it was stored. */
  insert(path: string, value: string): boolean
  /** Starts a transaction: the writes until {@link Store.commit} stay, or none of them after {@link Store.rollback}. */
  begin(): void
  commit(): void
  rollback(): void
  entries(): Generator<[string, string]>
  readonly size: number
  close(): void
}

/** A path → text table in a temporary SQLite database. */
class SqliteStore implements Store {
  readonly #dir: string
  readonly #db: Database
  readonly #get: Statement
  readonly #set: Statement
  readonly #insert: Statement
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
    this.#insert = this.#db.prepare('INSERT OR IGNORE INTO t (k, v) VALUES (?, ?)')
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

  insert(path: string, value: string): boolean {
    return this.#insert.run(keyOf(path), value).changes === 1
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

  *entries(): Generator<[string, string]> {
    let rows = this.#first.all() as Array<{ k: Buffer; v: string }>
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

/** The same table in a `Map`, where SQLite cannot be loaded. */
class MapStore implements Store {
  #map = new Map<string, string>()

  get(path: string): string | undefined {
    return this.#map.get(path)
  }

  set(path: string, value: string): void {
    this.#map.set(path, value)
  }

  insert(path: string, value: string): boolean {
    if (this.#map.has(path)) return false
    this.#map.set(path, value)
    return true
  }

  #before: Map<string, string> | undefined

  begin(): void {
    this.#before = new Map(this.#map)
  }

  commit(): void {
    this.#before = undefined
  }

  rollback(): void {
    if (this.#before) this.#map = this.#before
    this.#before = undefined
  }

  *entries(): Generator<[string, string]> {
    for (const k of [...this.#map.keys()].sort()) yield [k, this.#map.get(k)!]
  }

  get size(): number {
    return this.#map.size
  }

  close(): void {
    this.#map.clear()
  }
}

let sqliteWorks: boolean | undefined

function newStore(): Store {
  if (sqliteWorks !== false) {
    try {
      const s = new SqliteStore()
      sqliteWorks = true
      return s
    } catch (err) {
      // No driver (E_SQLITE_UNAVAILABLE), or no writable temporary folder: the Map does
      // the same job in the heap (a missing driver is not tried again).
      if ((err as { code?: string }).code === 'E_SQLITE_UNAVAILABLE') sqliteWorks = false
    }
  }
  return new MapStore()
}

/**
 * A temporary path → text table: on disk (SQLite) where it can be, else in memory. Close
 * it when done; a table left open is removed when the process exits.
 */
export class SpillTable {
  readonly #store: Store = newStore()
  #closed = false

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
  }

  /** Stores `value` for `path` unless it has a value already; whether it was stored. */
  insert(path: string, value: string): boolean {
    if (this.#closed) throw new Error('SpillTable: closed')
    return this.#store.insert(path, value)
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

  /** Every row, sorted by path (JavaScript's string order), read a page at a time. */
  *entries(): Generator<[string, string]> {
    if (!this.#closed) yield* this.#store.entries()
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
