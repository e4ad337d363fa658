/**
 * Packing and installing the package as a user would, for package.spec.ts.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { currentPlatform } from '../../lib/platform'
import { REPO, tempDir } from './fixtures'

export interface Packed {
  /** The tarball's path. */
  file: string
  /** Every path inside it, relative to its `package/` folder. */
  files: string[]
  unpackedSize: number
}

/** Runs a command, returning stdout; on failure throws with everything it printed. */
export function sh(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options })
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`.slice(-8000))
  return r.stdout
}

/** `npm pack DIR` (its prepack builds what it ships) into `dest`. */
export function npmPack(dir: string, dest: string): Packed {
  const out = JSON.parse(sh('npm', ['pack', '--json', '--pack-destination', dest, dir], { cwd: REPO }))[0]
  return {
    file: join(dest, out.filename),
    files: out.files.map((f: { path: string }) => f.path).sort(),
    unpackedSize: out.unpackedSize,
  }
}

let packed: { work: string; main: Packed; addon: Packed } | undefined

/** The main package and this machine's addon package, packed once per run. */
export function packBoth(): { work: string; main: Packed; addon: Packed } {
  if (!packed) {
    const work = tempDir('sp-pack-')
    packed = { work, main: npmPack('.', work), addon: npmPack(`./npm/${currentPlatform()}`, work) }
  }
  return packed
}

/** An empty project with `tarballs` installed, the way `npm install <tarball>` does it. */
export function installApp(name: string, tarballs: string[]): string {
  const app = join(packBoth().work, name)
  mkdirSync(app)
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true }))
  sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs], { cwd: app })
  return app
}

/** The expected-file lines of one section of __test__/package-files.txt, as regular expressions. */
export function expectedFiles(section: string): { line: string; re: RegExp }[] {
  const platform = currentPlatform()
  const lines: { line: string; re: RegExp }[] = []
  let current = ''
  for (const raw of readFileSync(join(REPO, '__test__/package-files.txt'), 'utf8').split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const header = /^\[(.+)\]$/.exec(line)
    if (header) current = header[1]!
    else if (current === section)
      lines.push({ line, re: globToRegExp(line.replaceAll('<platform>', platform)) })
  }
  return lines
}

/** `**\/` = any folders (or none), `*` = any name part within one folder; nothing else is special. */
function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&')
  return new RegExp(
    '^' + escaped.replaceAll('**/', '\0').replaceAll('*', '[^/]*').replaceAll('\0', '(?:.+/)?') + '$',
  )
}

/** The section names of an ELF file (binutils' readelf). */
export function elfSections(file: string): string[] {
  return [...sh('readelf', ['-S', '-W', file]).matchAll(/^\s*\[\s*\d+\]\s+(\S+)/gm)].map((m) => m[1]!)
}

/** The newest GLIBC_x.y symbol version an ELF file needs (0.0 when none). */
export function glibcFloor(file: string): string {
  const versions = [...sh('readelf', ['-V', '-W', file]).matchAll(/GLIBC_(\d+)\.(\d+)/g)].map(
    (m) => [Number(m[1]), Number(m[2])] as const,
  )
  const [major, minor] = versions.reduce((a, b) => (b[0] > a[0] || (b[0] === a[0] && b[1] > a[1]) ? b : a), [
    0, 0,
  ] as const)
  return `${major}.${minor}`
}

/**
 * Functions an ELF file needs from libc without a symbol version (strong, undefined,
 * not Node-API): they bind to whatever the running libc has, or fail on an older one.
 */
export function unversionedImports(file: string): string[] {
  return sh('readelf', ['--dyn-syms', '-W', file])
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(
      (f) =>
        f[4] === 'GLOBAL' &&
        f[6] === 'UND' &&
        f[7] !== undefined &&
        !f[7].includes('@') &&
        !f[7].startsWith('napi_'),
    )
    .map((f) => f[7]!)
}
