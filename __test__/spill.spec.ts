/**
 * The table behind per-file state (lib/spill/table.ts), in memory while small and on disk
 * past its budget: rows come back in JavaScript's string order (what
 * `Array.prototype.sort` gives, which manifests and reports are written in) either way, a
 * failed part leaves none of its writes (also when the table moved to disk during the
 * part), and a closed table holds nothing and leaves no file behind.
 */
import { readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { IN_MEMORY_CHARS, SpillTable } from '../lib/spill/table'

const spills = () => readdirSync(tmpdir()).filter((n) => n.startsWith('shutterproof-spill-'))

for (const [where, inMemoryChars] of [
  ['in memory', undefined],
  ['on disk', 0],
] as const)
  test(`rows come back sorted as JavaScript sorts strings, a page at a time (${where})`, () => {
    const t = new SpillTable({ inMemoryChars })
    // UTF-16 order differs from UTF-8 byte order for astral characters against U+E000–U+FFFF.
    const paths = [
      'b',
      'a/b',
      'a.b',
      'a',
      '\uFFFD',
      '😀',
      'é',
      'A',
      ...Array.from({ length: 1200 }, (_, i) => `x/${i}`),
    ]
    for (const [i, p] of paths.entries()) t.set(p, String(i))
    t.set('a', 'again')
    assert.is(t.size, paths.length)
    const rows = [...t.entries()]
    assert.equal(
      rows.map(([p]) => p),
      [...paths].sort(),
    )
    assert.is(t.get('a'), 'again')
    assert.ok(t.has('😀') && !t.has('nope'))
    assert.is(t.onDisk, inMemoryChars === 0)
    t.close()
  })

test('a failed part leaves none of its writes; close removes everything', async () => {
  const before = spills().length
  const t = new SpillTable()
  t.set('kept', '1')
  await t
    .atomically(async () => {
      t.set('kept', '2')
      t.set('gone', '3')
      await new Promise((r) => setTimeout(r, 1))
      throw new Error('damaged record')
    })
    .then(
      () => assert.unreachable(),
      (err: Error) => assert.is(err.message, 'damaged record'),
    )
  assert.is(t.get('kept'), '1')
  assert.is(t.get('gone'), undefined)
  assert.is(await t.atomically(async () => (t.set('new', '4'), 'ok')), 'ok')
  assert.is(t.get('new'), '4')
  t.close()
  t.close()
  assert.is(t.get('kept'), undefined)
  assert.is(t.size, 0)
  assert.is(spills().length, before)
})

test('a table moves to disk once its text passes the budget, also in the middle of a part, which still rolls back whole', async () => {
  const before = spills().length
  const t = new SpillTable({ inMemoryChars: 300 })
  t.set('kept', 'a')
  t.set('changed', 'b')
  assert.not.ok(t.onDisk)
  await t
    .atomically(async () => {
      t.set('changed', 'c')
      for (let i = 0; i < 20; i++) t.set(`new/${i}`, 'x'.repeat(10))
      assert.ok(t.onDisk, 'moved within the part')
      assert.is(spills().length, before + 1)
      await new Promise((r) => setTimeout(r, 1))
      throw new Error('damaged record')
    })
    .catch((err: Error) => assert.is(err.message, 'damaged record'))
  assert.equal(
    [...t.entries()],
    [
      ['changed', 'b'],
      ['kept', 'a'],
    ],
  )
  await t.atomically(async () => t.set('later', 'd'))
  assert.equal(
    [...t.entries()].map(([p]) => p),
    ['changed', 'kept', 'later'],
  )
  t.close()
  assert.is(spills().length, before)
})

test('rows set while the table is read (each row given its outcome) move it to disk without losing or repeating one', () => {
  const t = new SpillTable({ inMemoryChars: 38_000 })
  const paths = Array.from({ length: 300 }, (_, i) => `DCIM/${String(i).padStart(3, '0')}.JPG`)
  for (const p of paths) t.set(p, 'expected')
  assert.not.ok(t.onDisk)
  const seen: string[] = []
  for (const [path, value] of t.entries()) {
    assert.is(value, 'expected', path)
    seen.push(path)
    t.set(path, 'checked: verified')
  }
  assert.ok(t.onDisk, 'moved while read')
  assert.equal(seen, paths)
  assert.ok([...t.entries()].every(([, v]) => v === 'checked: verified'))
  // Replacing a value counts its new length only: rewriting rows in place stays in memory.
  const small = new SpillTable({ inMemoryChars: 4000 })
  for (let round = 0; round < 50; round++) for (let i = 0; i < 10; i++) small.set(`p${i}`, 'x'.repeat(100))
  assert.not.ok(small.onDisk)
  small.close()
  t.close()
})

test('a card of a couple of thousand files stays in memory; the budget is about 1 MiB', () => {
  assert.is(IN_MEMORY_CHARS, 1024 * 1024)
  const t = new SpillTable()
  // A record entry of our evidence tables is ~300 characters: 2,000 of them fit, 3,000 do not.
  for (let i = 0; i < 2000; i++) t.set(`DCIM/100CANON/IMG_${i}.CR3`, 'e'.repeat(300))
  assert.not.ok(t.onDisk)
  for (let i = 2000; i < 3000; i++) t.set(`DCIM/100CANON/IMG_${i}.CR3`, 'e'.repeat(300))
  assert.ok(t.onDisk)
  assert.is(t.size, 3000)
  assert.is(t.get('DCIM/100CANON/IMG_0.CR3'), 'e'.repeat(300))
  t.close()
  // Short rows count what each costs beyond its text: 20,000 paths alone do not stay.
  const paths = new SpillTable()
  for (let i = 0; i < 20_000; i++) paths.set(`DCIM/${100 + (i % 20)}CANON/IMG_${i}.JPG`, '')
  assert.ok(paths.onDisk)
  paths.close()
})

test.run()
