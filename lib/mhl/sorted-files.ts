/**
 * A generation's files in the order a manifest lists them (by path), from any iterable,
 * without holding them in the JS heap: each file is checked as it comes and put in a
 * temporary on-disk table (lib/spill.ts), then read back sorted, a page at a time. A
 * generation of 20,000 files costs the memory of a few hundred. Files a caller can read
 * again, already in path order, need no table at all ({@link sortedFilesOf}).
 * @internal
 * @module
 */
import { InvalidArgumentError } from '../errors'
import { SpillTable } from '../spill/table'
import { checkFile } from './manifest'
import type { MhlAction, MhlFileInput, MhlHashes } from './types'

/** A file as the table keeps it (its path is the key). */
interface Row {
  size: number
  lastModified: number
  hashes: MhlHashes
  action: MhlAction
}

/** Checked files, sorted by path; close when written. */
export interface SortedFiles extends Iterable<MhlFileInput> {
  /** How many files. */
  readonly count: number
  close(): void
}

/**
 * Reads `files` once, checking each (as {@link checkFiles} does, a path given twice
 * included) before anything is written; throws `E_INVALID_ARGUMENT` for the first bad one.
 */
export function sortedFiles(files: Iterable<MhlFileInput>): SortedFiles {
  if (files === null || typeof files !== 'object' || !(Symbol.iterator in files))
    throw new InvalidArgumentError('files must be an array')
  const table = new SpillTable()
  try {
    for (const file of files) {
      checkFile(file)
      if (table.has(file.path)) throw new InvalidArgumentError(`${file.path} is listed twice`)
      const row: Row = {
        size: file.size,
        lastModified: file.lastModified.getTime(),
        hashes: file.hashes,
        action: file.action,
      }
      table.set(file.path, JSON.stringify(row))
    }
  } catch (err) {
    table.close()
    throw err
  }
  return {
    count: table.size,
    *[Symbol.iterator]() {
      for (const [path, text] of table.entries()) {
        const row = JSON.parse(text) as Row
        yield {
          path,
          size: row.size,
          lastModified: new Date(row.lastModified),
          hashes: row.hashes,
          action: row.action,
        }
      }
    },
    close: () => table.close(),
  }
}

/**
 * {@link sortedFiles} of files that `read` gives again, the same files in the same order,
 * each time it is called (e.g. from a table already in memory or on disk). The first read
 * checks every file; when they came in path order, as a card walk and our tables list
 * them, the second read goes to the writer as it comes, with no table: an ingest of 2,000
 * files spent ~50 ms of its ~1.1 s putting its already sorted files into the table and
 * reading them back (issue #18). Files out of order are read again into the table, from
 * the start (the first read stops at the first such file).
 */
export function sortedFilesOf(read: () => Iterable<MhlFileInput>): SortedFiles {
  let count = 0
  let previous: string | undefined
  for (const file of read()) {
    checkFile(file)
    if (previous !== undefined && !(previous < file.path)) {
      if (previous === file.path) throw new InvalidArgumentError(`${file.path} is listed twice`)
      return sortedFiles(read())
    }
    previous = file.path
    count++
  }
  return {
    count,
    *[Symbol.iterator]() {
      yield* inOrderAgain(read(), count)
    },
    close: () => {},
  }
}

/**
 * The second read of {@link sortedFilesOf}, refused when it is not what the first read
 * checked (fewer or more files, or out of order): a caller's bug, never the user's input.
 */
function* inOrderAgain(files: Iterable<MhlFileInput>, count: number): Generator<MhlFileInput> {
  let n = 0
  let previous: string | undefined
  for (const file of files) {
    if (previous !== undefined && !(previous < file.path))
      throw new Error(`${file.path} came out of order on the second read of a generation's files`)
    previous = file.path
    if (++n > count) break
    yield file
  }
  if (n !== count)
    throw new Error(`a generation's files were ${count} on the first read and ${n} on the second`)
}
