/**
 * The files of a session folder, for backup: regular files only (symbolic links and
 * special files are left out), without temporary files of interrupted writes.
 * @internal
 * @module
 */
import { lstat, readdir } from 'node:fs/promises'
import { join } from 'node:path'

export interface SessionFile {
  /** `/`-separated, relative to the session folder. */
  path: string
  abs: string
  size: number
  mtimeMs: number
}

const TEMPORARY = /(\.sp-partial|\.sptmp|\.tmp)$/

export async function walkSession(root: string): Promise<SessionFile[]> {
  const out: SessionFile[] = []
  const walk = async (dir: string, rel: string) => {
    for (const name of (await readdir(dir)).sort()) {
      const abs = join(dir, name)
      const r = rel ? `${rel}/${name}` : name
      const st = await lstat(abs)
      if (st.isDirectory()) await walk(abs, r)
      else if (st.isFile() && !TEMPORARY.test(name))
        out.push({ path: r, abs, size: st.size, mtimeMs: st.mtimeMs })
    }
  }
  await walk(root, '')
  return out
}
