/**
 * The pieces a backup keeps its per-file state in (issue #18): the session's file list
 * and the snapshot spilled a line at a time, the snapshot's text written and scanned in
 * pieces byte for byte as `JSON.stringify` / `JSON.parse` have it, the compact set of
 * object names. Fast, and run on every Node (backup-scale.spec.ts holds the 20,000-file
 * runs).
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import type { Snapshot, SnapshotFile } from '../lib/index'
import { ObjectSet } from '../lib/backup/object-set'
import { compareWalkOrder, PreviousFiles } from '../lib/backup/prior-snapshots'
import { SnapshotScanner } from '../lib/backup/snapshot-scanner'
import { SnapshotWriter } from '../lib/backup/snapshot-writer'
import { sessionFiles, spillSessionFiles } from '../lib/backup/walk'
import { tempDir } from './support/fixtures'

/** Entries whose paths hold what a scanner could trip on: quotes, brackets, braces, escapes. */
function hostileSnapshot(): Snapshot {
  const paths = ['a"b/{c}.JPG', 'd/[e],{"files":[1]}.CR3', 'f\\g\u2028h/é.RAF', 'plain.JPG']
  const files: SnapshotFile[] = paths.map((path, i) => ({
    path,
    object: String(i).repeat(64),
    size: i * 1000.5,
    mtimeMs: 1_777_000_000_000.25 + i,
    blake3: 'ab'.repeat(32),
  }))
  return {
    format: 'shutterproof-snapshot/1',
    session: 's "[x]"',
    createdAt: '2026-04-26T10:00:00.000Z',
    files,
  }
}

/** Head and entries a scanner reads from `text` fed in pieces of `size` characters. */
function scan(text: string, size: number): Snapshot {
  const files: SnapshotFile[] = []
  const scanner = new SnapshotScanner((e) => files.push(e))
  for (let i = 0; i < text.length; i += size) scanner.push(text.slice(i, i + size))
  return { ...(scanner.end() as Snapshot), files }
}

test('a snapshot scanned in pieces reads as JSON.parse reads it, in any layout', () => {
  const s = hostileSnapshot()
  const { files, ...head } = s
  const layouts = {
    written: JSON.stringify(s),
    pretty: JSON.stringify(s, null, 2),
    'files first': JSON.stringify({ files, ...head }),
    'files in the middle': JSON.stringify({
      format: s.format,
      files,
      session: s.session,
      createdAt: s.createdAt,
    }),
    empty: JSON.stringify({ ...head, files: [] }),
  }
  for (const [name, text] of Object.entries(layouts))
    for (const size of [1, 2, 7, 64, text.length])
      assert.equal(scan(text, size), JSON.parse(text), `${name}/${size}`)
  const cut = layouts.written.slice(0, -60)
  assert.throws(() => scan(cut, 5))
})

test('a snapshot written in pieces is byte for byte JSON.stringify(snapshot)', async () => {
  const dir = tempDir('sp-snapw-')
  for (const s of [hostileSnapshot(), { ...hostileSnapshot(), files: [] }]) {
    const name = `${s.files.length}`
    const w = await SnapshotWriter.create(join(dir, `entries-${name}.jsonl`))
    // Finished out of order, as concurrent workers finish them.
    const order = s.files.map((_, i) => i).reverse()
    for (const i of order) await w.add(i, s.files[i], false)
    assert.is(await w.finish(undefined), false)
    const { files: _, ...head } = s
    await w.writeText(join(dir, `snapshot-${name}.json`), head)
    assert.is(await readFile(join(dir, `snapshot-${name}.json`), 'utf8'), JSON.stringify(s))
  }
})

test('the walk is in compareWalkOrder; the previous list is found beside it', async () => {
  const root = tempDir('sp-walk-')
  for (const p of ['a/b', 'a.txt', 'a-/c', 'B', 'a b', 'a/a/z', 'a/ä']) {
    mkdirSync(join(root, p, '..'), { recursive: true })
    writeFileSync(join(root, p), p)
  }
  const spill = join(tempDir('sp-walk-spill-'), 'files.jsonl')
  const walk = await spillSessionFiles(root, spill)
  assert.is(walk.files, 7)
  const paths: string[] = []
  for await (const f of sessionFiles(root, spill)) paths.push(f.path)
  assert.equal(paths, [...paths].sort(compareWalkOrder))
  assert.equal(paths, ['B', 'a/a/z', 'a/b', 'a/ä', 'a b', 'a-/c', 'a.txt'])

  // A previous list missing one path and holding one the walk no longer has.
  const previous = join(tempDir('sp-prev-'), 'previous.jsonl')
  const listed = ['B', 'a/a/y', 'a/b', 'a b', 'a-/c', 'a.txt']
  writeFileSync(previous, listed.map((path) => JSON.stringify({ path }) + '\n').join(''))
  const found = new PreviousFiles(previous)
  const hits: Array<[string, number | undefined]> = []
  for (const p of paths) hits.push([p, (await found.find(p))?.index])
  await found.close()
  assert.equal(hits, [
    ['B', 0],
    ['a/a/z', undefined],
    ['a/b', 2],
    ['a/ä', undefined],
    ['a b', 3],
    ['a-/c', 4],
    ['a.txt', 5],
  ])
})

test('a name holding U+2028 or U+2029 comes back from the spill whole, on every Node', async () => {
  // node:readline on Node 24 splits lines at these, which JSON.stringify leaves raw.
  const root = tempDir('sp-walk-ls-')
  const names = ['a\u2028b.JPG', 'c\u2029d.JPG', 'plain.JPG']
  for (const p of names) writeFileSync(join(root, p), p)
  const spill = join(tempDir('sp-walk-ls-spill-'), 'files.jsonl')
  assert.is((await spillSessionFiles(root, spill)).files, 3)
  const paths: string[] = []
  for await (const f of sessionFiles(root, spill)) paths.push(f.path)
  assert.equal(paths.sort(), [...names].sort())
})

test('the compact set of object names answers as a Set does', () => {
  const set = new ObjectSet()
  const model = new Set<string>()
  const names = Array.from({ length: 3000 }, () => randomBytes(32).toString('hex'))
  for (let step = 0; step < 12_000; step++) {
    const name = names[(step * 7919) % names.length]!
    if (step % 5 === 4) {
      set.delete(name)
      model.delete(name)
    } else {
      set.add(name)
      model.add(name)
    }
  }
  for (const n of names) assert.is(set.has(n), model.has(n), n)
  assert.is(set.size, model.size)
  assert.equal([...set.names()].sort(), [...model].sort())
  set.add('not-a-name')
  assert.not.ok(set.has('not-a-name'))
  assert.not.ok(set.has('A'.repeat(64)))
})

test.run()
