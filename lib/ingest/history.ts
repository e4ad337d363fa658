/**
 * The one place where ingest and verify talk to the ASC MHL module (`lib/mhl`). Our
 * `.shutterproof/` folder is in the MHL's ignore list (the mhl module's defaults), so the
 * history lists photographs only.
 * @module
 */
import { stat } from 'node:fs/promises'

import { reported, type ReportedError, type ShutterproofError } from '../errors'
import { MHL_HASH_FORMATS, type MhlHashes, type MhlFileEntry, type MhlFileInput } from '../mhl'
import { historyIdentity, readHistoryIdentity, scanHistory } from '../mhl/read'
import { writeGenerationOf } from '../mhl/write'
import { xmlCanHold } from '../mhl/xml'
import { SpillTable } from '../spill/table'
import type { HashResult } from '../hash'
import { DATA_FOLDER } from './plan'
import { TOOL_VERSION } from './records'

/** A file to record in a new generation. */
export interface HistoryFile {
  path: string
  size: number
  mtimeMs: number
  hashes: Omit<HashResult, 'size'>
  action: 'original' | 'verified' | 'failed'
}

/** What was written, or why not. */
export interface HistoryResult {
  manifestPath?: string
  generation?: number
  /** The new manifest's C4 ID, as the chain file records it. */
  c4?: string
  error?: ReportedError
}

function mhlHashes(h: Omit<HashResult, 'size'>): MhlHashes {
  const out: MhlHashes = {}
  for (const f of MHL_HASH_FORMATS) {
    const v = (h as Record<string, string | undefined>)[f]
    if (v !== undefined) out[f] = v
  }
  return out
}

/**
 * Appends a generation (`transfer` for an ingest, `in-place` for a verify) to the ASC MHL
 * history of `root`. Files without an MHL-compatible hash are left out (MHL cannot carry
 * BLAKE3; ingest always computes XXH128 as well). `read` gives the files one at a time,
 * the same files each time it is called: it is called twice, once to check them and once
 * to write them (when they are not in path order, the second read sets them aside on disk
 * to be written in order; see sortedFilesOf). Nothing is written, and the result is
 * empty, when `read` gives no file that can be recorded and `unlessEmpty` is set. Never
 * throws: a history that cannot be written is reported in the result (and in the
 * caller's report).
 */
export async function appendGeneration(
  root: string,
  process: 'transfer' | 'in-place',
  read: () => Iterable<HistoryFile>,
  comment: string,
  unlessEmpty = false,
): Promise<HistoryResult> {
  try {
    await stat(root)
    const g = await writeGenerationOf(
      root,
      {
        process,
        creator: { tool: 'shutterproof', version: TOOL_VERSION, comment },
        ignore: [`${DATA_FOLDER}/`],
      },
      () => mhlInputs(read()),
      unlessEmpty,
    )
    return g ? { manifestPath: g.manifestPath, generation: g.generation, c4: g.c4 } : {}
  } catch (err) {
    const e = err as ShutterproofError
    return { error: reported({ code: e.code ?? 'E_IO', message: e.message ?? String(err) }) }
  }
}

/** The files an MHL generation can carry, as it takes them. */
function* mhlInputs(files: Iterable<HistoryFile>): Generator<MhlFileInput> {
  for (const f of files) {
    const hashes = mhlHashes(f.hashes)
    if (Object.keys(hashes).length === 0) continue
    yield { path: f.path, size: f.size, lastModified: new Date(f.mtimeMs), hashes, action: f.action }
  }
}

/** A file an ingest holds under its final name at one destination, to record in the history. */
export interface IngestedFile {
  path: string
  size: number
  mtimeMs: number
  hashes: Omit<HashResult, 'size'>
  /** Copied (and checked) by this run, rather than found in place from an earlier one. */
  copiedNow: boolean
}

/** What {@link appendIngestGeneration} wrote, and what it could not. */
export interface IngestHistoryResult extends HistoryResult {
  /** Paths left out because ASC MHL (XML 1.0) cannot hold their names. */
  unrepresentable: string[]
}

/**
 * Appends an ingest's `transfer` generation. A file gets `original` when this run copied
 * it, and also when no earlier generation mentions it: a run killed after renaming files
 * into place wrote no generation, so the run that finds them there is the first to record
 * their hash (the reference tool rejects a history whose files lack an `original`).
 * Names XML 1.0 cannot hold (control characters) are left out and reported, never the
 * whole generation; any failure comes back in `error`. `files` gives the files one at a
 * time, the same each time it is called (see {@link appendGeneration}); nothing is
 * written when none of them can be recorded.
 */
