/**
 * The files of a session a preview run considers: every regular file, or those named,
 * without Shutterproof's own folder (`.shutterproof/`, where previews live), ASC MHL
 * histories (`ascmhl/`), hidden folders (`.Trashes`, `.Spotlight-V100`) and the previews
 * folder itself when it lies elsewhere inside the session.
 * @internal
 * @module
 */
import { lstat, readdir, realpath } from 'node:fs/promises'
import { isAbsolute, join, relative, resolve, sep } from 'node:path'

import { InvalidArgumentError } from '../errors'
import { toFsError } from '../fs/errors'

/** A file found in the session. */
export interface SourceFile {
  /** Relative to the session, `/`-separated. */
  rel: string
  abs: string
  size: number
  mtimeMs: number
  /** A symbolic link or special file: listed, never read. */
  notAFile?: boolean
}

/** A named file that could not be looked at. */
export interface MissingSource {
  rel: string
  error: unknown
}

const LEFT_OUT = new Set(['.shutterproof', 'ascmhl'])

/** Every file under `session` (real path), sorted, leaving out `exclude` (an absolute folder). */
export async function walkSources(session: string, exclude: string): Promise<SourceFile[]> {
  const out: SourceFile[] = []
  const walk = async (dir: string, rel: string): Promise<void> => {
    let names: string[]
    try {
      names = (await readdir(dir)).sort()
    } catch (err) {
      throw toFsError(err, dir, 'list the folder')
    }
    for (const name of names) {
      const abs = join(dir, name)
      const r = rel ? `${rel}/${name}` : name
      const st = await lstat(abs)
      if (st.isDirectory()) {
        if (LEFT_OUT.has(name) || name.startsWith('.') || abs === exclude) continue
        await walk(abs, r)
      } else {
        out.push({
          rel: r,
          abs,
          size: st.size,
          mtimeMs: st.mtimeMs,
          ...(st.isFile() ? {} : { notAFile: true }),
        })
      }
    }
  }
  await walk(session, '')
  return out
}

/** The named files, each relative to the session or absolute inside it. */
export async function namedSources(
  session: string,
  files: readonly string[],
): Promise<Array<SourceFile | MissingSource>> {
  const out: Array<SourceFile | MissingSource> = []
  for (const given of files) {
    if (typeof given !== 'string' || given === '')
      throw new InvalidArgumentError('makePreviews files must be non-empty paths')
    const abs = isAbsolute(given) ? given : resolve(session, given)
    let real: string
    try {
      real = await realpath(abs)
    } catch (err) {
      out.push({ rel: relative(session, abs).split(sep).join('/'), error: toFsError(err, abs, 'read') })
      continue
    }
    const rel = relative(session, real)
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
      throw new InvalidArgumentError(
        `${given} is not inside the session folder ${session}; previews are made of the session's own files`,
      )
    }
    const st = await lstat(real)
    out.push({
      rel: rel.split(sep).join('/'),
      abs: real,
      size: st.size,
      mtimeMs: st.mtimeMs,
      ...(st.isFile() ? {} : { notAFile: true }),
    })
  }
  return out
}
