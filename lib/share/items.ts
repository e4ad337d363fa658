/**
 * What a share may hold: relative paths inside its session folder, each a preview or a
 * full-resolution file. Paths are checked here by their letters (no `..`, no absolute
 * paths, no NUL, no backslashes); the handler checks again on the disk with realpath.
 * @module
 */
import { InvalidArgumentError } from '../errors'

/** Whether a share, or one of its items, is a preview or the full-resolution file. */
export type ShareScope = 'preview' | 'full'

/** One file of a share. */
export interface ShareItem {
  /** Relative path inside the session folder, `/`-separated, exactly as recorded. */
  path: string
  kind: ShareScope
}

/** An item as {@link ShareRegistry.createShare} takes it: a path (kind = the share's scope) or `{ path, kind }`. */
export type ShareItemInput = string | ShareItem

/** Whether `scope` is a share scope. */
export function isScope(scope: unknown): scope is ShareScope {
  return scope === 'preview' || scope === 'full'
}

/**
 * Checks a relative item path and returns it unchanged, or throws naming the problem.
 *
 * @example
 * ```ts
 * checkItemPath('selects/IMG_0001.jpg')  // ok
 * checkItemPath('../other/IMG_0001.jpg') // throws E_INVALID_ARGUMENT
 * ```
 */
export function checkItemPath(path: unknown): string {
  if (typeof path !== 'string' || path.length === 0)
    throw new InvalidArgumentError('A share item must be a non-empty relative path')
  const problem = path.includes('\0')
    ? 'contains a NUL byte'
    : path.includes('\\')
      ? 'contains a backslash; use / between folders'
      : path.startsWith('/')
        ? 'is absolute; give it relative to the session folder'
        : path.split('/').some((s) => s === '' || s === '.' || s === '..')
          ? 'has an empty, "." or ".." segment; give the plain path inside the session folder'
          : undefined
  if (problem) throw new InvalidArgumentError(`Share item ${JSON.stringify(path)} ${problem}`)
  return path
}

/** Checks every item of a new share against its scope. */
export function normalizeItems(items: readonly ShareItemInput[], scope: ShareScope): ShareItem[] {
  if (!Array.isArray(items) || items.length === 0)
    throw new InvalidArgumentError('A share needs at least one item')
  const seen = new Set<string>()
  return items.map((input) => {
    const item =
      typeof input === 'string' ? { path: input, kind: scope } : { path: input?.path, kind: input?.kind }
    const path = checkItemPath(item.path)
    if (!isScope(item.kind))
      throw new InvalidArgumentError(
        `Share item ${JSON.stringify(path)} has kind ${JSON.stringify(item.kind)}; use 'preview' or 'full'`,
      )
    if (scope === 'preview' && item.kind === 'full') {
      throw new InvalidArgumentError(
        `Share item ${JSON.stringify(path)} is full resolution but the share's scope is 'preview'; use scope 'full' or share its preview`,
      )
    }
    if (seen.has(path)) throw new InvalidArgumentError(`Share item ${JSON.stringify(path)} is listed twice`)
    seen.add(path)
    return { path, kind: item.kind }
  })
}
