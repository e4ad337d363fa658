/**
 * Opening a shared file safely: the recorded relative path is resolved with realpath and
 * must stay inside the session folder, which must itself be inside the handler's root
 * (no `..`, no symlink leading out). The file is opened with `O_NOFOLLOW | O_NONBLOCK`
 * (a FIFO or device put where a file was must never block a thread of the libuv pool)
 * and checked with `fstat` to be a regular file; reads then go through that descriptor.
 * @module
 */
import { constants } from 'node:fs'
import { open, realpath, type FileHandle } from 'node:fs/promises'
import { isAbsolute, join, relative, resolve, sep } from 'node:path'

import { checkItemPath } from './items'

/** Whether `child` is `parent` itself or inside it (both real, absolute paths). */
export function isInside(parent: string, child: string): boolean {
  const rel = relative(parent, child)
  return rel === '' || (!rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel))
}

/**
 * The real path of `session` when it is inside `rootReal` (both after symlinks), else
 * `undefined`: a session outside the root is never served, nor named.
 */
export async function sessionWithin(rootReal: string, session: string): Promise<string | undefined> {
  try {
    const sessionReal = await realpath(resolve(rootReal, session))
    return isInside(rootReal, sessionReal) ? sessionReal : undefined
  } catch {
    return undefined
  }
}

/** An opened shared file. */
export interface OpenedItem {
  handle: FileHandle
  size: number
  mtime: Date
}

/**
 * Opens `itemPath` of the session `session` under `rootReal`, or returns `undefined` when
 * it does not exist, is not a regular file, or would leave the session or root folder.
 *
 * @example
 * ```ts
 * const opened = await openItem(await realpath(root), share.session, item.path)
 * ```
 */
export async function openItem(
  rootReal: string,
  session: string,
  itemPath: string,
): Promise<OpenedItem | undefined> {
  try {
    checkItemPath(itemPath)
    const sessionReal = await sessionWithin(rootReal, session)
    if (sessionReal === undefined) return undefined
    const fileReal = await realpath(join(sessionReal, itemPath))
    if (!isInside(sessionReal, fileReal) || fileReal === sessionReal) return undefined
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, forever.
    const handle = await open(fileReal, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
    try {
      const st = await handle.stat()
      if (!st.isFile()) {
        await handle.close()
        return undefined
      }
      return { handle, size: st.size, mtime: st.mtime }
    } catch (err) {
      await handle.close()
      throw err
    }
  } catch {
    return undefined
  }
}
