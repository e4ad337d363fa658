/**
 * Planning an ingest: walking the card. Nothing is followed out of the card: every entry
 * is `lstat`ed, symbolic links are recorded as skipped (never followed, never copied),
 * and so are sockets, FIFOs and devices. The card's relative tree (`DCIM/100CANON/…`) is
 * kept as is, byte for byte (names are not normalised: the card's names are the truth).
 * @module
 */
import { lstat, readdir, readlink, realpath } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'

import { fromNative, InvalidArgumentError } from '../errors'

/** A file of the card that will be copied. */
export interface PlannedFile {
  /** Absolute path on the card. */
  source: string
  /** Path relative to the card root, `/`-separated (`DCIM/100CANON/IMG_0001.CR3`). */
  path: string
  size: number
  mtimeMs: number
}

/** Why an entry of the card is not copied. */
export type SkipReason = 'symlink' | 'special-file' | 'system-folder' | 'shutterproof-data'

/** An entry of the card that is not copied, and why. */
export interface SkippedEntry {
  path: string
  reason: SkipReason
  /** For a symbolic link: where it points (not followed). */
  target?: string
}

/** The card as walked. */
export interface CardPlan {
  /** The card root, resolved (real path). */
  root: string
  files: PlannedFile[]
  skipped: SkippedEntry[]
  /** Sum of the file sizes. */
  bytes: number
}

/**
 * Folders operating systems leave on cards: not photographs, never copied, never
 * counted by safe-to-format.
 */
export const SYSTEM_FOLDERS: ReadonlySet<string> = new Set([
  '.Spotlight-V100',
  '.Trashes',
  '.fseventsd',
  '.TemporaryItems',
  'System Volume Information',
  '$RECYCLE.BIN',
])

/** Our own bookkeeping folder in a session root (never copied from a source). */
export const DATA_FOLDER = '.shutterproof'

/**
 * Walks `source` without following symbolic links and lists what an ingest copies, in
 * a stable (sorted) order.
 *
 * @example
 * ```ts
 * const plan = await planCard('/media/EOS_DIGITAL')
 * console.log(plan.files.length, plan.bytes, plan.skipped)
 * ```
 * @throws {@link FileSystemError} `ENOENT` when the card is not there
 */
export async function planCard(source: string): Promise<CardPlan> {
  if (typeof source !== 'string' || source === '')
    throw new InvalidArgumentError('source must be the card folder')
  let root: string
  try {
    root = await realpath(source)
    if (!(await lstat(root)).isDirectory()) {
      throw new InvalidArgumentError(`${source}: is not a folder; give the card's mount point or folder`)
    }
  } catch (err) {
    throw fromNative(err instanceof InvalidArgumentError ? err : nodeError(err, source), source)
  }
  const files: PlannedFile[] = []
  const skipped: SkippedEntry[] = []
  const pending = [root]
  while (pending.length > 0) {
    const dir = pending.pop()!
    let names: string[]
    try {
      names = (await readdir(dir)).sort()
    } catch (err) {
      throw fromNative(nodeError(err, dir), dir)
    }
    for (const name of names) {
      const abs = join(dir, name)
      const rel = relative(root, abs).split(sep).join('/')
      const st = await lstat(abs).catch((err: unknown) => {
        throw fromNative(nodeError(err, abs), abs)
      })
      if (st.isSymbolicLink()) {
        skipped.push({ path: rel, reason: 'symlink', target: await readlink(abs).catch(() => '?') })
      } else if (st.isDirectory()) {
        if (dir === root && SYSTEM_FOLDERS.has(name)) skipped.push({ path: rel, reason: 'system-folder' })
        else if (name === DATA_FOLDER || (dir === root && name === 'ascmhl'))
          skipped.push({ path: rel, reason: 'shutterproof-data' })
        else pending.push(abs)
      } else if (st.isFile()) {
        files.push({ source: abs, path: rel, size: st.size, mtimeMs: st.mtimeMs })
      } else {
        skipped.push({ path: rel, reason: 'special-file' })
      }
    }
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  skipped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  return { root, files, skipped, bytes: files.reduce((n, f) => n + f.size, 0) }
}

/** Node fs errors → the `CODE: message` shape `fromNative` reads. @internal */
export function nodeError(err: unknown, path: string, role: 'card' | 'destination' = 'card'): unknown {
  const e = err as NodeJS.ErrnoException
  switch (e?.code) {
    case 'ENOENT':
      return {
        message: `ENOENT: ${path}: no such file or folder; check the path (${role === 'card' ? 'is the card mounted?' : 'is the destination drive connected and mounted?'})`,
      }
    case 'EACCES':
    case 'EPERM':
      return { message: `EACCES: ${path}: permission denied; check the permissions or run as the owner` }
    case 'ENOTDIR':
      return { message: `E_INVALID_ARGUMENT: ${path}: is not a folder` }
    case 'ENOSPC':
      return {
        message: `E_NO_SPACE: ${path}: no space left on the device; free space or choose another destination`,
      }
    case 'EROFS':
      return { message: `E_READ_ONLY: ${path}: the file system is read-only; choose a writable destination` }
    case 'EIO':
      return {
        message: `E_IO: ${path}: input/output error; the drive failed or was removed, check its cable and health`,
      }
    default:
      return { message: `E_IO: ${path}: ${e?.message ?? String(err)}` }
  }
}
