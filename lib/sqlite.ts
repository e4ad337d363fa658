/**
 * One small synchronous SQLite interface over two drivers: Node's built-in `node:sqlite`
 * (Node 22.13+, nothing to install or compile) and, on Node 20, `better-sqlite3` (an
 * optional peer dependency that compiles from source where no prebuilt binary can be
 * fetched). Both read and write the same database files, so upgrading Node keeps the
 * catalog and share registry. Every SQLite user in the library goes through here.
 * @internal
 * @module
 */
import { DependencyError } from './errors'

/** A value SQLite stores. */
export type SqlValue = null | number | bigint | string | Buffer | Uint8Array

/** What `run` reports. */
export interface RunResult {
  changes: number
  lastInsertRowid: number | bigint
}

/** A prepared statement; rows come back as plain objects, BLOBs as `Buffer`s. */
export interface Statement {
  run(...params: SqlValue[]): RunResult
  get(...params: SqlValue[]): unknown
  all(...params: SqlValue[]): unknown[]
}

/** A function run inside BEGIN … COMMIT (ROLLBACK when it throws); `.immediate` begins with BEGIN IMMEDIATE. */
export type Transaction<A extends unknown[], R> = ((...args: A) => R) & { immediate: (...args: A) => R }

/** The subset of better-sqlite3's `Database` the library uses, on either driver. */
export interface Database {
  /** `node:sqlite` or `better-sqlite3`. */
  readonly driver: Driver
  /** False once {@link Database.close} ran. */
  readonly open: boolean
  exec(sql: string): void
  prepare(sql: string): Statement
  /** Runs `PRAGMA <source>`; with `simple`, returns the first column of the first row. */
  pragma(source: string, options?: { simple?: boolean }): unknown
  transaction<A extends unknown[], R>(fn: (...args: A) => R): Transaction<A, R>
  close(): void
}

export type Driver = 'node:sqlite' | 'better-sqlite3'

/** Opens (creating when missing, unless `readonly`) the database file `path`, or `:memory:`. */
export function openDatabase(path: string, options: { readonly?: boolean } = {}): Database {
  const readonly = options.readonly ?? false
  const builtin = nodeSqlite()
  if (builtin) return new NodeSqliteDatabase(new builtin.DatabaseSync(path, { readOnly: readonly }))
  return new BetterSqliteDatabase(betterSqlite3(path, readonly))
}

/** Which driver {@link openDatabase} uses on this Node. */
export function sqliteDriver(): Driver {
  return nodeSqlite() ? 'node:sqlite' : 'better-sqlite3'
}

/** The part of `node:sqlite` used here (the project's @types/node is Node 20's, which has none). */
interface NodeSqliteModule {
  DatabaseSync: new (path: string, options: { readOnly: boolean }) => DatabaseSync
}
interface DatabaseSync {
  exec(sql: string): void
  prepare(sql: string): {
    run(...params: SqlValue[]): { changes: number | bigint; lastInsertRowid: number | bigint }
    get(...params: SqlValue[]): unknown
    all(...params: SqlValue[]): unknown[]
  }
  close(): void
}
let builtin: NodeSqliteModule | null | undefined

/**
 * `node:sqlite` where Node has it without a flag (22.13+). `SHUTTERPROOF_SQLITE=better-sqlite3`
 * forces the fallback.
 */
function nodeSqlite(): NodeSqliteModule | undefined {
  if (process.env.SHUTTERPROOF_SQLITE === 'better-sqlite3') return undefined
  if (builtin === undefined) builtin = loadBuiltin() ?? null
  return builtin ?? undefined
}

function loadBuiltin(): NodeSqliteModule | undefined {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
  if (major < 22 || (major === 22 && minor < 13)) return undefined
  // Node 22 prints "ExperimentalWarning: SQLite is an experimental feature" on first load
  // (Node 24 does not): a CLI should not show it for a module it uses by design, so that
  // one warning, and only while loading, is not passed on.
  const emitWarning = process.emitWarning
  process.emitWarning = function (this: unknown, warning: string | Error, ...rest: unknown[]) {
    const text = typeof warning === 'string' ? warning : warning.message
    if (/^SQLite is an experimental feature/.test(text)) return
    return (emitWarning as (...a: unknown[]) => void).call(process, warning, ...rest)
  } as typeof process.emitWarning
  try {
    return process.getBuiltinModule('node:sqlite') as NodeSqliteModule | undefined
  } finally {
    process.emitWarning = emitWarning
  }
}

