/**
 * One first generation for every destination that holds the same files (issue #18): an
 * ingest renders it for the first destination and copies it, byte for byte, to the
 * others that have no history yet; anything else is written as before.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { ingest, readHistory, writeGeneration, type MhlFileInput } from '../lib/index'
import { copyFirstGeneration } from '../lib/mhl/write'
import { tempDir } from './support/fixtures'
import { listFiles, makeCard, MB } from './support/ingest-fixtures'

const CREATOR = { tool: 'shutterproof', version: '0.1.0' }
const XXH = 'b5e9c1ad071b3e7fc779cfaa5e523818'
const session = { client: 'Ada', shoot: 'Copy', date: '2026-04-26' }
const FOLDER = '2026-04-26_Ada_Copy'

const file = (path: string): MhlFileInput => ({
  path,
  size: 5,
  lastModified: new Date('2024-01-01T00:00:00Z'),
  hashes: { xxh128: XXH },
  action: 'original',
})

/** `parent/name`, made. */
function folder(parent: string, name = 'CARD'): string {
  const dir = join(parent, name)
  mkdirSync(dir)
  return dir
}

function historyFiles(root: string): Record<string, string> {
  const dir = join(root, 'ascmhl')
  return Object.fromEntries(readdirSync(dir).map((n) => [n, readFileSync(join(dir, n), 'utf8')]))
}

test('copied into a root without a history: the same manifest and C4 ID, a chain of its own', async () => {
  const from = folder(tempDir())
  const written = await writeGeneration(from, { process: 'transfer', creator: CREATOR, files: [file('a')] })
  const to = folder(tempDir())
  const copied = await copyFirstGeneration(to, written)
  assert.ok(copied)
  assert.is(copied.c4, written.c4)
  assert.is(
    copied.manifestPath,
    join(
      to,
      'ascmhl',
      readdirSync(join(from, 'ascmhl')).find((n) => n.endsWith('.mhl'))!,
    ),
  )
  assert.equal(historyFiles(to), historyFiles(from))
  const history = await readHistory(to)
  assert.is(history.generations.length, 1)
  assert.is(history.generations[0]!.chain, 'ok')
  assert.equal(
    history.generations[0]!.files.map((f) => f.path),
    ['a'],
  )
})

test('not copied (undefined, nothing written) into a root with a history, of another name, or from a changed manifest', async () => {
  const from = folder(tempDir())
  const written = await writeGeneration(from, { process: 'transfer', creator: CREATOR, files: [file('a')] })

  const withHistory = folder(tempDir())
  await writeGeneration(withHistory, { process: 'transfer', creator: CREATOR, files: [file('b')] })
  const before = historyFiles(withHistory)
  assert.is(await copyFirstGeneration(withHistory, written), undefined)
  assert.equal(historyFiles(withHistory), before)

  const otherName = folder(tempDir(), 'OTHER')
  assert.is(await copyFirstGeneration(otherName, written), undefined)
  assert.equal(readdirSync(otherName), [])

  const second = await writeGeneration(from, { process: 'in-place', creator: CREATOR, files: [file('a')] })
  assert.is(await copyFirstGeneration(folder(tempDir()), second), undefined, 'only a first generation')

  writeFileSync(
    written.manifestPath,
    readFileSync(written.manifestPath, 'utf8').replace('<hashes>', '<hashes> '),
  )
  const target = folder(tempDir())
  assert.is(await copyFirstGeneration(target, written), undefined)
  assert.equal(readdirSync(join(target, 'ascmhl')), [], 'no manifest, no chain, no temporary file')
})

test('ingest to two new destinations: both get the one first generation; to one with a history, its own', async () => {
  const card = makeCard({ raws: 2, rawBytes: MB, jpegs: 2 })
  const a = tempDir()
  const b = tempDir()
  const r = await ingest({ source: card, destinations: [a, b], session })
  assert.is(r.status, 'completed')
  assert.ok(r.safeToFormat, JSON.stringify(r.reasons))
  assert.equal(historyFiles(join(b, FOLDER)), historyFiles(join(a, FOLDER)))
  for (const d of [a, b]) {
    const h = await readHistory(join(d, FOLDER))
    assert.equal(
      h.generations.map((g) => [g.generation, g.chain, g.files.length]),
      [[1, 'ok', listFiles(card).length]],
    )
    assert.ok(h.generations[0]!.files.every((f) => f.hashes.xxh128?.action === 'original'))
  }

  // Again, with two new destinations: the first two have a history (generation 2, every
  // file verified); the first new one gets a first generation of its own (every file
  // original), which the second new one shares.
  const c = tempDir()
  const e = tempDir()
  const again = await ingest({ source: card, destinations: [a, b, c, e], session })
  assert.is(again.status, 'completed')
  const actions = async (d: string) =>
    (await readHistory(join(d, FOLDER))).generations.map((g) => [
      g.generation,
      [...new Set(g.files.map((f) => f.hashes.xxh128?.action))],
    ])
  assert.equal(await actions(a), [
    [1, ['original']],
    [2, ['verified']],
  ])
  assert.equal(await actions(c), [[1, ['original']]])
  assert.equal(historyFiles(join(e, FOLDER)), historyFiles(join(c, FOLDER)))
  assert.not.equal(historyFiles(join(c, FOLDER)), historyFiles(join(a, FOLDER)))
})

test.run()
