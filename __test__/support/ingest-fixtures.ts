/** Fixtures for the ingest suites: generated cards, tmpfs mounts, tree listings. */
import { spawnSync } from 'node:child_process'
import { mkdirSync, readdirSync, lstatSync, writeFileSync, utimesSync } from 'node:fs'
import { join, relative } from 'node:path'

import { tempDir, writeRandomFile } from './fixtures'

export const MB = 1024 * 1024

/** A card: DCIM tree with RAW-sized and JPEG-sized random files, XMP sidecars, a zero-byte file and NFD names. */
export function makeCard(options: { rawBytes?: number; raws?: number; jpegs?: number } = {}): string {
  const card = tempDir('sp-card-')
  const dir = join(card, 'DCIM', '100CANON')
  mkdirSync(dir, { recursive: true })
  mkdirSync(join(card, 'MISC'), { recursive: true })
  const raws = options.raws ?? 2
  for (let i = 1; i <= raws; i++) {
    writeRandomFile(join(dir, `IMG_000${i}.CR3`), (options.rawBytes ?? 30 * MB) + i)
    writeFileSync(join(dir, `IMG_000${i}.xmp`), `<x:xmpmeta><rating>${i}</rating></x:xmpmeta>\n`)
  }
  for (let i = 1; i <= (options.jpegs ?? 3); i++)
    writeRandomFile(join(dir, `IMG_10${i}.JPG`), 3 * MB + i * 1001)
  writeFileSync(join(card, 'MISC', 'empty.dat'), '')
  // NFD: "e" + combining acute.
  writeFileSync(join(dir, 'Cafe\u0301_Rene\u0301e.JPG'), 'nfd name')
  if ((options.jpegs ?? 3) > 0)
    utimesSync(
      join(dir, 'IMG_101.JPG'),
      new Date('2026-04-26T10:00:00Z'),
      new Date('2026-04-26T10:00:00.123Z'),
    )
  return card
}

/** Every regular file under `root`, relative, sorted, skipping the given top-level folders. */
export function listFiles(root: string, skipTop: string[] = ['.shutterproof', 'ascmhl']): string[] {
  const out: string[] = []
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const abs = join(dir, name)
      const rel = relative(root, abs)
      if (dir === root && skipTop.includes(name)) continue
      const st = lstatSync(abs)
      if (st.isDirectory()) walk(abs)
      else out.push(rel)
    }
  }
  walk(root)
  return out.sort()
}

/** Mounts a tmpfs of `size` at a fresh folder, or returns undefined (and says so loudly). */
export function mountTmpfs(
  size: string,
  extra: string[] = [],
): { dir: string; unmount: () => void } | undefined {
  const dir = tempDir('sp-tmpfs-')
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', [`size=${size}`, ...extra].join(','), 'tmpfs', dir], {
    encoding: 'utf8',
  })
  if (r.status !== 0) {
    console.warn(
      `\n!!! SKIPPED: cannot mount a tmpfs (${(r.stderr || r.error?.message || '').trim()}); run the suite as root to test it\n`,
    )
    return undefined
  }
  return { dir, unmount: () => void spawnSync('umount', ['-l', dir]) }
}

/** `shutterproof ingest CARD DESTS… --client Ada --shoot SHOOT --date 2026-04-26 EXTRA…`. */
export function ingestArgs(card: string, dests: string[], shoot: string, ...extra: string[]): string[] {
  return ['ingest', card, ...dests, '--client', 'Ada', '--shoot', shoot, '--date', '2026-04-26', ...extra]
}
