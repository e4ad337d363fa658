/**
 * Opening a SQLite database file with errors that name it: a folder, a missing parent, a
 * file that is not a database, a permission problem — each a typed Shutterproof error
 * with `path`, never a bare `SqliteError`, `ERR_SQLITE_ERROR` or `EISDIR`, whichever
 * driver lib/sqlite.ts picked (node:sqlite or better-sqlite3).
 * @internal
 * @module
 */
import { statSync } from 'node:fs'
import { dirname } from 'node:path'

import { FileSystemError, IntegrityError, ShutterproofError } from '../errors'
import { openDatabase, type Database } from '../sqlite'
import { toFsError } from './errors'

/** SQLite's primary result codes, by name (better-sqlite3 gives the name, node:sqlite the number). */
const PRIMARY: Record<number, string> = {
  3: 'SQLITE_PERM',
  8: 'SQLITE_READONLY',
  11: 'SQLITE_CORRUPT',
  14: 'SQLITE_CANTOPEN',
  23: 'SQLITE_AUTH',
  26: 'SQLITE_NOTADB',
}

/** The SQLite result code of a driver's error (`SQLITE_NOTADB`…), either driver. */
function sqliteCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; errcode?: unknown }
  // node:sqlite: code ERR_SQLITE_ERROR, errcode the (possibly extended) result code.
  if (typeof e?.errcode === 'number') return PRIMARY[e.errcode & 0xff]
  // better-sqlite3: code the result code's name, extended ones included (SQLITE_CANTOPEN_ISDIR…).
  if (typeof e?.code === 'string' && e.code.startsWith('SQLITE_'))
    return Object.values(PRIMARY).find((c) => e.code === c || (e.code as string).startsWith(`${c}_`))
  return undefined
}

/** The typed error for a failure to open or first read the database at `path`. */
export function sqliteError(err: unknown, path: string, what: string): ShutterproofError {
  if (err instanceof ShutterproofError) return err
  const code = sqliteCode(err)
  const reason = err instanceof Error ? err.message : String(err)
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new IntegrityError(
      'E_FORMAT',
      `${path} is not a readable ${what} (${reason}); give the right file, or move it away to start a new one`,
      { path, cause: err },
    )
  }
  if (code === 'SQLITE_CANTOPEN') {
    return new FileSystemError(
      'ENOENT',
      `${path}: the ${what} cannot be opened there (${reason}); check that its folder exists and is writable, and that the path names a file`,
      { path, cause: err },
    )
  }
  if (code === 'SQLITE_READONLY' || code === 'SQLITE_PERM' || code === 'SQLITE_AUTH') {
    return new FileSystemError(
      'EACCES',
      `${path}: the ${what} cannot be written (${reason}); check its permissions`,
      { path, cause: err },
    )
  }
  return toFsError(err, path, `open the ${what}`)
}

/** Refuses, with a typed error naming it, a path that is a folder or whose folder is missing. */
export function checkDatabasePath(path: string, what: string): void {
  if (path === ':memory:') return
  if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) {
    throw new FileSystemError(
      'EISDIR',
      `${path} is a folder; give the path of the ${what} file (e.g. ${path}/${what.replace(/ /g, '-')}.db)`,
      { path },
    )
  }
  if (!statSync(dirname(path), { throwIfNoEntry: false })?.isDirectory()) {
    throw new FileSystemError(
      'ENOENT',
      `${path}: its folder ${dirname(path)} does not exist; create that folder or give another path for the ${what}`,
      { path },
    )
  }
}

/**
 * Opens (creating it unless `fileMustExist`) the database at `path` through lib/sqlite.ts,
 * and reads its schema version once, so that "not a database" surfaces here, typed, and
 * not at the first query.
 */
export function openDatabaseFile(
  path: string,
  what: string,
  options: { fileMustExist?: boolean } = {},
): Database {
  checkDatabasePath(path, what)
  // node:sqlite has no "must exist" flag: checked here, for both drivers alike.
  if (options.fileMustExist === true && path !== ':memory:' && !statSync(path, { throwIfNoEntry: false })) {
    throw new FileSystemError('ENOENT', `${path}: no ${what} there; give the path of an existing ${what}`, {
      path,
    })
  }
  let db: Database | undefined
  try {
    db = openDatabase(path)
    db.pragma('user_version', { simple: true })
    return db
  } catch (err) {
    db?.close()
    throw sqliteError(err, path, what)
  }
}
