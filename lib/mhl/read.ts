/**
 * Reads an ASC MHL history (`ascmhl/` under a root folder): every manifest, in
 * generation order, each checked against the chain file.
 * @module
 */
import { readdir, readFile, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'

import { MhlError } from '../errors'
import { c4Id, c4IdOfFile } from './c4'
import { CHAIN_FILE, parseChain, type ChainEntry } from './chain'
import { toFsError } from '../fs/errors'
import { parseManifest } from './manifest'
import { parseManifestFile, surveyManifest } from './manifest-stream'
import type { MhlFileEntry, MhlGeneration, MhlHistory } from './types'

/** The history folder's name under a root. */
export const ASCMHL_FOLDER = 'ascmhl'

/** `0001_A002R2EC_2020-01-16_091500Z.mhl` → 1 (the reference tool's rule: 4+ digits, then `_…`). */
export function generationOfFileName(name: string): number | undefined {
  if (!name.endsWith('.mhl') || name.startsWith('._')) return undefined
  const m = /^(\d{4,})(?:_(.+))?$/.exec(name.slice(0, -4))
  return m ? Number(m[1]) : undefined
}

/** Options of {@link readHistory}. */
export interface ReadHistoryOptions {
  /**
   * Default `true`: a manifest whose C4 differs from the chain's throws
   * `E_MHL_CHAIN_MISMATCH`, a chained manifest that is gone throws
   * `E_MHL_MANIFEST_MISSING`, manifests without a chain file throw `E_MHL_INVALID`.
   * With `false` these are only reported (`chain: 'mismatch'`, `missingManifests`).
   */
  strict?: boolean
}

/** What {@link readHistory} returns. */
export interface ReadHistoryResult extends MhlHistory {
  /** The chain's entries as recorded (empty without a chain file). */
  chainEntries: ChainEntry[]
  /** Manifests the chain lists that are not there (only with `strict: false`). */
  missingManifests: string[]
}

/**
 * The chain file's entries, or undefined when there is no chain file.
 * @internal
 */
export async function readChainFile(dir: string): Promise<ChainEntry[] | undefined> {
  const path = join(dir, CHAIN_FILE)
  let xml: string
  try {
    xml = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return undefined
    throw toFsError(err, path, 'read')
  }
  return parseChain(xml, path)
}

/**
 * Reads the ASC MHL history under `root`: each generation's creator, process, ignore
 * patterns and entries (path, size, last modification, hashes with their action), and
 * whether its manifest still has the C4 ID the chain file recorded. Reads histories
 * written by other tools too (directory hashes included).
 *
 * @example
 * ```ts
 * import { readHistory } from 'shutterproof'
 * const history = await readHistory('/Volumes/SSD1/A002R2EC')
 * for (const g of history.generations) {
 *   console.log(g.generation, g.creator.tool, g.process, g.files.length, g.chain)
 * }
 * ```
 * @throws {@link MhlError} `E_MHL_NO_HISTORY` without `ascmhl/` or without manifests,
 *   `E_MHL_INVALID` for a malformed manifest or chain file, `E_MHL_CHAIN_MISMATCH`,
 *   `E_MHL_MANIFEST_MISSING` (see {@link ReadHistoryOptions.strict})
 * @throws {@link FileSystemError} when a file cannot be read
 */
export async function readHistory(
  root: string,
  options: ReadHistoryOptions = {},
): Promise<ReadHistoryResult> {
  const generations: MhlGeneration[] = []
  const scan = await scanHistory(root, options, (g) => {
    generations.push(g)
  })
  return { ...scan, generations }
}

/**
 * {@link readHistory}, one generation at a time: `onGeneration` gets each in order and
 * nothing is kept, so a long history of large generations costs the memory of one. With
 * `onFiles`, a generation's file entries go to it a few hundred at a time as its manifest
 * is parsed (before `onGeneration`, which then gets `files: []`): a history costs the
 * memory of what the caller folds, not of a generation.
 * @internal
 */
export async function scanHistory(
  root: string,
  options: ReadHistoryOptions,
  onGeneration: (g: MhlGeneration) => void,
  onFiles?: (files: MhlFileEntry[], generation: number) => void,
): Promise<Omit<ReadHistoryResult, 'generations'>> {
  const strict = options.strict ?? true
  const absRoot = resolve(root)
  const dir = join(absRoot, ASCMHL_FOLDER)
  let names: string[]
  try {
    if (!(await stat(dir)).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' })
    names = await readdir(dir)
  } catch (err) {
    const code = (err as { code?: string }).code
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new MhlError(
        'E_MHL_NO_HISTORY',
        `No ASC MHL history at ${absRoot} (no ${ASCMHL_FOLDER}/ folder)`,
        { path: absRoot },
      )
    }
    throw toFsError(err, dir, 'list')
  }

  const chain = await readChainFile(dir)
  const manifests = manifestsIn(names)
  if (manifests.length === 0 && (chain === undefined || chain.length === 0)) {
    throw new MhlError(
      'E_MHL_NO_HISTORY',
      `No ASC MHL history at ${absRoot} (no manifests in ${ASCMHL_FOLDER}/)`,
      { path: absRoot },
    )
  }
  if (chain === undefined && strict) {
    throw new MhlError(
      'E_MHL_INVALID',
      `${join(dir, CHAIN_FILE)} is missing: the manifests cannot be checked`,
      { path: join(dir, CHAIN_FILE) },
    )
  }
  const chainByName = new Map((chain ?? []).map((e) => [e.path, e]))
  const missingManifests: string[] = []
  for (const e of chain ?? []) {
    if (manifests.some((m) => m.name === e.path)) continue
    const path = join(dir, e.path)
    if (strict)
      throw new MhlError('E_MHL_MANIFEST_MISSING', `${path} is listed in ${CHAIN_FILE} but missing`, { path })
    missingManifests.push(path)
  }

  let previous: number | undefined
  for (const { name, generation } of manifests) {
    const manifestPath = join(dir, name)
    if (previous === generation) {
      throw new MhlError('E_MHL_INVALID', `Two manifests have generation ${generation} in ${dir}`, {
        path: manifestPath,
      })
    }
    // Folded by the caller: read a chunk at a time, as it is hashed and parsed, when it can be.
    const survey = onFiles ? await surveyManifest(manifestPath) : undefined
    const { text, c4 } = survey?.streamable ? { text: '', c4: survey.c4 } : await readManifest(manifestPath)
    const entry = chainByName.get(name)
    const status = entry === undefined ? 'unlisted' : entry.c4 === c4 ? 'ok' : 'mismatch'
    if (status === 'mismatch' && strict) {
      throw new MhlError(
        'E_MHL_CHAIN_MISMATCH',
        `${manifestPath} was changed after it was written: its C4 ID ${c4} differs from ${entry!.c4} in ${CHAIN_FILE}`,
        {
          path: manifestPath,
        },
      )
    }
    const handOver = onFiles && ((f: MhlFileEntry[]) => onFiles(f, generation))
    const content =
      survey?.streamable && handOver
        ? await parseManifestFile(manifestPath, handOver)
        : parseManifest(text, manifestPath, handOver)
    const g: MhlGeneration = { generation, fileName: name, manifestPath, c4, chain: status, ...content }
    if (entry) g.chainC4 = entry.c4
    previous = generation
    onGeneration(g)
  }
  return { root: absRoot, chainEntries: chain ?? [], missingManifests }
}

/** The manifests among a history folder's names, in generation order. */
function manifestsIn(names: readonly string[]): Array<{ name: string; generation: number }> {
  return names
    .flatMap((name) => {
      const generation = generationOfFileName(name)
      return generation === undefined ? [] : [{ name, generation }]
    })
    .sort((a, b) => a.generation - b.generation)
}

/**
 * What decides everything {@link scanHistory} finds under a root but the root's own path:
 * the chain file's entries (null without a chain file) and the manifests' names and C4
 * IDs, in generation order. Roots with the same identity hold the same history byte for
 * byte, as an ingest leaves it on every destination.
 * @internal
 */
export function historyIdentity(
  chain: readonly ChainEntry[] | null,
  manifests: ReadonlyArray<{ fileName: string; c4: string }>,
): string {
  return JSON.stringify([chain, manifests.map((m) => [m.fileName, m.c4])])
}

/**
 * The {@link historyIdentity} of the history under `root`, its manifests hashed but not
 * parsed. Rejects where the folder or a file cannot be read.
 * @internal
 */
export async function readHistoryIdentity(root: string): Promise<string> {
  const dir = join(resolve(root), ASCMHL_FOLDER)
  const names = await readdir(dir)
  const chain = await readChainFile(dir)
  const manifests: Array<{ fileName: string; c4: string }> = []
  for (const { name } of manifestsIn(names))
    manifests.push({ fileName: name, c4: await c4IdOfFile(join(dir, name)) })
  return historyIdentity(chain ?? null, manifests)
}

/** A manifest's text and C4 ID; its bytes are let go before the text is parsed. */
async function readManifest(manifestPath: string): Promise<{ text: string; c4: string }> {
  let bytes: Buffer
  try {
    bytes = await readFile(manifestPath)
  } catch (err) {
    throw toFsError(err, manifestPath, 'read')
  }
  return { text: bytes.toString('utf8'), c4: c4Id(bytes) }
}
