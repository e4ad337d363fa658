/**
 * Appends a generation to an ASC MHL history: a new manifest in `ascmhl/` and its C4 ID
 * in `ascmhl/ascmhl_chain.xml`, each written to a temporary name, fsynced and renamed.
 * @module
 */
import { createHash } from 'node:crypto'
import { access, mkdir, rm, stat, unlink } from 'node:fs/promises'
import { hostname } from 'node:os'
import { basename, join, resolve } from 'node:path'

import { InvalidArgumentError } from '../errors'
import { c4FromSha512Hex } from './c4'
import { CHAIN_FILE, renderChain, type ChainEntry } from './chain'
import { publish, tempNameFor, writeChunksSynced, writeFileDurably, type Chunks } from '../fs/durable'
import { toFsError } from '../fs/errors'
import { readPieces } from '../fs/read-pieces'
import { checkFiles, renderManifestLines } from './manifest'
import { ASCMHL_FOLDER, generationOfFileName, scanHistory } from './read'
import { sortedFiles, sortedFilesOf, type SortedFiles } from './sorted-files'
import type { MhlCreator, MhlFileInput, MhlProcess } from './types'
import { checkXmlText } from './xml'

/**
 * Ignore patterns every Shutterproof manifest carries (gitignore syntax, as the reference
 * tool reads them): the reference tool's defaults and Shutterproof's own report folder.
 */
export const DEFAULT_MHL_IGNORE: readonly string[] = ['.DS_Store', 'ascmhl', 'ascmhl/', '.shutterproof/']

/** Options of {@link writeGeneration}. */
export interface WriteGenerationOptions {
  /** `transfer` for an ingest copy, `in-place` for a check where the files are. */
  process: MhlProcess
  /**
   * The files of this generation (usually all files under the root), in any order. An
   * array is checked and sorted in memory; any other iterable (a generator) is read once,
   * each file checked and set aside on disk to be written in order, so that a generation
   * of any size is never whole in memory.
   */
  files: readonly MhlFileInput[] | Iterable<MhlFileInput>
  /** Who writes it; `hostName` defaults to `os.hostname()`. */
  creator: MhlCreator
  /** Default: now. Names the manifest and dates its hashes (to the second, UTC). */
  creationDate?: Date
  /**
   * More ignore patterns (gitignore syntax). They add to {@link DEFAULT_MHL_IGNORE} and to
   * the patterns of the previous generation, so a pattern never silently disappears.
   */
  ignore?: readonly string[]
}

/** What {@link writeGeneration} wrote. */
export interface WrittenGeneration {
  /** Sequence number of the new generation (the last one + 1). */
  generation: number
  /** Absolute path of the new manifest. */
  manifestPath: string
  /** C4 ID of the new manifest, as recorded in the chain file. */
  c4: string
}

const PROCESSES: readonly MhlProcess[] = ['in-place', 'transfer', 'flatten']
const locks = new Map<string, Promise<unknown>>()

/** Runs `work` after any other write to the same root in this process. */
async function serialized<T>(root: string, work: () => Promise<T>): Promise<T> {
  const previous = locks.get(root) ?? Promise.resolve()
  const run = previous.catch(() => {}).then(work)
  locks.set(root, run)
  try {
    return await run
  } finally {
    if (locks.get(root) === run) locks.delete(root)
  }
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0')
}

/** `0003_A002R2EC_2024-05-01_101500Z.mhl` (UTC date and time of creation). */
function manifestName(generation: number, rootName: string, date: Date): string {
  const d = date.toISOString()
  return `${pad(generation, 4)}_${rootName}_${d.slice(0, 10)}_${d.slice(11, 13)}${d.slice(14, 16)}${d.slice(17, 19)}Z.mhl`
}

function checkOptions(options: Omit<WriteGenerationOptions, 'files'>): void {
  if (!options || typeof options !== 'object') throw new InvalidArgumentError('writeGeneration needs options')
  if (!PROCESSES.includes(options.process))
    throw new InvalidArgumentError(`process must be one of ${PROCESSES.join(', ')}`)
  const { creator } = options
  if (!creator || typeof creator.tool !== 'string' || creator.tool.trim() === '')
    throw new InvalidArgumentError('creator.tool must name the tool')
  for (const [what, v] of Object.entries({
    tool: creator.tool,
    version: creator.version,
    hostName: creator.hostName,
    location: creator.location,
    comment: creator.comment,
  })) {
    if (v !== undefined) {
      if (typeof v !== 'string') throw new InvalidArgumentError(`creator.${what} must be a string`)
      checkXmlText(v, `creator.${what}`)
    }
  }
  const authors =
    creator.author === undefined
      ? []
      : typeof creator.author === 'string'
        ? [{ name: creator.author }]
        : Array.isArray(creator.author)
          ? creator.author
          : [creator.author]
  for (const a of authors) {
    if (!a || typeof a.name !== 'string') throw new InvalidArgumentError('each creator.author needs a name')
    for (const v of [a.name, a.email, a.phone, a.role]) if (v !== undefined) checkXmlText(v, 'creator.author')
    if (a.email !== undefined && !/^[^@]+@[^.]+\..+$/.test(a.email))
      throw new InvalidArgumentError(
        `creator.author.email ${JSON.stringify(a.email)} is not an e-mail address`,
      )
  }
  const date = options.creationDate
  if (date !== undefined && (!(date instanceof Date) || Number.isNaN(date.getTime())))
    throw new InvalidArgumentError('creationDate must be a valid Date')
  if (options.ignore !== undefined) {
    if (!Array.isArray(options.ignore)) throw new InvalidArgumentError('ignore must be an array of patterns')
    for (const p of options.ignore) {
      if (typeof p !== 'string' || p.trim() === '')
        throw new InvalidArgumentError('each ignore pattern must be a non-empty string')
      checkXmlText(p, 'ignore pattern')
    }
  }
}

