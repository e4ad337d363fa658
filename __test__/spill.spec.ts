/**
 * The temporary on-disk table behind per-file state (lib/spill/table.ts): rows come back in
 * JavaScript's string order (what `Array.prototype.sort` gives, which manifests and
 * reports are written in), a failed part leaves none of its writes, and a closed table
 * holds nothing and leaves no file behind.
 */
import { readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { SpillTable } from '../lib/spill/table'

const spills = () => readdirSync(tmpdir()).filter((n) => n.startsWith('shutterproof-spill-'))

test('rows come back sorted as JavaScript sorts strings, a page at a time', () => {
  const t = new SpillTable()
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
  t.close()
})

test('insert stores a value only for a path without one, and says whether it did; a failed part takes its inserts back', async () => {
  const t = new SpillTable()
  assert.is(t.insert('a', '1'), true)
  assert.is(t.insert('a', '2'), false)
  assert.is(t.get('a'), '1')
  t.set('a', '3')
  assert.is(t.insert('a', '4'), false)
  assert.is(t.get('a'), '3')
  await t
    .atomically(async () => {
      assert.is(t.insert('b', '5'), true)
      throw new Error('damaged record')
    })
    .catch(() => {})
  assert.is(t.get('b'), undefined)
  assert.is(t.insert('b', '6'), true)
  assert.equal(
    [...t.entries()],
    [
      ['a', '3'],
      ['b', '6'],
    ],
  )
  t.close()
  assert.throws(() => t.insert('c', '7'), /closed/)
})

test('a lookup after any write sees it: set, insert, a part rolled back', async () => {
  const t = new SpillTable()
  assert.is(t.get('a'), undefined)
  t.set('a', '1')
  assert.is(t.get('a'), '1')
  assert.is(t.get('a'), '1')
  assert.is(t.get('b'), undefined)
  assert.ok(t.insert('b', '2'))
  assert.is(t.get('b'), '2')
  await t
    .atomically(async () => {
      t.set('a', '3')
      assert.is(t.get('a'), '3')
      throw new Error('damaged record')
    })
    .catch(() => {})
  assert.is(t.get('a'), '1')
  t.close()
  assert.is(t.get('a'), undefined)
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

test.run()
