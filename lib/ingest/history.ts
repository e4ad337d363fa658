/**
 * The one place where ingest and verify talk to the ASC MHL module (`lib/mhl`). Our
 * `.shutterproof/` folder is in the MHL's ignore list (the mhl module's defaults), so the
 * history lists photographs only.
 * @module
 */
import { stat } from 'node:fs/promises'

import { reported, type ReportedError, type ShutterproofError } from '../errors'
import { MHL_HASH_FORMATS, latestHashes, readHistory, writeGeneration, type MhlHashes, type MhlFileInput, type LatestFileHashes } from '../mhl'
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

/** Expected hashes per path from the newest generations of `root`'s history (any tool's). */
export async function historyHashes(root: string): Promise<{ files: Map<string, LatestFileHashes>; error?: ShutterproofError }> {
  try {
    return { files: latestHashes(await readHistory(root)) }
  } catch (err) {
    return { files: new Map(), error: err as ShutterproofError }
  }
}
