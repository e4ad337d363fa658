/**
 * Opening a SQLite database file with errors that name it: a folder, a missing parent, a
 * file that is not a database, a permission problem — each a typed Shutterproof error
 * with `path`, never a bare `SqliteError` or `EISDIR`.
 * @internal
 * @module
 */
import Database from 'better-sqlite3'
import { statSync } from 'node:fs'
import { dirname } from 'node:path'

import { FileSystemError, IntegrityError, type ShutterproofError } from '../errors'
import { toFsError } from './errors'

/** The typed error for a failure to open or first read the database at `path`. */
export function sqliteError(err: unknown, path: string, what: string): ShutterproofError {
  const code = (err as { code?: unknown })?.code
  const reason = err instanceof Error ? err.message : String(err)
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new IntegrityError('E_FORMAT', `${path} is not a readable ${what} (${reason}); give the right file, or move it away to start a new one`, { path, cause: err })
  }
  if (code === 'SQLITE_CANTOPEN') {
    return new FileSystemError('ENOENT', `${path}: the ${what} cannot be opened there (${reason}); check that its folder exists and is writable, and that the path names a file`, { path, cause: err })
  }
  if (code === 'SQLITE_READONLY' || code === 'SQLITE_PERM' || code === 'SQLITE_AUTH') {
    return new FileSystemError('EACCES', `${path}: the ${what} cannot be written (${reason}); check its permissions`, { path, cause: err })
  }
  return toFsError(err, path, `open the ${what}`)
}

/** Refuses, with a typed error naming it, a path that is a folder or whose folder is missing. */
export function checkDatabasePath(path: string, what: string): void {
  if (path === ':memory:') return
  if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) {
    throw new FileSystemError('EISDIR', `${path} is a folder; give the path of the ${what} file (e.g. ${path}/${what.replace(/ /g, '-')}.db)`, { path })
  }
  if (!statSync(dirname(path), { throwIfNoEntry: false })?.isDirectory()) {
    throw new FileSystemError('ENOENT', `${path}: its folder ${dirname(path)} does not exist; create that folder or give another path for the ${what}`, { path })
  }
}

/**
 * Opens (creating when allowed) the database at `path` and reads its schema version once,
 * so that "not a database" surfaces here, typed, and not at the first query.
 */
export function openDatabase(path: string, what: string, options: { fileMustExist?: boolean } = {}): Database.Database {
  checkDatabasePath(path, what)
  let db: Database.Database | undefined
  try {
    db = new Database(path, { fileMustExist: options.fileMustExist === true })
    db.pragma('user_version', { simple: true })
    return db
  } catch (err) {
    db?.close()
    throw sqliteError(err, path, what)
  }
}
