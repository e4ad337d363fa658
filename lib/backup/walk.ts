/**
 * The files of a session folder, for backup: regular files only (symbolic links and
 * special files are left out), without temporary files of interrupted writes.
 *
 * The list is spilled to a file as it is found and read back one file at a time, so a
 * session of 20,000 files costs the backup no more memory than one of 2,000 (issue #18).
 * @internal
 * @module
 */
import { lstat, readdir } from 'node:fs/promises'
import { join } from 'node:path'

import { readLines, TextSpill } from '../spill/lines'

export interface SessionFile {
  /** `/`-separated, relative to the session folder. */
  path: string
  abs: string
  size: number
  mtimeMs: number
}

/** What {@link spillSessionFiles} found. */
export interface SessionWalk {
  /** Where the list is, one `[path, size, mtimeMs]` JSON line per file, in walk order. */
  spill: string
  files: number
  bytes: number
}

const TEMPORARY = /(\.sp-partial|\.sptmp|\.tmp)$/

/**
 * Walks `root` (names sorted in each folder, folders entered where they sort) and writes
 * every file to a new spill file `spill`.
 */
export async function spillSessionFiles(root: string, spill: string): Promise<SessionWalk> {
  const out = await TextSpill.create(spill)
  let bytes = 0
  const walk = async (dir: string, rel: string) => {
    for (const name of (await readdir(dir)).sort()) {
      const abs = join(dir, name)
      const r = rel ? `${rel}/${name}` : name
      const st = await lstat(abs)
      if (st.isDirectory()) await walk(abs, r)
      else if (st.isFile() && !TEMPORARY.test(name)) {
        bytes += st.size
        out.line(JSON.stringify([r, st.size, st.mtimeMs]))
        await out.spillIfFull()
      }
    }
  }
  try {
    await walk(root, '')
  } finally {
    await out.close()
  }
  return { spill, files: out.lines, bytes }
}

/** The files a walk spilled, one at a time, in walk order. */
export async function* sessionFiles(root: string, spill: string): AsyncGenerator<SessionFile> {
  for await (const line of readLines(spill)) {
    const [path, size, mtimeMs] = JSON.parse(line) as [string, number, number]
    yield { path, abs: join(root, ...path.split('/')), size, mtimeMs }
  }
}