export async function appendIngestGeneration(
  root: string,
  files: () => Iterable<IngestedFile>,
  comment: string,
): Promise<IngestHistoryResult> {
  const unrepresentable: string[] = []
  const out: IngestHistoryResult = { unrepresentable }
  // No history yet: every file is new. A damaged one makes writeGeneration fail below, and says why.
  const known = (await historyPaths(root)).files
  try {
    // The names left out are gathered by the first read only (the writer reads more than once).
    let reads = 0
    const read = () => historyFiles(representable(files(), reads++ === 0 ? unrepresentable : []), known)
    Object.assign(out, await appendGeneration(root, 'transfer', read, comment, true))
    // Not read at all when the history could not be written: the names are still reported.
    if (reads === 0) for (const _ of representable(files(), unrepresentable));
  } finally {
    known.close()
  }
  if (unrepresentable.length > 0 && !out.error) {
    out.error = {
      code: 'E_MHL_UNREPRESENTABLE',
      message: `${root}: ASC MHL (XML 1.0) cannot hold the control characters in ${unrepresentable.length === 1 ? 'the name' : `${unrepresentable.length} names`} ${unrepresentable.map((p) => JSON.stringify(p)).join(', ')}; ${unrepresentable.length === 1 ? 'that file is' : 'those files are'} copied and verified but not in the ASC MHL history: rename ${unrepresentable.length === 1 ? 'it' : 'them'} on the card and ingest again`,
    }
  }
  return out
}

/** The files whose names XML 1.0 can hold; the others' paths go to `left`. */
function* representable(files: Iterable<IngestedFile>, left: string[]): Generator<IngestedFile> {
  for (const f of files) {
    if (xmlCanHold(f.path)) yield f
    else left.push(f.path)
  }
}

/** The files of `kept` as the generation records them. */
function* historyFiles(
  kept: Iterable<IngestedFile>,
  known: { has(path: string): boolean },
): Generator<HistoryFile> {
  for (const f of kept) {
    yield {
      path: f.path,
      size: f.size,
      mtimeMs: f.mtimeMs,
      hashes: f.hashes,
      action: f.copiedNow || !known.has(f.path) ? 'original' : 'verified',
    }
  }
}

/**
 * Per path, what the newest generations of `root`'s history (any tool's) record: the
 * {@link LatestFileHashes} of {@link latestHashes}, folded into `into` one piece of a
 * manifest at a time. Returns the error that kept the history from being read, if any
 * (then `into` may hold part of it).
 */
export async function foldHistoryHashes(
  root: string,
  into: (files: MhlFileEntry[], generation: number) => void,
): Promise<ShutterproofError | undefined> {
  try {
    await scanHistory(root, {}, () => {}, into)
    return undefined
  } catch (err) {
    return err as ShutterproofError
  }
}

/** What {@link historyPaths} finds: the paths, and the error that kept the history from being read. */
export interface HistoryPaths {
  files: SpillTable
  error?: ShutterproofError
  /** The history's {@link historyIdentity}, when it was read without an error. */
  identity?: string
}

/**
 * The paths the history of `root` lists (any generation), in a temporary on-disk table
 * (close it when done): one piece of a manifest in memory at a time.
 */
export async function historyPaths(root: string): Promise<HistoryPaths> {
  const files = new SpillTable()
  const manifests: Array<{ fileName: string; c4: string }> = []
  try {
    const { chainEntries } = await files.atomically(() =>
      scanHistory(
        root,
        {},
        (g) => manifests.push({ fileName: g.fileName, c4: g.c4 }),
        (entries) => {
          for (const f of entries) files.set(f.path, '')
        },
      ),
    )
    // Read without an error (strict), the history had a chain file: `chainEntries` is it.
    return { files, identity: historyIdentity(chainEntries, manifests) }
  } catch (err) {
    return { files, error: err as ShutterproofError }
  }
}

/**
 * {@link historyPaths} of one root after another, each history parsed once: a root that
 * holds one already read byte for byte (the same chain entries, the same manifests by
 * name and C4 ID — what an ingest leaves on every destination) shares its table, its
 * manifests hashed, not parsed again (issue #18: half of a verdict's MHL reading after a
 * 2-destination ingest). {@link HistoryPathsReader.close} closes every table it made.
 */
export class HistoryPathsReader {
  readonly #byIdentity = new Map<string, SpillTable>()
  readonly #tables: SpillTable[] = []

  async read(root: string): Promise<HistoryPaths> {
    if (this.#byIdentity.size > 0) {
      const identity = await readHistoryIdentity(root).catch(() => undefined)
      const known = identity === undefined ? undefined : this.#byIdentity.get(identity)
      if (known) return { files: known, identity }
    }
    const read = await historyPaths(root)
    this.#tables.push(read.files)
    if (read.identity !== undefined) this.#byIdentity.set(read.identity, read.files)
    return read
  }

  close(): void {
    for (const t of this.#tables) t.close()
  }
}
