/** Typed errors of the ASC MHL API, latestHashes with failed generations, and write safety. */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import {
  latestHashes,
  MhlError,
  readHistory,
  ShutterproofError,
  writeGeneration,
  type MhlFileInput,
} from '../lib/index'
import { tempDir } from './support/fixtures'

const CREATOR = { tool: 'shutterproof', version: '0.1.0' }
const XXH = 'b5e9c1ad071b3e7fc779cfaa5e523818'
const file = (over: Partial<MhlFileInput> = {}): MhlFileInput => ({
  path: 'a.bin',
  size: 5,
  lastModified: new Date('2024-01-01T00:00:00Z'),
  hashes: { xxh128: XXH },
  action: 'original',
  ...over,
})

async function rejects(p: Promise<unknown>, code: string): Promise<ShutterproofError> {
  try {
    await p
  } catch (err) {
    assert.instance(err, ShutterproofError)
    assert.is((err as ShutterproofError).code, code, (err as Error).message)
    return err as ShutterproofError
  }
  assert.unreachable(`expected ${code}`)
  throw new Error('unreachable')
}

test('no history: E_MHL_NO_HISTORY (no ascmhl/ folder, or an empty one)', async () => {
  const root = tempDir()
  const err = await rejects(readHistory(root), 'E_MHL_NO_HISTORY')
  assert.instance(err, MhlError)
  mkdirSync(join(root, 'ascmhl'))
  await rejects(readHistory(root), 'E_MHL_NO_HISTORY')
})

test('malformed manifests and chain files: E_MHL_INVALID naming the file', async () => {
  const root = tempDir()
  await writeGeneration(root, { process: 'transfer', creator: CREATOR, files: [file()] })
  const [name] = readdirSync(join(root, 'ascmhl')).filter((n) => n.endsWith('.mhl'))
  const manifest = join(root, 'ascmhl', name!)
  const good = readFileSync(manifest, 'utf8')
  const cases: Array<[string, string]> = [
    ['truncated', good.slice(0, good.length / 2)],
    ['not MHL', '<?xml version="1.0"?><html><body/></html>'],
    ['wrong version', good.replace('version="2.0"', 'version="1.1"')],
    ['unknown process', good.replace('<process>transfer</process>', '<process>teleport</process>')],
    ['unknown action', good.replace('action="original"', 'action="guessed"')],
  ]
  for (const [what, xml] of cases) {
    writeFileSync(manifest, xml)
    // strict: false so the C4 check does not speak first
    const err = await rejects(readHistory(root, { strict: false }), 'E_MHL_INVALID')
    assert.is(err.path, manifest, what)
  }
  writeFileSync(manifest, good)
  writeFileSync(join(root, 'ascmhl/ascmhl_chain.xml'), '<ascmhldirectory><hashlist sequencenr="1"><path>x')
  await rejects(readHistory(root), 'E_MHL_INVALID')
})

test('a changed manifest: E_MHL_CHAIN_MISMATCH, or reported with strict: false; writeGeneration refuses to extend it', async () => {
  const root = tempDir()
  await writeGeneration(root, { process: 'transfer', creator: CREATOR, files: [file()] })
  const [name] = readdirSync(join(root, 'ascmhl')).filter((n) => n.endsWith('.mhl'))
  const manifest = join(root, 'ascmhl', name!)
  writeFileSync(manifest, readFileSync(manifest, 'utf8').replace(XXH, XXH.replace('b5', 'b6')))
  await rejects(readHistory(root), 'E_MHL_CHAIN_MISMATCH')
  const h = await readHistory(root, { strict: false })
  assert.is(h.generations[0]!.chain, 'mismatch')
  assert.is.not(h.generations[0]!.c4, h.generations[0]!.chainC4)
  await rejects(
    writeGeneration(root, { process: 'in-place', creator: CREATOR, files: [file({ action: 'verified' })] }),
    'E_MHL_CHAIN_MISMATCH',
  )
  assert.is(
    readdirSync(join(root, 'ascmhl')).filter((n) => n.endsWith('.mhl')).length,
    1,
    'nothing was appended',
  )
})

