/**
 * The ASC MHL histories that `ingest` writes, checked by the schemas and by the reference
 * `ascmhl` tool; then one flipped byte, reported by our `verify` and by the reference tool,
 * both naming exactly that file.
 */
import { openSync, readdirSync, readSync, writeSync, closeSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { ingest, verify } from '../lib/index'
import { tempDir, vectorsDir } from './support/fixtures'
import { makeCard } from './support/ingest-fixtures'
import { hasAscmhl, hasXmllint, tool } from './support/mhl'

const vectors = vectorsDir()
const NAME =
  'ingest output: MHL valid (xmllint, ascmhl-debug verify, ascmhl info); a flipped byte is reported by both'

if (!vectors || !hasXmllint || !hasAscmhl) {
  console.warn(
    `\n  !!! SKIPPED: ${NAME} — needs ../shared/vectors, xmllint and ascmhl (npm test installs the tools as root)\n`,
  )
  test.skip(NAME, () => {})
} else {
  test(NAME, async () => {
    const card = makeCard({ raws: 3, rawBytes: 3 * 1024 * 1024, jpegs: 3 })
    const dest = tempDir('sp-mhlref-')
    const r = await ingest({
      source: card,
      destinations: [dest],
      session: { client: 'Ada', shoot: 'Ref', date: '2026-04-26' },
      minCopies: 1,
    })
    assert.is(r.status, 'completed')
    const root = r.perDestination[0]!.sessionRoot
    const mhlDir = join(root, 'ascmhl')
    for (const m of readdirSync(mhlDir).filter((n) => n.endsWith('.mhl'))) {
      const x = tool('xmllint', ['--noout', '--schema', join(vectors, 'ascmhl/ASCMHL.xsd'), join(mhlDir, m)])
      assert.is(x.status, 0, x.output)
    }
    const chain = tool('xmllint', [
      '--noout',
      '--schema',
      join(vectors, 'ascmhl/ASCMHLDirectory__combined.xsd'),
      join(mhlDir, 'ascmhl_chain.xml'),
    ])
    assert.is(chain.status, 0, chain.output)
    const ok = tool('ascmhl-debug', ['verify', root])
    assert.is(ok.status, 0, ok.output)
    const info = tool('ascmhl', ['info', '-v', root])
    assert.is(info.status, 0, info.output)
    assert.match(info.output, /Generation 1/i)
    assert.match(info.output, /shutterproof/i)
    assert.match(info.output, /ProcessInfo: transfer/)

    const victim = r.files.find((f) => f.size > 1000)!.path
    const fd = openSync(join(root, victim), 'r+')
    const b = Buffer.alloc(1)
    readSync(fd, b, 0, 1, 500)
    b[0]! ^= 0x01
    writeSync(fd, b, 0, 1, 500)
    closeSync(fd)

    const ours = await verify(root)
    assert.is(ours.status, 'failed')
    assert.equal(ours.mismatches, [victim])
    const theirs = tool('ascmhl-debug', ['verify', root])
    assert.is(theirs.status, 11, theirs.output)
    const named = theirs.output.split('\n').filter((l) => /mismatch/i.test(l))
    assert.is(named.length, 1, theirs.output)
    assert.ok(named[0]!.includes(victim), named[0])
  })
}

test.run()
