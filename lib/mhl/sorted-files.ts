/**
 * A generation's files in the order a manifest lists them (by path), from any iterable,
 * without holding them in the JS heap: each file is checked as it comes and put in a
 * temporary on-disk table (lib/spill.ts), then read back sorted, a page at a time. A
 * generation of 20,000 files costs the memory of a few hundred.
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
