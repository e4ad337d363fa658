/**
 * Putting a finished temporary file under its final name without ever replacing a file.
 * @internal
 * @module
 */
import { link, lstat, rename, unlink } from 'node:fs/promises'

import { FileSystemError } from '../errors'
import { toFsError } from '../fs/errors'

/** Codes with which `link` says the file system has no hard links. */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EMLINK', 'ENOSYS', 'EINVAL'])

/** Whether anything (a file, folder or dangling link) has this name. */
export async function nameTaken(path: string): Promise<boolean> {
  try {
    await lstat(path)
    return true
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return false
    throw toFsError(err, path, 'check')
  }
}

/**
 * Gives `temp` the name `final`, refusing with `E_EXISTS` when `final` exists. A hard link
 * makes the check atomic (it fails on an existing name); where the file system has no
 * hard links, a rename follows a check.
 *
 * @example
 * ```ts
 * await placeNoOverwrite('.shoot.sealed.1234.partial', 'shoot.sealed', 'choose another name')
 * ```
 */
export async function placeNoOverwrite(temp: string, final: string, fix: string): Promise<void> {
  const exists = () =>
    new FileSystemError('E_EXISTS', `${final} already exists and is never overwritten; ${fix}`, {
      path: final,
    })
  try {
    await link(temp, final)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? ''
    if (code === 'EEXIST') throw exists()
    if (!NO_HARD_LINKS.has(code)) throw toFsError(err, final, 'write')
    if (await nameTaken(final)) throw exists()
    await rename(temp, final).catch((e: unknown) => {
      throw toFsError(e, final, 'write')
    })
    return
  }
  // The final name is complete now; a temporary name that cannot be removed is left to the
  // caller's clean-up rather than failing a finished job.
  await unlink(temp).catch(() => undefined)
}