function betterSqlite3(path: string, readonly: boolean): import('better-sqlite3').Database {
  let Ctor: typeof import('better-sqlite3')
  try {
    Ctor = require('better-sqlite3') as typeof import('better-sqlite3')
  } catch (err) {
    throw new DependencyError(
      'E_SQLITE_UNAVAILABLE',
      `Opening ${path} needs SQLite: Node ${process.versions.node} has no usable built-in node:sqlite, and better-sqlite3 ` +
        `did not load (${String((err as Error).message).split('\n')[0]}). Use Node 22.13 or later (node:sqlite is built in), or install the fallback ` +
        `next to shutterproof: \`npm install better-sqlite3@12\` (it compiles from source when no prebuilt binary can be fetched).`,
      { dependency: 'better-sqlite3', path, cause: err },
    )
  }
  return new Ctor(path, { readonly })
}

/**
 * BEGIN/COMMIT around `fn` (ROLLBACK when it throws), a SAVEPOINT when already inside one,
 * as better-sqlite3 does. The depth is counted here: node:sqlite before 22.16 cannot say
 * whether a transaction is open.
 */
function transactional<A extends unknown[], R>(
  exec: (sql: string) => void,
  depth: { n: number },
  fn: (...args: A) => R,
): Transaction<A, R> {
  const wrap =
    (begin: string) =>
    (...args: A): R => {
      const nested = depth.n > 0
      exec(nested ? 'SAVEPOINT sp_tx' : begin)
      depth.n++
      let result: R
      try {
        result = fn(...args)
      } catch (err) {
        depth.n--
        exec(nested ? 'ROLLBACK TO sp_tx; RELEASE sp_tx' : 'ROLLBACK')
        throw err
      }
      depth.n--
      try {
        exec(nested ? 'RELEASE sp_tx' : 'COMMIT')
      } catch (err) {
        if (!nested) exec('ROLLBACK') // a failed COMMIT (e.g. SQLITE_BUSY) leaves the transaction open
        throw err
      }
      return result
    }
  return Object.assign(wrap('BEGIN'), { immediate: wrap('BEGIN IMMEDIATE') })
}

class NodeSqliteDatabase implements Database {
  readonly driver = 'node:sqlite'
  readonly #db: DatabaseSync
  readonly #depth = { n: 0 }
  #open = true

  get open(): boolean {
    return this.#open
  }

  constructor(db: DatabaseSync) {
    this.#db = db
  }

  exec(sql: string): void {
    this.#db.exec(sql)
  }

  prepare(sql: string): Statement {
    const st = this.#db.prepare(sql)
    return {
      run: (...params) => {
        const r = st.run(...params)
        return { changes: Number(r.changes), lastInsertRowid: r.lastInsertRowid }
      },
      get: (...params) => plainRow(st.get(...params)),
      all: (...params) => st.all(...params).map(plainRow),
    }
  }

  pragma(source: string, options: { simple?: boolean } = {}): unknown {
    const rows = this.prepare(`PRAGMA ${source}`).all() as Record<string, unknown>[]
    return options.simple ? (rows[0] === undefined ? undefined : Object.values(rows[0])[0]) : rows
  }

  transaction<A extends unknown[], R>(fn: (...args: A) => R): Transaction<A, R> {
    return transactional((sql) => this.#db.exec(sql), this.#depth, fn)
  }

  close(): void {
    this.#db.close()
    this.#open = false
  }
}

/** node:sqlite returns null-prototype rows and Uint8Array BLOBs; callers expect plain objects and Buffers. */
function plainRow(row: unknown): unknown {
  if (row === undefined || row === null) return undefined
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(row))
    out[k] = v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v
  return out
}

class BetterSqliteDatabase implements Database {
  readonly driver = 'better-sqlite3'
  readonly #db: import('better-sqlite3').Database
  readonly #depth = { n: 0 }

  constructor(db: import('better-sqlite3').Database) {
    this.#db = db
  }

  get open(): boolean {
    return this.#db.open
  }

  exec(sql: string): void {
    this.#db.exec(sql)
  }

  prepare(sql: string): Statement {
    return this.#db.prepare(sql) as unknown as Statement
  }

  pragma(source: string, options: { simple?: boolean } = {}): unknown {
    return this.#db.pragma(source, { simple: options.simple ?? false })
  }

  transaction<A extends unknown[], R>(fn: (...args: A) => R): Transaction<A, R> {
    return transactional((sql) => this.#db.exec(sql), this.#depth, fn)
  }

  close(): void {
    this.#db.close()
  }
}
