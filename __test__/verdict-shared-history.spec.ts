/**
 * The verdict reads each ASC MHL history once (issue #18): destinations whose histories
 * are the same byte for byte (chain entries, manifests by name and C4 ID) share one
 * table of paths; any difference in a manifest or the chain means a reading of its own.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { ingest, safeToFormat } from '../lib/index'
import { HistoryPathsReader } from '../lib/ingest/history'
import { c4IdOfFile } from '../lib/mhl/c4'
import { tempDir } from './support/fixtures'
import { makeCard, MB } from './support/ingest-fixtures'

const session = { client: 'Ada', shoot: 'Shared', date: '2026-04-26' }
const FOLDER = '2026-04-26_Ada_Shared'
const DROPPED = 'DCIM/100CANON/IMG_0001.xmp'

async function ingestToTwo(): Promise<{ card: string; roots: string[] }> {
  const card = makeCard({ rawBytes: MB, raws: 2, jpegs: 1 })
  const dests = [tempDir('sp-dst-'), tempDir('sp-dst-')]
  const report = await ingest({ source: card, destinations: dests, session })
  assert.is(report.status, 'completed')
  assert.is(report.safeToFormat, true)
  return { card, roots: dests.map((d) => join(d, FOLDER)) }
}

function manifestOf(root: string): string {
  const dir = join(root, 'ascmhl')
  return join(
    dir,
    readdirSync(dir).find((n) => n.endsWith('.mhl'))!,
  )
}

/** Rewrites `root`'s manifest without `path`'s entry and records its new C4 ID in the chain: a consistent history that lacks one file. */
async function dropFromHistory(root: string, path: string): Promise<void> {
  const manifest = manifestOf(root)
  const before = await c4IdOfFile(manifest)
  const xml = readFileSync(manifest, 'utf8')
  const entry = new RegExp(`\\s*<hash>\\s*<path[^>]*>${path.replace(/\./g, '\\.')}</path>[\\s\\S]*?</hash>`)
  assert.match(xml, entry)
  writeFileSync(manifest, xml.replace(entry, ''))
  const after = await c4IdOfFile(manifest)
  const chain = join(root, 'ascmhl', 'ascmhl_chain.xml')
  const chainXml = readFileSync(chain, 'utf8')
  assert.ok(chainXml.includes(before))
  writeFileSync(chain, chainXml.replace(before, after))
}

test('two destinations of one ingest: one table, read once, and the card is safe', async () => {
  const { card, roots } = await ingestToTwo()
  const reader = new HistoryPathsReader()
  try {
    const [a, b] = [await reader.read(roots[0]!), await reader.read(roots[1]!)]
    assert.is(a.error, undefined)
    assert.ok(a.identity)
    assert.is(b.identity, a.identity)
    assert.ok(b.files === a.files, 'the second destination shares the first one’s table')
    assert.ok(a.files.has(DROPPED))
  } finally {
    reader.close()
  }
  const v = await safeToFormat(card, roots)
  assert.is(v.safe, true, JSON.stringify(v.reasons))
})

test('a history that lacks one file, chain consistent: read on its own, and the verdict names the file there', async () => {
  const { card, roots } = await ingestToTwo()
  await dropFromHistory(roots[1]!, DROPPED)
  const reader = new HistoryPathsReader()
  try {
    const [a, b] = [await reader.read(roots[0]!), await reader.read(roots[1]!)]
    assert.is(b.error, undefined)
    assert.is.not(b.identity, a.identity)
    assert.ok(b.files !== a.files)
    assert.ok(a.files.has(DROPPED))
    assert.not.ok(b.files.has(DROPPED))
  } finally {
    reader.close()
  }
  const v = await safeToFormat(card, roots)
  assert.is(v.safe, false)
  assert.equal(
    v.reasons.map((r) => [r.code, r.path, r.destination]),
    [
      ['no-manifest', DROPPED, roots[1]],
      ['too-few-copies', DROPPED, undefined],
    ],
  )
  assert.match(v.reasons[0]!.message, /not in the session's ASC MHL history/)
})

test('a manifest changed after it was chained, at either destination: that destination’s history is an error, the other still counts', async () => {
  for (const changed of [0, 1]) {
    const { card, roots } = await ingestToTwo()
    const manifest = manifestOf(roots[changed]!)
    writeFileSync(
      manifest,
      readFileSync(manifest, 'utf8').replace('</hashlist>', '<!-- edited --></hashlist>'),
    )
    const v = await safeToFormat(card, roots)
    assert.is(v.safe, false)
    const noManifest = v.reasons.filter((r) => r.code === 'no-manifest')
    assert.ok(noManifest.length > 0)
    assert.ok(noManifest.every((r) => r.destination === roots[changed]))
    assert.match(noManifest[0]!.message, /ASC MHL history cannot be read \(.*changed after it was written/)
    assert.ok(
      v.reasons.filter((r) => r.code === 'too-few-copies').length === noManifest.length,
      'each file lacks one copy, not two',
    )
  }
})

test.run()
