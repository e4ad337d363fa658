/**
 * What each preview was made from, so a run redoes only what changed: per source, its
 * size and modification time, the settings' key (size, quality, watermark, kept tags),
 * and the sizes of the two outputs. Kept in `state.json` in the previews folder, written
 * durably at the end of each run (also of an aborted or failed one), merged with what
 * another run wrote meanwhile. Never served, never shared.
 * @module
 */
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'

import { writeFileDurably } from '../fs/durable'
import { STATE_FILE } from './layout'

const FORMAT = 'shutterproof-previews/1'

/** One source's outputs as last made. */
export interface StateEntry {
  size: number
  mtimeMs: number
  settings: string
  kind: string
  preview: { size: number; width: number; height: number }
  thumbnail: { size: number; width: number; height: number }
  /** For RAW files: which embedded image was used. */
  embedded?: string
}

/** The state of a previews folder: entries by source path relative to the session. */
export type PreviewState = Record<string, StateEntry>

/** Reads the state file; a missing or unreadable one is an empty state (everything is redone). */
export async function readState(folder: string): Promise<PreviewState> {
  try {
    const doc = JSON.parse(await readFile(join(folder, STATE_FILE), 'utf8')) as {
      format?: string
      entries?: PreviewState
    }
    return doc.format === FORMAT && doc.entries && typeof doc.entries === 'object' ? doc.entries : {}
  } catch {
    return {}
  }
}

/** Writes `updates` over the state on disk now (merging what other runs wrote), durably. */
export async function writeState(
  folder: string,
  updates: PreviewState,
  removed: readonly string[] = [],
): Promise<void> {
  if (Object.keys(updates).length === 0 && removed.length === 0) return
  const entries = { ...(await readState(folder)), ...updates }
  for (const r of removed) delete entries[r]
  const sorted = Object.fromEntries(Object.entries(entries).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
  await writeFileDurably(
    join(folder, STATE_FILE),
    JSON.stringify({ format: FORMAT, entries: sorted }, null, 1) + '\n',
  )
}

/** Whether a source's outputs are up to date: same source size and time, same settings, both outputs there at their recorded sizes. */
export async function isUpToDate(
  entry: StateEntry | undefined,
  source: { size: number; mtimeMs: number },
  settings: string,
  outputs: { preview: string; thumbnail: string },
): Promise<boolean> {
  if (!entry || entry.size !== source.size || entry.mtimeMs !== source.mtimeMs || entry.settings !== settings)
    return false
  try {
    const [p, t] = await Promise.all([stat(outputs.preview), stat(outputs.thumbnail)])
    return p.size === entry.preview.size && t.size === entry.thumbnail.size
  } catch {
    return false
  }
}