test('bad input: E_INVALID_ARGUMENT, and nothing is written', async () => {
  const root = tempDir()
  const bad: Array<[string, Partial<MhlFileInput>]> = [
    ['absolute path', { path: '/etc/passwd' }],
    ['dot-dot', { path: 'a/../b' }],
    ['control character', { path: 'a\u0001b' }],
    ['no hash', { hashes: {} }],
    ['BLAKE3 (MHL cannot carry it)', { hashes: { blake3: 'ab' } as never }],
    ['short xxh128', { hashes: { xxh128: 'abc' } }],
    ['negative size', { size: -1 }],
    ['bad action', { action: 'new' as never }],
    ['bad date', { lastModified: new Date(Number.NaN) }],
  ]
  for (const [what, over] of bad) {
    try {
      await writeGeneration(root, { process: 'transfer', creator: CREATOR, files: [file(over)] })
      assert.unreachable(what)
    } catch (err) {
      assert.is((err as ShutterproofError).code, 'E_INVALID_ARGUMENT', what)
    }
  }
  await rejects(
    writeGeneration(root, { process: 'transfer', creator: CREATOR, files: [file(), file()] }),
    'E_INVALID_ARGUMENT',
  )
  await rejects(
    writeGeneration(root, { process: 'copy' as never, creator: CREATOR, files: [file()] }),
    'E_INVALID_ARGUMENT',
  )
  await rejects(
    writeGeneration(join(root, 'nope'), { process: 'transfer', creator: CREATOR, files: [file()] }),
    'ENOENT',
  )
  assert.equal(readdirSync(root), [], 'nothing written')
})

test('hashes accepted: a HashResult with size, several formats in schema order, c4 from SHA-512 hex; ignore patterns accumulate', async () => {
  const root = tempDir()
  const sha512 = 'f'.repeat(128)
  await writeGeneration(root, {
    process: 'transfer',
    creator: CREATOR,
    ignore: ['*.tmp'],
    files: [
      file({
        hashes: {
          size: 5,
          xxh64: '26c7827d889f6da3',
          md5: '5d41402abc4b2a76b9719d911017c592',
          c4: sha512,
        } as never,
      }),
    ],
  })
  await writeGeneration(root, {
    process: 'in-place',
    creator: CREATOR,
    ignore: ['Thumbs.db'],
    files: [file({ action: 'verified', hashes: { xxh64: '26c7827d889f6da3' } })],
  })
  const h = await readHistory(root)
  const f = h.generations[0]!.files[0]!
  assert.equal(Object.keys(f.hashes), ['c4', 'md5', 'xxh64'])
  assert.match(f.hashes.c4!.value, /^c4[1-9A-HJ-NP-Za-km-z]{88}$/)
  assert.equal(h.generations[1]!.ignore, [
    '.DS_Store',
    'ascmhl',
    'ascmhl/',
    '.shutterproof/',
    '*.tmp',
    'Thumbs.db',
  ])
})

test('latestHashes: failed records do not replace the expected hash unless asked; lastAction says failed', async () => {
  const root = tempDir()
  await writeGeneration(root, {
    process: 'transfer',
    creator: CREATOR,
    files: [file(), file({ path: 'b.bin' })],
  })
  await writeGeneration(root, {
    process: 'in-place',
    creator: CREATOR,
    files: [
      file({ action: 'failed', hashes: { xxh128: 'f'.repeat(32) } }),
      file({ path: 'b.bin', action: 'verified' }),
    ],
  })
  const h = await readHistory(root)
  const a = latestHashes(h).get('a.bin')!
  assert.equal(a.hashes.xxh128, { value: XXH, action: 'original', generation: 1 })
  assert.is(a.lastAction, 'failed')
  assert.is(a.lastGeneration, 2)
  assert.is(latestHashes(h, { includeFailed: true }).get('a.bin')!.hashes.xxh128!.value, 'f'.repeat(32))
  assert.equal(latestHashes(h).get('b.bin')!.hashes.xxh128, { value: XXH, action: 'verified', generation: 2 })
})

test('concurrent writes to one root get consecutive generations and a consistent chain', async () => {
  const root = tempDir()
  const results = await Promise.all(
    [0, 1, 2].map((i) =>
      writeGeneration(root, {
        process: 'in-place',
        creator: CREATOR,
        creationDate: new Date(Date.UTC(2024, 0, 1, 0, 0, i)),
        files: [file()],
      }),
    ),
  )
  assert.equal(results.map((r) => r.generation).sort(), [1, 2, 3])
  const h = await readHistory(root)
  assert.equal(
    h.generations.map((g) => [g.generation, g.chain]),
    [
      [1, 'ok'],
      [2, 'ok'],
      [3, 'ok'],
    ],
  )
  assert.not.ok(
    readdirSync(join(root, 'ascmhl')).some((n) => n.endsWith('.tmp')),
    'no temporary files left',
  )
})

test.run()
