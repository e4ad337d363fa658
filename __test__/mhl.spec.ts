/**
 * ASC MHL histories written by writeGeneration, checked by the schemas (xmllint), by the
 * reference tool (`ascmhl-debug verify`, `ascmhl info`) and by readHistory.
 */
import {
  cpSync,
  readdirSync,
  readFileSync,
  writeFileSync,
  mkdirSync,
  openSync,
  readSync,
  writeSync,
  closeSync,
  rmSync,
} from 'node:fs'
import { basename, join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { c4IdOfFile, latestHashes, readHistory, writeGeneration, type WrittenGeneration } from '../lib/index'
import { tempDir, vectorsDir } from './support/fixtures'
import {
  hasAscmhl,
  hasXmllint,
  makeSession,
  NFD_NAME,
  SESSION_FILES,
  sessionEntries,
  tool,
} from './support/mhl'

const CREATOR = {
  tool: 'shutterproof',
  version: '0.1.0',
  hostName: 'ingest-01',
  author: { name: 'Ana Lima', email: 'ana@example.com', role: 'DIT' },
}
const DAY1 = new Date('2024-05-01T10:15:30.250Z')
const DAY2 = new Date('2024-05-02T18:00:05Z')

/** A session with two generations: the ingest (transfer, original) and a check (in-place, verified). */
async function twoGenerations(): Promise<{ root: string; written: WrittenGeneration[] }> {
  const root = makeSession()
  const written = [
    await writeGeneration(root, {
      process: 'transfer',
      creator: CREATOR,
      creationDate: DAY1,
      files: await sessionEntries(root, 'original'),
    }),
    await writeGeneration(root, {
      process: 'in-place',
      creator: CREATOR,
      creationDate: DAY2,
      files: await sessionEntries(root, 'verified'),
    }),
  ]
  return { root, written }
}

/** A copy of a session under a new temporary folder, same root name. */
function copyOf(root: string): string {
  const copy = join(tempDir('sp-mhl-copy-'), basename(root))
  cpSync(root, copy, { recursive: true })
  return copy
}

test('two generations: numbered names, chain with C4 IDs, read back with paths (NFD kept), sizes, dates, actions', async () => {
  const { root, written } = await twoGenerations()
  assert.equal(
    written.map((w) => w.generation),
    [1, 2],
  )
  assert.equal(readdirSync(join(root, 'ascmhl')).sort(), [
    '0001_A002R2EC_2024-05-01_101530Z.mhl',
    '0002_A002R2EC_2024-05-02_180005Z.mhl',
    'ascmhl_chain.xml',
  ])
  for (const w of written) assert.is(await c4IdOfFile(w.manifestPath), w.c4)
  const chain = readFileSync(join(root, 'ascmhl/ascmhl_chain.xml'), 'utf8')
  for (const w of written)
    assert.ok(chain.includes(`<c4>${w.c4}</c4>`), 'chain lists the C4 of each manifest')

  const history = await readHistory(root)
  assert.is(history.generations.length, 2)
  const [g1, g2] = history.generations
  assert.equal([g1!.process, g2!.process], ['transfer', 'in-place'])
  assert.equal([g1!.chain, g2!.chain], ['ok', 'ok'])
  assert.is(g1!.creator.tool, 'shutterproof')
  assert.is(g1!.creator.version, '0.1.0')
  assert.is(g1!.creator.hostName, 'ingest-01')
  assert.equal(g1!.creator.authors, [{ name: 'Ana Lima', email: 'ana@example.com', role: 'DIT' }])
  assert.is(g1!.creator.creationDate.toISOString(), '2024-05-01T10:15:30.000Z')
  assert.ok(
    g1!.ignore.includes('.shutterproof/') &&
      g1!.ignore.includes('ascmhl/') &&
      g1!.ignore.includes('.DS_Store'),
  )
  assert.equal(
    g1!.files.map((f) => f.path),
    [...SESSION_FILES].sort(),
  )
  const nfd = g1!.files.find((f) => f.path.startsWith('Audio/'))!
  assert.is(nfd.path, `Audio/${NFD_NAME}`, 'the NFD name is kept as it is on disk')
  assert.is.not(nfd.path, nfd.path.normalize('NFC'))
  const expected = await sessionEntries(root, 'original')
  for (const e of expected) {
    const f1 = g1!.files.find((f) => f.path === e.path)!
    const f2 = g2!.files.find((f) => f.path === e.path)!
    assert.is(f1.size, e.size, e.path)
    assert.is(
      f1.lastModified!.getTime(),
      Math.floor(e.lastModified.getTime() / 1000) * 1000,
      `${e.path} mtime to the second`,
    )
    assert.equal(f1.hashes.xxh128!.value, e.hashes.xxh128, e.path)
    assert.is(f1.hashes.xxh128!.action, 'original')
    assert.is(f2.hashes.xxh128!.action, 'verified')
    assert.is(f2.hashes.xxh128!.hashDate!.toISOString(), '2024-05-02T18:00:05.000Z')
  }
  assert.is(
    g1!.files.find((f) => f.path === 'empty.txt')!.hashes.xxh128!.value,
    '99aa06d3014798d86001c324468d497f',
    'XXH128 of nothing',
  )

  const latest = latestHashes(history)
  assert.is(latest.size, SESSION_FILES.length)
  const notes = latest.get('Notes.txt')!
  assert.is(notes.hashes.xxh128!.generation, 2)
  assert.is(notes.lastAction, 'verified')
})

if (!hasXmllint || !vectorsDir()) {
  console.warn(
    `\n  !!! SKIPPED: ASC MHL schema validation — ${hasXmllint ? '../shared/vectors is absent' : 'xmllint is missing (apt-get install libxml2-utils)'}\n`,
  )
  test.skip('every manifest validates against ASCMHL.xsd and the chain against ASCMHLDirectory.xsd', () => {})
} else {
  test('every manifest validates against ASCMHL.xsd and the chain against ASCMHLDirectory.xsd', async () => {
    const xsd = join(vectorsDir()!, 'ascmhl')
    const { root, written } = await twoGenerations()
    for (const w of written) {
      const r = tool('xmllint', ['--noout', '--schema', join(xsd, 'ASCMHL.xsd'), w.manifestPath])
      assert.is(r.status, 0, r.output)
      assert.match(r.output, /validates/)
    }
    const r = tool('xmllint', [
      '--noout',
      '--schema',
      join(xsd, 'ASCMHLDirectory__combined.xsd'),
      join(root, 'ascmhl/ascmhl_chain.xml'),
    ])
    assert.is(r.status, 0, r.output)
    assert.match(r.output, /ascmhl_chain\.xml validates/)
    // The check can fail: a manifest with an unknown process does not validate.
    const bad = join(tempDir(), 'bad.mhl')
    writeFileSync(
      bad,
      readFileSync(written[0]!.manifestPath, 'utf8').replace(
        '<process>transfer</process>',
        '<process>copy</process>',
      ),
    )
    assert.is.not(tool('xmllint', ['--noout', '--schema', join(xsd, 'ASCMHL.xsd'), bad]).status, 0)
  })
}

if (!hasAscmhl) {
  console.warn(
    '\n  !!! SKIPPED: ASC MHL reference-tool checks — `ascmhl` is not installed (pip install ascmhl; npm test installs it)\n',
  )
  test.skip('the reference tool verifies our history and lists both generations', () => {})
} else {
  test('the reference tool verifies our history (exit 0) and `ascmhl info` lists both generations', async () => {
    const { root } = await twoGenerations()
    const v = tool('ascmhl-debug', ['verify', root])
    assert.is(v.status, 0, v.output)
    const info = tool('ascmhl', ['info', root])
    assert.is(info.status, 0, info.output)
    assert.match(info.output, /Generation 1 \(2024-05-01T10:15:30\+00:00\)/)
    assert.match(info.output, /Generation 2 \(2024-05-02T18:00:05\+00:00\)/)
    assert.not.match(info.output, /Generation 3/)
  })

  test('one flipped byte: the reference tool reports exactly that file, exit 11', async () => {
    const { root } = await twoGenerations()
    const copy = copyOf(root)
    const victim = 'DCIM/101CANON/deep/er/IMG_0101.CR3'
    const fd = openSync(join(copy, victim), 'r+')
    const b = Buffer.alloc(1)
    readSync(fd, b, 0, 1, 500)
    b[0] = b[0]! ^ 0x01
    writeSync(fd, b, 0, 1, 500)
    closeSync(fd)
    const v = tool('ascmhl-debug', ['verify', copy])
    assert.is(v.status, 11, v.output)
    const mismatches = v.output.split('\n').filter((l) => /hash mismatch/.test(l))
    assert.is(mismatches.length, 1, v.output)
    assert.ok(mismatches[0]!.includes(victim), v.output)
  })

  test('completeness: a missing file gives exit 10; a new file gives exit 21 unless it is under an ignore pattern', async () => {
    const { root } = await twoGenerations()
    const ignored = copyOf(root)
    mkdirSync(join(ignored, '.shutterproof'))
    writeFileSync(join(ignored, '.shutterproof/report.json'), '{}')
    mkdirSync(join(ignored, 'DCIM/.shutterproof'))
    writeFileSync(join(ignored, 'DCIM/.shutterproof/nested.json'), '{}')
    writeFileSync(join(ignored, 'DCIM/.DS_Store'), 'x')
    let v = tool('ascmhl-debug', ['verify', ignored])
    assert.is(v.status, 0, `files under ignore patterns are not reported: ${v.output}`)

    const extra = copyOf(root)
    writeFileSync(join(extra, 'DCIM/100CANON/IMG_9999.CR3'), 'not in the history')
    v = tool('ascmhl-debug', ['verify', extra])
    assert.is(v.status, 21, v.output)
    assert.match(v.output, /found new file DCIM\/100CANON\/IMG_9999\.CR3/)

    const missing = copyOf(root)
    rmSync(join(missing, 'Notes.txt'))
    v = tool('ascmhl-debug', ['verify', missing])
    assert.is(v.status, 10, v.output)
    assert.match(v.output, /1 missing file\(s\)[\s\S]*Notes\.txt/)
  })

  test('the reference tool notices a changed manifest (31) and a missing one (33) as readHistory does', async () => {
    const { root, written } = await twoGenerations()
    const changed = copyOf(root)
    const m = join(changed, 'ascmhl', basename(written[0]!.manifestPath))
    writeFileSync(m, readFileSync(m, 'utf8').replace('Ana Lima', 'Someone Else'))
    assert.is(tool('ascmhl-debug', ['verify', changed]).status, 31)
    await readHistory(changed).then(
      () => assert.unreachable('readHistory accepted a changed manifest'),
      (err) => assert.is(err.code, 'E_MHL_CHAIN_MISMATCH'),
    )
    const gone = copyOf(root)
    rmSync(join(gone, 'ascmhl', basename(written[1]!.manifestPath)))
    assert.is(tool('ascmhl-debug', ['verify', gone]).status, 33)
    await readHistory(gone).then(
      () => assert.unreachable('readHistory accepted a missing manifest'),
      (err) => assert.is(err.code, 'E_MHL_MANIFEST_MISSING'),
    )
  })
}

test.run()
