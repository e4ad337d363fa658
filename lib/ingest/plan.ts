/**
 * Planning an ingest: walking the card. Nothing is followed out of the card: every entry
 * is `lstat`ed, symbolic links are recorded as skipped (never followed, never copied),
 * and so are sockets, FIFOs and devices. The card's relative tree (`DCIM/100CANON/…`) is
 * kept as is, byte for byte (names are not normalised: the card's names are the truth).
 * @module
 */
import { lstat, readdir, readlink, realpath } from 'node:fs/promises'
import { join } from 'node:path'

import { fromNative, InvalidArgumentError } from '../errors'
import { lstatEach } from '../fs/at-once'

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
  const card = await walkCard(source)
  const files: PlannedFile[] = []
  for (let i = 0; i < card.count; i++) {
    const path = card.path(i)
    files.push({ source: card.source(i), path, size: card.size(i), mtimeMs: card.mtimeMs(i) })
  }
  return { root: card.root, files, skipped: card.skipped, bytes: card.bytes }
}

/**
 * The card as an ingest walks it: {@link CardPlan}'s content kept compactly — the paths
 * in one string, sizes and times in typed arrays, ~40 bytes a file instead of two
 * strings and an object (issue #18: a 20,000-file card must not cost its file count).
 * Files are in the order of their paths (code units), as {@link planCard} sorts them.
 */
export class CardFiles {
  /** The card root, resolved (real path). */
  readonly root: string
  readonly skipped: SkippedEntry[] = []
  /** Sum of the file sizes. */
  bytes = 0
  count = 0
  #text = ''
  #pieces: string[] = []
  #ends = new Uint32Array(64)
  #sizes = new Float64Array(64)
  #mtimes = new Float64Array(64)

  constructor(root: string) {
    this.root = root
  }

  /** Relative path of file `i` (`DCIM/100CANON/IMG_0001.CR3`). */
  path(i: number): string {
    this.#seal()
    return this.#text.slice(i === 0 ? 0 : this.#ends[i - 1]!, this.#ends[i]!)
  }

  /** Absolute path of file `i` on the card. */
  source(i: number): string {
    return join(this.root, this.path(i))
  }

  size(i: number): number {
    return this.#sizes[i]!
  }

  mtimeMs(i: number): number {
    return this.#mtimes[i]!
  }

  /** The paths of files `indices`, joined by NUL (which no file name holds), as the copy engine takes them. */
  joinedPaths(indices: Uint32Array): string {
    const pieces: string[] = []
    let out = ''
    for (const i of indices) {
      pieces.push(this.path(i))
      // A thousand at a time: never one string per file held at once.
      if (pieces.length === 1024) out += (out === '' ? '' : '\0') + pieces.splice(0).join('\0')
    }
    if (pieces.length > 0) out += (out === '' ? '' : '\0') + pieces.join('\0')
    return out
  }

  /** Adds the next file (in path order). @internal */
  add(path: string, size: number, mtimeMs: number): void {
    if (this.count === this.#ends.length) this.#grow()
    const start = this.count === 0 ? 0 : this.#ends[this.count - 1]!
    this.#pieces.push(path)
    this.#ends[this.count] = start + path.length
    this.#sizes[this.count] = size
    this.#mtimes[this.count] = mtimeMs
    this.bytes += size
    this.count++
    // Joined a folder's worth at a time: never one string per file kept.
    if (this.#pieces.length >= 1024) this.#seal()
  }

  #seal(): void {
    if (this.#pieces.length === 0) return
    this.#text += this.#pieces.join('')
    this.#pieces = []
  }

  #grow(): void {
    const n = this.#ends.length * 2
    const ends = new Uint32Array(n)
    ends.set(this.#ends)
    this.#ends = ends
    const sizes = new Float64Array(n)
    sizes.set(this.#sizes)
    this.#sizes = sizes
    const mtimes = new Float64Array(n)
    mtimes.set(this.#mtimes)
    this.#mtimes = mtimes
  }
}

/** Walks the card as {@link planCard} does, into a {@link CardFiles}. @internal */
export async function walkCard(source: string): Promise<CardFiles> {
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
  const card = new CardFiles(root)
  await walkFolder(card, root, '')
  card.skipped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  return card
}

/** One entry of a folder, before its place in the walk is known. */
interface Entry {
  name: string
  /** Sort key: the name, with `/` after a folder's, so the walk comes out in full-path order. */
  key: string
  folder: boolean
  size: number
  mtimeMs: number
}

/**
 * Adds the files under `dir` (relative path `prefix`) in the order of their full paths:
 * a folder's entries sorted by name, a folder's name followed by `/` (so `a.b` comes before
 * `a/x`, as the paths compare); only one folder's entries held at a time.
 */
async function walkFolder(card: CardFiles, dir: string, prefix: string): Promise<void> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (err) {
    throw fromNative(nodeError(err, dir), dir)
  }
  const atRoot = prefix === ''
  const entries: Entry[] = []
  for await (const e of lstatEach(dir, names)) {
    if ('error' in e) throw fromNative(nodeError(e.error, e.abs), e.abs)
    const { name, abs, stats: st } = e
    const rel = prefix + name
    if (st.isSymbolicLink()) {
      card.skipped.push({ path: rel, reason: 'symlink', target: await readlink(abs).catch(() => '?') })
    } else if (st.isDirectory()) {
      if (atRoot && SYSTEM_FOLDERS.has(name)) card.skipped.push({ path: rel, reason: 'system-folder' })
      else if (name === DATA_FOLDER || (atRoot && name === 'ascmhl'))
        card.skipped.push({ path: rel, reason: 'shutterproof-data' })
      else entries.push({ name, key: name + '/', folder: true, size: 0, mtimeMs: 0 })
    } else if (st.isFile()) {
      entries.push({ name, key: name, folder: false, size: st.size, mtimeMs: st.mtimeMs })
    } else {
      card.skipped.push({ path: rel, reason: 'special-file' })
    }
  }
  entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  for (const e of entries) {
    if (e.folder) await walkFolder(card, join(dir, e.name), `${prefix}${e.name}/`)
    else card.add(prefix + e.name, e.size, e.mtimeMs)
  }
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
