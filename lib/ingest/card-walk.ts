/**
 * The card's files one at a time, in the order {@link planCard} lists them (sorted by
 * path), with the same rules (nothing followed, system and data folders left out) and
 * the same errors, holding one folder's names at a time rather than every file of the
 * card: what safe-to-format needs to go through a card of any size in flat memory.
 * @module
 */
import { lstat, readdir, realpath } from 'node:fs/promises'
import { join } from 'node:path'

import { fromNative, InvalidArgumentError } from '../errors'
import { lstatEach } from '../fs/at-once'
import { DATA_FOLDER, nodeError, SYSTEM_FOLDERS, type PlannedFile } from './plan'

/** One entry of a folder, with the key that puts it where the card's sorted path order does. */
interface Entry {
  name: string
  dir: boolean
  /** `name/` for a folder: every path under it starts so, and compares as a whole against its siblings. */
  key: string
}

/** The card's real root, checked as {@link planCard} checks it. */
export async function cardRoot(source: string): Promise<string> {
  if (typeof source !== 'string' || source === '')
    throw new InvalidArgumentError('source must be the card folder')
  try {
    const root = await realpath(source)
    if (!(await lstat(root)).isDirectory()) {
      throw new InvalidArgumentError(`${source}: is not a folder; give the card's mount point or folder`)
    }
    return root
  } catch (err) {
    throw fromNative(err instanceof InvalidArgumentError ? err : nodeError(err, source), source)
  }
}

/**
 * The files {@link planCard} would list for the card at `root` (see {@link cardRoot}),
 * in its order. Sorting each folder's entries with folders keyed `name/` gives the order
 * of the whole paths: a path under a folder and a sibling entry differ within the
 * shorter of the two keys, or the sibling is a prefix of the folder's key.
 */
export async function* walkCard(root: string): AsyncGenerator<PlannedFile> {
  yield* walkFolder(root, '')
}

async function* walkFolder(root: string, rel: string): AsyncGenerator<PlannedFile> {
  const dir = rel === '' ? root : join(root, rel)
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (err) {
    throw fromNative(nodeError(err, dir), dir)
  }
  const entries: Entry[] = []
  const files = new Map<string, PlannedFile>()
  for await (const e of lstatEach(dir, names)) {
    if ('error' in e) throw fromNative(nodeError(e.error, e.abs), e.abs)
    const { name, abs, stats: st } = e
    if (st.isDirectory()) {
      if (rel === '' && (SYSTEM_FOLDERS.has(name) || name === 'ascmhl')) continue
      if (name === DATA_FOLDER) continue
      entries.push({ name, dir: true, key: `${name}/` })
    } else if (st.isFile() && !st.isSymbolicLink()) {
      entries.push({ name, dir: false, key: name })
      files.set(name, {
        source: abs,
        path: rel === '' ? name : `${rel}/${name}`,
        size: st.size,
        mtimeMs: st.mtimeMs,
      })
    }
  }
  entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  for (const e of entries) {
    if (e.dir) yield* walkFolder(root, rel === '' ? e.name : `${rel}/${e.name}`)
    else {
      const f = files.get(e.name)!
      files.delete(e.name)
      yield f
    }
  }
}
