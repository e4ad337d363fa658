/** readHistory and C4 IDs on the two-generation history the reference tool wrote (shared vectors). */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { c4IdOfFile, latestHashes, readHistory } from '../lib/index'
import { vectorsDir } from './support/fixtures'

const dir = vectorsDir()
const NAME = 'reference ASC MHL sample: readHistory, C4 IDs of its manifests, latestHashes'

if (!dir) {
  console.warn(`\n  !!! SKIPPED: ${NAME} — ../shared/vectors is absent (set SHUTTERPROOF_VECTORS)\n`)
  test.skip(NAME, () => {})
} else {
  const sample = join(dir, 'ascmhl/sample')

  test('C4 IDs of the sample manifests equal those in its ascmhl_chain.xml', async () => {
    const chain = readFileSync(join(sample, 'ascmhl/ascmhl_chain.xml'), 'utf8')
    const pairs = [...chain.matchAll(/<path>([^<]+)<\/path>\s*<c4>([^<]+)<\/c4>/g)]
    assert.is(pairs.length, 2)
    for (const [, file, c4] of pairs) assert.is(await c4IdOfFile(join(sample, 'ascmhl', file!)), c4, file)
  })

  test('readHistory parses the sample: 2 generations, creator, process, ignores, files, directory and root hashes', async () => {
    const h = await readHistory(sample)
    assert.is(h.generations.length, 2)
    const [g1, g2] = h.generations
    assert.equal([g1!.generation, g2!.generation], [1, 2])
    assert.equal([g1!.chain, g2!.chain], ['ok', 'ok'])
    assert.is(
      g1!.chainC4,
      'c43qQABrjeiU3kteaNFtgwufQRLKxgMJEZfNSj6LcZ8fKwB568U8As9eScRsnb64NfqiAYzjNUXs81tAxPB77PUThb',
    )
    assert.is(g1!.fileName, '0001_A002R2EC_2020-01-16_091500Z.mhl')
    assert.is(g1!.creator.tool, 'ascmhl.py')
    assert.is(g1!.creator.version, '0.3 alpha')
    assert.is(g1!.creator.hostName, 'myHost.local')
    assert.is(g1!.creator.creationDate.toISOString(), '2020-01-16T09:15:00.000Z')
    assert.is(g1!.process, 'in-place')
    assert.equal(g1!.ignore, ['.DS_Store', 'ascmhl', 'ascmhl/'])
    assert.equal(
      g1!.files.map((f) => f.path),
      ['Clips/A002C006_141024_R2EC.mov', 'Clips/A002C007_141024_R2EC.mov', 'Sidecar.txt'],
    )
    const clip = g1!.files[0]!
    assert.is(clip.size, 5)
    assert.is(clip.lastModified!.toISOString(), '2020-01-15T13:00:00.000Z')
    assert.equal(clip.hashes.xxh64, {
      value: '0ea03b369a463d9d',
      action: 'original',
      hashDate: new Date('2020-01-16T09:15:00Z'),
    })
    assert.is(g2!.files[2]!.hashes.xxh64!.value, '3ab5a4166b9bde44')
    assert.is(g2!.files[2]!.hashes.xxh64!.action, 'verified')
    assert.is(g1!.directories.length, 1)
    assert.is(g1!.directories[0]!.path, 'Clips')
    assert.is(g1!.directories[0]!.content.xxh64!.value, '4c226b42e27d7af3')
    assert.is(g1!.directories[0]!.structure.xxh64!.value, '906faa843d591a9f')
    assert.is(g1!.rootHash!.content.xxh64!.value, '8d02114c32e28cbe')
    assert.is(g1!.rootHash!.structure.xxh64!.value, 'f557f8ca8e5a88ef')
  })

  test('latestHashes on the sample: newest generation wins, per path', async () => {
    const latest = latestHashes(await readHistory(sample))
    assert.equal([...latest.keys()].sort(), [
      'Clips/A002C006_141024_R2EC.mov',
      'Clips/A002C007_141024_R2EC.mov',
      'Sidecar.txt',
    ])
    const side = latest.get('Sidecar.txt')!
    assert.equal(side.hashes.xxh64, { value: '3ab5a4166b9bde44', action: 'verified', generation: 2 })
    assert.is(side.size, 58)
    assert.is(side.lastGeneration, 2)
    assert.is(side.lastAction, 'verified')
  })
}

test.run()
