/** Helpers of the ASC MHL suites: a generated session folder, its files' hashes, the reference tools. */
import { spawnSync } from 'node:child_process'
import { mkdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

import { hashFile, type MhlAction, type MhlFileInput } from '../../lib/index'
import { hasTool, tempDir, writeRandomFile } from './fixtures'

/** An NFD name (e + combining acute): kept byte for byte, as the reference tool compares. */
export const NFD_NAME = 'Cafe\u0301 & <Clip> "1".mov'

/** Relative paths of the generated session: nested folders, an NFD name, a zero-byte file. */
export const SESSION_FILES = [
  'DCIM/100CANON/IMG_0001.CR3',
  'DCIM/100CANON/IMG_0002.CR3',
  'DCIM/101CANON/deep/er/IMG_0101.CR3',
  `Audio/${NFD_NAME}`,
  'empty.txt',
  'Notes.txt',
]

/** Makes a session root (its folder name is the manifests' middle part) with random files. */
export function makeSession(name = 'A002R2EC'): string {
  const root = join(tempDir('sp-mhl-'), name)
  for (const [i, rel] of SESSION_FILES.entries()) {
    const path = join(root, rel)
    mkdirSync(join(path, '..'), { recursive: true })
    writeRandomFile(path, rel === 'empty.txt' ? 0 : 1000 + i * 37_813 + Math.floor(Math.random() * 5000))
  }
  return root
}

/** Hashes the session's files (xxh128) into writeGeneration entries. */
export async function sessionEntries(
  root: string,
  action: MhlAction,
  paths = SESSION_FILES,
): Promise<MhlFileInput[]> {
  const out: MhlFileInput[] = []
  for (const rel of paths) {
    const path = join(root, rel)
    const st = statSync(path)
    const { xxh128 } = await hashFile(path, { algorithms: ['xxh128'] })
    out.push({ path: rel, size: st.size, lastModified: st.mtime, hashes: { xxh128: xxh128! }, action })
  }
  return out
}

export const hasAscmhl = hasTool('ascmhl') && hasTool('ascmhl-debug')
export const hasXmllint = hasTool('xmllint')

/** Runs a reference tool; returns its exit status and stdout + stderr. */
export function tool(cmd: string, args: string[]): { status: number | null; output: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } })
  return { status: r.status, output: `${r.stdout}${r.stderr}` }
}
