/**
 * Before a link is made, its files must be there: the session folder exists, and every
 * item is a regular file inside it (after symlinks). A link to nothing would only ever
 * answer 404, and the photographer would learn it from the client.
 * @module
 */
import { realpathSync, statSync } from 'node:fs'
import { join } from 'node:path'

import { FileSystemError, InvalidArgumentError } from '../errors'
import type { ShareItem } from './items'
import { isInside } from './resolve'

/**
 * Throws naming the first missing or unusable file; returns nothing when all are there.
 *
 * @example
 * ```ts
 * checkSessionFiles('/photos/2026-04-26_Smith', [{ path: 'previews/a.jpg', kind: 'preview' }])
 * ```
 */
export function checkSessionFiles(session: string, items: readonly ShareItem[]): void {
  const sessionReal = real(
    session,
    `The session folder ${session} does not exist; give the folder the files are in`,
  )
  if (!statSync(sessionReal).isDirectory())
    throw new InvalidArgumentError(`${session} is not a folder; give the session folder the files are in`)
  for (const item of items) {
    const file = join(session, item.path)
    const fileReal = real(
      file,
      `${file} does not exist; share only files that are there (check the name, or copy the file into the session first)`,
    )
    if (!isInside(sessionReal, fileReal) || fileReal === sessionReal) {
      throw new InvalidArgumentError(
        `${file} leads outside the session folder ${session} (a symbolic link?); only files of that session can be shared`,
      )
    }
    if (!statSync(fileReal).isFile())
      throw new InvalidArgumentError(`${file} is not a regular file; share files, not folders or devices`)
  }
}

function real(path: string, missing: string): string {
  try {
    return realpathSync(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new FileSystemError('ENOENT', missing, { path })
    if (code === 'EACCES')
      throw new FileSystemError(
        'EACCES',
        `${path} cannot be read (permission denied); let this user read it`,
        { path },
      )
    throw err
  }
}