/**
 * Appends one generation to the ASC MHL history under `root` (creating `ascmhl/` for
 * the first): writes the manifest to a temporary name, fsyncs and renames it, then
 * rewrites `ascmhl_chain.xml` the same way with the new manifest's C4 ID. If the chain
 * cannot be updated, the new manifest is removed again. An existing history is read
 * first and must be intact (every chained manifest present with its C4 ID).
 *
 * Manifests list files only: no directory hashes (optional in ASC MHL), so
 * `ascmhl-debug verify -dh` has nothing to compare. Paths are written as given; give
 * the names as they are on disk (the reference tool compares bytes, without Unicode
 * normalization).
 *
 * @example
 * ```ts
 * import { hashFile, writeGeneration } from 'shutterproof'
 * const { xxh128 } = await hashFile('/Volumes/SSD1/A002R2EC/Clips/A002C006.mov', { algorithms: ['xxh128'] })
 * const { generation, manifestPath, c4 } = await writeGeneration('/Volumes/SSD1/A002R2EC', {
 *   process: 'transfer',
 *   creator: { tool: 'shutterproof', version: '0.1.0', author: { name: 'Ana', role: 'DIT' } },
 *   files: [{ path: 'Clips/A002C006.mov', size: 5, lastModified: new Date(), hashes: { xxh128 }, action: 'original' }],
 * })
 * ```
 * @throws {@link InvalidArgumentError} `E_INVALID_ARGUMENT` for a bad path, hash, date or option
 * @throws {@link MhlError} `E_MHL_INVALID`, `E_MHL_CHAIN_MISMATCH`, `E_MHL_MANIFEST_MISSING` when the existing history is damaged
 * @throws {@link FileSystemError} `ENOENT` (no such root), `EACCES`, `E_NO_SPACE`, `E_READ_ONLY`, `E_IO`
 */
export async function writeGeneration(
  root: string,
  options: WriteGenerationOptions,
): Promise<WrittenGeneration> {
  checkRootAndOptions(root, options)
  const files = Array.isArray(options.files)
    ? checkFiles(options.files)
    : sortedFiles(options.files as Iterable<MhlFileInput>)
  return writeSorted(root, options, files)
}

/**
 * {@link writeGeneration} of the files `read` gives, the same files each time it is
 * called: it is called twice (see {@link sortedFilesOf}), so that files
 * already in path order are written without a table. Nothing is written, and undefined
 * returned, when `read` gives no file and `unlessEmpty` is set.
 * @internal
 */
export async function writeGenerationOf(
  root: string,
  options: Omit<WriteGenerationOptions, 'files'>,
  read: () => Iterable<MhlFileInput>,
  unlessEmpty = false,
): Promise<WrittenGeneration | undefined> {
  checkRootAndOptions(root, options)
  const files = sortedFilesOf(read)
  if (unlessEmpty && files.count === 0) {
    files.close()
    return undefined
  }
  return writeSorted(root, options, files)
}

function checkRootAndOptions(root: string, options: Omit<WriteGenerationOptions, 'files'>): void {
  if (typeof root !== 'string' || root === '')
    throw new InvalidArgumentError('writeGeneration needs the root folder')
  checkOptions(options)
}

/** Writes files checked and in path order; a {@link SortedFiles} is closed when done. */
async function writeSorted(
  root: string,
  options: Omit<WriteGenerationOptions, 'files'>,
  files: MhlFileInput[] | SortedFiles,
): Promise<WrittenGeneration> {
  try {
    return await writeChecked(root, options, files)
  } finally {
    if (!Array.isArray(files)) files.close()
  }
}

