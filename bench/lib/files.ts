/** Benchmark inputs: random bytes (never zeros), and page-cache control. */
import { spawnSync } from 'node:child_process'
import { randomFillSync } from 'node:crypto'
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs'
import { dirname, join } from 'node:path'

export const WORK = join(__dirname, '..', '.work')

const BLOCK = 16 * 1024 * 1024

/** A random file of `size` bytes under bench/.work (`name` may hold folders), reused when it already has that size. */
export function randomFile(name: string, size: number): string {
  const path = join(WORK, name)
  mkdirSync(dirname(path), { recursive: true })
  if (existsSync(path) && statSync(path).size === size) return path
  const block = Buffer.alloc(Math.min(BLOCK, Math.max(size, 1)))
  const fd = openSync(path, 'w')
  for (let done = 0; done < size; done += block.length) {
    randomFillSync(block)
    writeSync(fd, block, 0, Math.min(block.length, size - done))
  }
  fsyncSync(fd)
  closeSync(fd)
  return path
}

/**
 * Drops a file's pages from the page cache (`posix_fadvise(DONTNEED)` through GNU dd's
 * `nocache` flag, after a sync so that no dirty page stays). This is guest-side
 * eviction: a hypervisor's own cache below the virtual disk may still serve the reads.
 */
export function evict(path: string): void {
  spawnSync('sync', [path])
  const r = spawnSync('dd', [`if=${path}`, 'iflag=nocache', 'count=0', 'status=none'])
  if (r.status !== 0) throw new Error(`could not evict ${path}: ${r.stderr}`)
}

/** Reads a file once so that it sits in the page cache. */
export function warm(path: string): void {
  spawnSync('cat', [path], { stdio: ['ignore', 'ignore', 'ignore'] })
}

export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|K|M|G)?$/i.exec(text.trim())
  if (!m) throw new Error(`BENCH_SIZE: cannot read ${JSON.stringify(text)}; use e.g. 256MiB or 1GiB`)
  const unit = (m[2] ?? 'B').toUpperCase()[0]!
  const mult = unit === 'K' ? 1024 : unit === 'M' ? 1024 ** 2 : unit === 'G' ? 1024 ** 3 : 1
  return Math.round(Number(m[1]) * mult)
}

export function formatSize(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${+(bytes / 1024 ** 3).toFixed(2)} GiB`
  if (bytes >= 1024 ** 2) return `${+(bytes / 1024 ** 2).toFixed(1)} MiB`
  if (bytes >= 1024) return `${+(bytes / 1024).toFixed(1)} KiB`
  return `${bytes} B`
}
