/**
 * Names inside a delivery archive: which names are plain relative paths, how they are
 * normalised, which of them collide, and how a name is kept inside its folder.
 * @internal
 * @module
 */
import { realpath } from 'node:fs/promises'
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path'

/** Longest name accepted, in UTF-8 bytes (Linux PATH_MAX). */
export const MAX_NAME_BYTES = 4096
/** Longest single component, in UTF-8 bytes (NAME_MAX on common file systems). */
export const MAX_COMPONENT_BYTES = 255

/** A checked name (`/`-separated, NFC, no `.`/empty components), or why it was refused. */
export type CheckedName = { ok: true; name: string; parts: string[] } | { ok: false; problem: string }

/**
 * Checks an archive entry name. Refused: empty names, absolute paths (`/x`, `C:x`, `\\x`),
 * `..` components, backslashes, control characters, over-long names. `.` and empty
 * components are dropped (`./a//b/` → `a/b`) and the name is NFC-normalised.
 *
 * @example
 * ```ts
 * checkEntryName('shoot/./IMG_0001.CR3')  // { ok: true, name: 'shoot/IMG_0001.CR3', ... }
 * checkEntryName('../.bashrc')             // { ok: false, problem: 'it climbs out with ".."' }
 * ```
 */
export function checkEntryName(raw: unknown): CheckedName {
  if (typeof raw !== 'string' || raw === '') return { ok: false, problem: 'it is empty' }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(raw)) return { ok: false, problem: 'it contains control characters' }
  if (raw.includes('\\'))
    return { ok: false, problem: 'it contains a backslash (a folder separator on Windows)' }
  if (raw.startsWith('/')) return { ok: false, problem: 'it is an absolute path' }
  if (/^[A-Za-z]:/.test(raw)) return { ok: false, problem: 'it starts with a drive letter' }
  const name = raw.normalize('NFC')
  const parts: string[] = []
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') return { ok: false, problem: 'it climbs out with ".."' }
    if (Buffer.byteLength(part) > MAX_COMPONENT_BYTES)
      return { ok: false, problem: `a component is longer than ${MAX_COMPONENT_BYTES} bytes` }
    parts.push(part)
  }
  if (parts.length === 0) return { ok: false, problem: 'it names no file' }
  const joined = parts.join('/')
  if (Buffer.byteLength(joined) > MAX_NAME_BYTES)
    return { ok: false, problem: `it is longer than ${MAX_NAME_BYTES} bytes` }
  return { ok: true, name: joined, parts }
}

/** The key two names collide on: NFC and lower case (macOS and Windows fold case). */
function keyOf(name: string): string {
  return name.normalize('NFC').toLowerCase()
}

/**
 * The file names of one archive: refuses a name used twice (also when only the case
 * differs, which collides on macOS and Windows) and a name that is both a file and a
 * folder (`a` and `a/b`).
 */
export class NameSet {
  readonly #files = new Map<string, string>()
  readonly #folders = new Set<string>()

  /** Adds a checked file name; returns why it collides, or undefined. */
  add(name: string): string | undefined {
    const key = keyOf(name)
    const earlier = this.#files.get(key)
    if (earlier !== undefined)
      return earlier === name ? `"${name}" appears twice` : `"${name}" and "${earlier}" differ only in case`
    if (this.#folders.has(key)) return `"${name}" is also a folder of another entry`
    const parts = key.split('/')
    for (let i = 1; i < parts.length; i++) {
      const folder = parts.slice(0, i).join('/')
      if (this.#files.has(folder)) return `"${name}" lies under "${this.#files.get(folder)}", which is a file`
    }
    for (let i = 1; i < parts.length; i++) this.#folders.add(parts.slice(0, i).join('/'))
    this.#files.set(key, name)
    return undefined
  }
}

/**
 * `root` joined with a checked name, refusing anything that resolves outside `root` (a
 * second line of defence behind {@link checkEntryName}).
 */
export function confinedPath(root: string, name: string): string {
  const target = resolve(root, ...name.split('/'))
  const rel = relative(root, target)
  // `..` as a whole component only: `..foo` is an ordinary name inside the folder.
  if (rel === '' || rel === '..' || rel.startsWith('..' + sep) || isAbsolute(rel))
    throw new Error(`${name} resolves outside ${root}`)
  return target
}

/**
 * Whether `path`'s parent folder, with every symbolic link resolved, lies inside
 * `realRoot` (itself a `realpath`). Guards against a folder that is a link to elsewhere.
 */
export async function parentIsInside(realRoot: string, path: string): Promise<boolean> {
  const parent = await realpath(dirname(path))
  return parent === realRoot || parent.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep)
}