/** {@link writeGeneration} once its options and files are checked (`files` sorted by path). */
async function writeChecked(
  root: string,
  options: Omit<WriteGenerationOptions, 'files'>,
  files: Iterable<MhlFileInput>,
): Promise<WrittenGeneration> {
  const absRoot = resolve(root)
  try {
    if (!(await stat(absRoot)).isDirectory())
      throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' })
  } catch (err) {
    throw toFsError(err, absRoot, 'use the history root')
  }
  const rootName = basename(absRoot)
  checkXmlText(rootName, 'root folder name')
  const creationDate = options.creationDate ?? new Date()
  const creator = { ...options.creator, hostName: options.creator.hostName ?? hostname() }

  return serialized(absRoot, async () => {
    const dir = join(absRoot, ASCMHL_FOLDER)
    // Checked whole, kept small: the chain, and the newest generation's number and ignore list.
    let latest: { generation: number; ignore: string[] } | undefined
    const history = await scanHistory(
      absRoot,
      {},
      (g) => {
        latest = { generation: g.generation, ignore: g.ignore }
      },
      () => {},
    ).catch((err) => {
      if (err?.code === 'E_MHL_NO_HISTORY') return undefined
      throw err
    })
    const chain = history?.chainEntries ?? []
    const last = Math.max(0, latest?.generation ?? 0, ...chain.map((e) => e.generation))
    const previousIgnore = latest?.ignore ?? []
    const generation = last + 1
    const ignore = [...new Set([...DEFAULT_MHL_IGNORE, ...previousIgnore, ...(options.ignore ?? [])])]
    const name = manifestName(generation, rootName, creationDate)
    if (generationOfFileName(name) !== generation)
      throw new InvalidArgumentError(
        `Root folder name ${JSON.stringify(rootName)} gives an unusable manifest name`,
      )
    const lines = renderManifestLines({ process: options.process, files, creator, creationDate, ignore })
    // Without an expected C4 ID, never undefined.
    return (await publishGeneration(dir, name, chain, generation, lines))!
  })
}

/**
 * Writes a manifest named `name` in the history folder `dir` from `chunks` (temp, fsync,
 * rename; hashed on the way: the C4 ID is a SHA-512 of the bytes), then the chain with
 * its C4 ID; if the chain cannot be updated, the manifest is removed again. With
 * `expectedC4`, a manifest whose bytes have another C4 ID is never published: undefined.
 */
async function publishGeneration(
  dir: string,
  name: string,
  chain: ChainEntry[],
  generation: number,
  chunks: Chunks,
  expectedC4?: string,
): Promise<WrittenGeneration | undefined> {
  try {
    await mkdir(dir, { recursive: true })
  } catch (err) {
    throw toFsError(err, dir, 'create')
  }
  const manifestPath = join(dir, name)
  if (
    await access(manifestPath).then(
      () => true,
      () => false,
    )
  ) {
    throw toFsError(Object.assign(new Error('file exists'), { code: 'EEXIST' }), manifestPath, 'create')
  }
  const sha = createHash('sha512')
  const temp = tempNameFor(manifestPath)
  await writeChunksSynced(temp, chunks, (b) => sha.update(b)).catch((err: unknown) => {
    throw toFsError(err, manifestPath, 'write')
  })
  const c4 = c4FromSha512Hex(sha.digest('hex'))
  if (expectedC4 !== undefined && c4 !== expectedC4) {
    await rm(temp, { force: true })
    return undefined
  }
  await publish(temp, manifestPath).catch((err: unknown) => {
    throw toFsError(err, manifestPath, 'write')
  })

  const chainPath = join(dir, CHAIN_FILE)
  try {
    const chainBytes = Buffer.from(renderChain([...chain, { generation, path: name, c4 }]), 'utf8')
    await writeFileDurably(chainPath, chainBytes).catch((err: unknown) => {
      throw toFsError(err, chainPath, 'write')
    })
  } catch (err) {
    await unlink(manifestPath).catch(() => {})
    throw err
  }
  return { generation, manifestPath, c4 }
}

/**
 * Gives `root` the first generation `written` is (under another root), byte for byte:
 * the same manifest name, text and C4 ID. An ingest to several destinations that hold
 * the same files gives each the same first generation; rendering it once spares the
 * others its checks and its text (issue #18: ~50 ms a destination at 2,000 files, ~0.25 s
 * at 20,000). The caller vouches that `root`'s generation would list the same files with
 * the same actions, creator and options. Undefined, with nothing written, when it cannot
 * be copied: `root` already has a history (or a damaged one), `written` is not a first
 * generation or was written under a root of another name, or its manifest's bytes no
 * longer have its C4 ID.
 * @internal
 */
export async function copyFirstGeneration(
  root: string,
  written: WrittenGeneration,
): Promise<WrittenGeneration | undefined> {
  const absRoot = resolve(root)
  const name = basename(written.manifestPath)
  if (
    written.generation !== 1 ||
    generationOfFileName(name) !== 1 ||
    !name.startsWith(`${pad(1, 4)}_${basename(absRoot)}_`)
  )
    return undefined
  return serialized(absRoot, async () => {
    const first = await scanHistory(
      absRoot,
      {},
      () => {},
      () => {},
    ).then(
      () => false,
      (err: unknown) => (err as { code?: string })?.code === 'E_MHL_NO_HISTORY',
    )
    if (!first) return undefined
    const dir = join(absRoot, ASCMHL_FOLDER)
    return publishGeneration(dir, name, [], 1, readPieces(written.manifestPath), written.c4)
  })
}
