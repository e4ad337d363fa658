/**
 * A generation's files read again rather than set aside (issue #18): files already in path
 * order are checked on a first read and written from a second, with no table; anything
 * else takes the table, and a second read that differs from the first is refused.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { ShutterproofError, writeGeneration, type MhlFileInput } from '../lib/index'
import { sortedFilesOf } from '../lib/mhl/sorted-files'
import { writeGenerationOf } from '../lib/mhl/write'
import { tempDir } from './support/fixtures'

const CREATOR = { tool: 'shutterproof', version: '0.1.0' }
const DATE = new Date('2026-01-02T03:04:05Z')
const XXH = 'b5e9c1ad071b3e7fc779cfaa5e523818'
const file = (path: string, over: Partial<MhlFileInput> = {}): MhlFileInput => ({
  path,
  size: 5,
  lastModified: new Date('2024-01-01T00:00:00Z'),
  hashes: { xxh128: XXH },
  action: 'original',
  ...over,
})

/** `files` behind a read function that counts its calls. */
function counted(files: MhlFileInput[]): { read: () => Iterable<MhlFileInput>; reads: () => number } {
  let n = 0
  return {
    read: () => {
      n++
      return files.values()
    },
    reads: () => n,
  }
}

function paths(files: Iterable<MhlFileInput>): string[] {
  return [...files].map((f) => f.path)
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    return (err as ShutterproofError).code ?? (err as Error).message
  }
  return undefined
}

/** The names in `root`'s ascmhl/ folder (none when there is no folder). */
function historyNames(root: string): string[] {
  try {
    return readdirSync(join(root, 'ascmhl'))
  } catch {
    return []
  }
}

test('files in path order: checked on one read, written from a second, no third', () => {
  // JavaScript's string order, the manifest's: '.' < '/' < 'B' < 'a'.
  const inOrder = ['A.CR3', 'DCIM/100/B.CR3', 'DCIM/100/a.CR3', 'DCIM/100.txt'].sort().map((p) => file(p))
  const { read, reads } = counted(inOrder)
  const sorted = sortedFilesOf(read)
  assert.is(reads(), 1)
  assert.is(sorted.count, 4)
  assert.equal(paths(sorted), paths(inOrder))
  assert.is(reads(), 2)
  sorted.close()
})

test('files out of order: set aside by a second read and written sorted', () => {
  const files = ['DCIM/b.CR3', 'DCIM/a.CR3', 'A.CR3', 'DCIM/100/x'].map((p) => file(p))
  const { read, reads } = counted(files)
  const sorted = sortedFilesOf(read)
  assert.is(sorted.count, 4)
  assert.equal(paths(sorted), ['A.CR3', 'DCIM/100/x', 'DCIM/a.CR3', 'DCIM/b.CR3'])
  assert.is(reads(), 2, 'the first read stops at the first file out of order; the table takes the second')
  sorted.close()
})

test('a path given twice, next to each other or apart: E_INVALID_ARGUMENT', () => {
  const twice = (ps: string[]) => codeOf(() => sortedFilesOf(counted(ps.map((p) => file(p))).read))
  assert.is(twice(['a', 'b', 'b', 'c']), 'E_INVALID_ARGUMENT')
  assert.is(twice(['b', 'a', 'b']), 'E_INVALID_ARGUMENT')
})

test('a bad file anywhere is refused before anything is written', async () => {
  const root = tempDir()
  const files = ['a', 'b', 'c', 'd', 'e'].map((p) => file(p))
  files[3] = file('d', { hashes: { xxh128: 'nothex' } })
  try {
    await writeGenerationOf(root, { process: 'transfer', creator: CREATOR }, () => files.values())
    assert.unreachable('a bad hash was written')
  } catch (err) {
    assert.is((err as ShutterproofError).code, 'E_INVALID_ARGUMENT')
    assert.match((err as Error).message, /^d: xxh128/)
  }
  assert.equal(readdirSync(root), [], 'nothing written')
})

test('a second read that differs from the first is refused, and leaves no manifest', async () => {
  const files = ['a', 'b', 'c'].map((p) => file(p))
  const variants: Array<[string, MhlFileInput[]]> = [
    ['fewer', files.slice(0, 2)],
    ['more', [...files, file('d')]],
    ['out of order', [files[1]!, files[0]!, files[2]!]],
  ]
  for (const [what, second] of variants) {
    const root = tempDir()
    let n = 0
    const read = () => (n++ === 0 ? files : second).values()
    try {
      await writeGenerationOf(root, { process: 'transfer', creator: CREATOR }, read)
      assert.unreachable(what)
    } catch (err) {
      assert.match((err as Error).message, /first read|second read/, what)
    }
    assert.equal(historyNames(root), [], `${what}: no manifest, no chain, no temporary file`)
  }
})

test('nothing to record: no generation with unlessEmpty, an empty one without', async () => {
  const root = tempDir()
  const none = await writeGenerationOf(root, { process: 'in-place', creator: CREATOR }, () => [], true)
  assert.is(none, undefined)
  assert.equal(historyNames(root), [])
  const empty = await writeGenerationOf(root, { process: 'in-place', creator: CREATOR }, () => [])
  assert.is(empty?.generation, 1)
})

test('the same manifest bytes as writeGeneration of the same files, in order or not', async () => {
  const files = ['DCIM/100/b &amp; <c>.CR3', 'DCIM/100/a.CR3', 'x y/ü.NEF', 'A.CR3'].map((p, i) =>
    file(p, { size: i }),
  )
  const manifestOf = async (write: (root: string) => Promise<unknown>) => {
    const root = join(tempDir(), 'CARD')
    mkdirSync(root)
    await write(root)
    const [name] = historyNames(root).filter((n) => n.endsWith('.mhl'))
    return readFileSync(join(root, 'ascmhl', name!), 'utf8')
  }
  const options = { process: 'transfer' as const, creator: CREATOR, creationDate: DATE }
  const reference = await manifestOf((root) => writeGeneration(root, { ...options, files }))
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : 1))
  assert.is(await manifestOf((root) => writeGenerationOf(root, options, () => sorted.values())), reference)
  assert.is(await manifestOf((root) => writeGenerationOf(root, options, () => files.values())), reference)
  assert.ok(reference.indexOf('A.CR3') < reference.indexOf('DCIM/100/a.CR3'))
})

test.run()
