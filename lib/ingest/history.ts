/**
 * The one place where ingest and verify talk to the ASC MHL module (`lib/mhl`). Our
 * `.shutterproof/` folder is in the MHL's ignore list (the mhl module's defaults), so the
 * history lists photographs only.
 * @module
 */
import { stat } from 'node:fs/promises'

import { reported, type ReportedError, type ShutterproofError } from '../errors'
import {
  MHL_HASH_FORMATS,
  writeGeneration,
  type MhlHashes,
  type MhlFileInput,
  type LatestFileHashes,
} from '../mhl'
import { foldLatest } from '../mhl/latest'
import { scanHistory } from '../mhl/read'
import { detached, xmlCanHold } from '../mhl/xml'
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
 * BLAKE3; ingest always computes XXH128 as well). Never throws: a history that cannot be
 * written is reported in the result (and in the caller's report).
 */
export async function appendGeneration(
  root: string,
  process: 'transfer' | 'in-place',
  files: readonly HistoryFile[],
  comment: string,
): Promise<HistoryResult> {
  const inputs: MhlFileInput[] = []
  for (const f of files) {
    const hashes = mhlHashes(f.hashes)
    if (Object.keys(hashes).length === 0) continue
    inputs.push({ path: f.path, size: f.size, lastModified: new Date(f.mtimeMs), hashes, action: f.action })
  }
  try {
    await stat(root)
    const g = await writeGeneration(root, {
      process,
      files: inputs,
      creator: { tool: 'shutterproof', version: TOOL_VERSION, comment },
      ignore: [`${DATA_FOLDER}/`],
    })
    return { manifestPath: g.manifestPath, generation: g.generation }
  } catch (err) {
    const e = err as ShutterproofError
    return { error: reported({ code: e.code ?? 'E_IO', message: e.message ?? String(err) }) }
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
 * whole generation; any failure comes back in `error`.
 */
export async function appendIngestGeneration(
  root: string,
  files: readonly IngestedFile[],
  comment: string,
): Promise<IngestHistoryResult> {
  const unrepresentable = files.filter((f) => !xmlCanHold(f.path)).map((f) => f.path)
  // No history yet: every file is new. A damaged one makes writeGeneration fail below, and says why.
  const known = (await historyPaths(root)).files
  const kept = files.filter((f) => xmlCanHold(f.path))
  const out: IngestHistoryResult = { unrepresentable }
  if (kept.length > 0) {
    const h = await appendGeneration(
      root,
      'transfer',
      kept.map((f) => ({
        path: f.path,
        size: f.size,
        mtimeMs: f.mtimeMs,
        hashes: f.hashes,
        action: f.copiedNow || !known.has(f.path) ? 'original' : 'verified',
      })),
      comment,
    )
    Object.assign(out, h)
  }
  if (unrepresentable.length > 0 && !out.error) {
    out.error = {
      code: 'E_MHL_UNREPRESENTABLE',
      message: `${root}: ASC MHL (XML 1.0) cannot hold the control characters in ${unrepresentable.length === 1 ? 'the name' : `${unrepresentable.length} names`} ${unrepresentable.map((p) => JSON.stringify(p)).join(', ')}; ${unrepresentable.length === 1 ? 'that file is' : 'those files are'} copied and verified but not in the ASC MHL history: rename ${unrepresentable.length === 1 ? 'it' : 'them'} on the card and ingest again`,
    }
  }
  return out
}

/** Expected hashes per path from the newest generations of `root`'s history (any tool's). */
export async function historyHashes(
  root: string,
): Promise<{ files: Map<string, LatestFileHashes>; error?: ShutterproofError }> {
  try {
    return { files: await latestOf(root) }
  } catch (err) {
    return { files: new Map(), error: err as ShutterproofError }
  }
}

/** `latestHashes(await readHistory(root))`, one generation in memory at a time. */
async function latestOf(root: string): Promise<Map<string, LatestFileHashes>> {
  const out = new Map<string, LatestFileHashes>()
  await scanHistory(
    root,
    {},
    () => {},
    (files, generation) => foldLatest(out, { generation, files }),
  )
  return out
}

/** The paths the history of `root` lists (any generation), one generation in memory at a time. */
export async function historyPaths(root: string): Promise<{ files: Set<string>; error?: ShutterproofError }> {
  const files = new Set<string>()
  try {
    await scanHistory(
      root,
      {},
      () => {},
      (entries) => {
        for (const f of entries) if (!files.has(f.path)) files.add(detached(f.path))
      },
    )
    return { files }
  } catch (err) {
    return { files: new Set(), error: err as ShutterproofError }
  }
}
