/**
 * The newest known hashes of each file across a history's generations: what a later
 * verification compares against.
 * @module
 */
import type { MhlAction, MhlGeneration, MhlHashFormat, MhlHistory } from './types'
import { detached } from './xml'

/** One hash of {@link LatestFileHashes}, with where it comes from. */
export interface LatestHash {
  value: string
  /** The action recorded with it (`original` or `verified`; `failed` only with `includeFailed`). */
  action: MhlAction | undefined
  /** Generation that recorded it. */
  generation: number
}

/** What a history knows of one file. */
export interface LatestFileHashes {
  path: string
  /** Size from the newest generation listing the file. */
  size?: number
  /** Last modification from the newest generation listing the file. */
  lastModified?: Date
  /** Per format, the newest trusted hash. */
  hashes: Partial<Record<MhlHashFormat, LatestHash>>
  /** Newest generation listing the file, and the action it recorded (the worst of its hashes). */
  lastGeneration: number
  lastAction: MhlAction | undefined
}

/** Options of {@link latestHashes}. */
export interface LatestHashesOptions {
  /**
   * Default `false`: hashes recorded with `action="failed"` (the wrong value a failed
   * check computed) are skipped, so the expected value stays the last good one.
   */
  includeFailed?: boolean
}

const RANK: Record<MhlAction, number> = { original: 0, verified: 1, failed: 2 }

/**
 * Per file path, the newest known hash of each algorithm across all generations (later
 * generations win), skipping `failed` records unless asked. Paths are as written in the
 * manifests. Directory hashes are not included.
 *
 * @example
 * ```ts
 * import { latestHashes, readHistory } from 'shutterproof'
 * const known = latestHashes(await readHistory('/Volumes/SSD1/A002R2EC'))
 * const clip = known.get('Clips/A002C006_141024_R2EC.mov')
 * console.log(clip?.hashes.xxh128?.value, clip?.lastAction)
 * ```
 */
export function latestHashes(
  history: Pick<MhlHistory, 'generations'>,
  options: LatestHashesOptions = {},
): Map<string, LatestFileHashes> {
  const out = new Map<string, LatestFileHashes>()
  const generations = [...history.generations].sort((a, b) => a.generation - b.generation)
  for (const g of generations) foldLatest(out, g, options)
  return out
}

/**
 * Adds one generation, newer than those folded into `out` so far, to {@link latestHashes}'s map.
 * @internal
 */
export function foldLatest(
  out: Map<string, LatestFileHashes>,
  g: Pick<MhlGeneration, 'generation' | 'files'>,
  options: LatestHashesOptions = {},
): void {
  for (const file of g.files) {
    let entry = out.get(file.path)
    if (!entry) {
      entry = { path: detached(file.path), hashes: {}, lastGeneration: g.generation, lastAction: undefined }
      out.set(entry.path, entry)
    }
    entry.lastGeneration = g.generation
    entry.lastAction = undefined
    if (file.size !== undefined) entry.size = file.size
    if (file.lastModified !== undefined) entry.lastModified = file.lastModified
    for (const [format, record] of Object.entries(file.hashes) as Array<
      [MhlHashFormat, { value: string; action?: MhlAction }]
    >) {
      if (
        record.action !== undefined &&
        (entry.lastAction === undefined || RANK[record.action] > RANK[entry.lastAction])
      ) {
        entry.lastAction = record.action
      }
      if (record.action === 'failed' && !options.includeFailed) continue
      entry.hashes[format] = {
        value: detached(record.value),
        action: record.action,
        generation: g.generation,
      }
    }
  }
}
