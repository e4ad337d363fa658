import { execFileSync } from 'node:child_process'
import {
  chmodSync,
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import {
  AbortError,
  ingest,
  planCard,
  readHistory,
  readRecords,
  safeToFormat,
  sanitizeName,
  sessionFolderName,
  verify,
  type IngestReport,
} from '../lib/index'
import { nativeFindPartials } from '../lib/native'
import { hasTool, tempDir, writeRandomFile } from './support/fixtures'
import { rejection } from './support/rejection'
import { listFiles, makeCard, MB, mountTmpfs } from './support/ingest-fixtures'

const session = { client: 'Ada Lovelace', shoot: 'Wedding', date: '2026-04-26' }
const FOLDER = '2026-04-26_Ada Lovelace_Wedding'

test('round trip to 3 destinations: byte-identical, mtimes kept, JSON reports and MHL complete', async () => {
  const card = makeCard()
  const dests = [tempDir('sp-d1-'), tempDir('sp-d2-'), tempDir('sp-d3-')]
  const events: number[] = []
  const r = await ingest({
    source: card,
    destinations: dests,
    session,
    onProgress: (p) => events.push(p.bytes),
  })
  assert.is(r.status, 'completed')
  assert.ok(r.safeToFormat, JSON.stringify(r.reasons))
  assert.equal(r.reasons, [])
  const cardFiles = listFiles(card)
  assert.is(cardFiles.length, 9)
  assert.ok(cardFiles.includes('DCIM/100CANON/Cafe\u0301_Rene\u0301e.JPG'), 'NFD name kept byte for byte')
  assert.is(events.at(-1), r.bytesTotal)
  for (let i = 1; i < events.length; i++) assert.ok(events[i]! >= events[i - 1]!, 'progress never goes back')
  for (const [d, dest] of dests.entries()) {
    const root = join(dest, FOLDER)
    assert.equal(listFiles(root), cardFiles)
    for (const f of cardFiles) {
      assert.ok(readFileSync(join(root, f)).equals(readFileSync(join(card, f))), `${f} identical at ${root}`)
      assert.is(statSync(join(root, f)).mtimeMs, statSync(join(card, f)).mtimeMs, `${f} mtime kept`)
    }
    const pd = r.perDestination[d]!
    assert.is(pd.status, 'completed')
    assert.is(pd.verified, 9)
    // Our JSON report: every file, BLAKE3 + XXH128, verification method.
    const { records } = await readRecords(root)
    assert.is(records.length, 1)
    assert.is(pd.reportPath?.startsWith(join(root, '.shutterproof', 'ingest-')), true)
    const rec = records[0]!
    assert.equal(rec.files.map((f) => f.path).sort(), cardFiles)
    for (const f of rec.files) {
      assert.match(f.hashes.blake3 ?? '', /^[0-9a-f]{64}$/)
      assert.match(f.hashes.xxh128 ?? '', /^[0-9a-f]{32}$/)
      assert.is(f.status, 'verified')
      assert.ok(['disk-direct', 'disk-evicted'].includes(f.method), f.method)
    }
    // ASC MHL: one transfer generation listing every file with xxh128, ignoring .shutterproof.
    const h = await readHistory(root)
    assert.is(h.generations.length, 1)
    const g = h.generations[0]!
    assert.is(g.process, 'transfer')
    assert.equal(g.files.map((f) => f.path).sort(), cardFiles)
    assert.ok(g.ignore.some((p) => p.startsWith('.shutterproof')))
    for (const f of g.files)
      assert.is(f.hashes.xxh128?.value, rec.files.find((x) => x.path === f.path)!.hashes.xxh128)
  }
  assert.equal(await nativeFindPartials(dests[0]!), [])
})

test('session folder names are sanitized: no escape, no device names, NFC', () => {
  const cases: Array<[string, string]> = [
    ['../../x', 'x'],
    ['CON', '_CON'],
    ['lpt1.txt', '_lpt1.txt'],
    ['Smith/Jones', 'Smith-Jones'],
    ['a\\b', 'a-b'],
    ['tab\there\u0000\u001b[31m', 'tabhere[31m'],
    ['trailing. . ', 'trailing'],
    ['..', ''],
    ['Rene\u0301e', 'Ren\u00e9e'],
    ['a:b*c?d"e<f>g|h', 'a-b-c-d-e-f-g-h'],
    ['\u202eevil', 'evil'],
  ]
  for (const [raw, want] of cases) assert.is(sanitizeName(raw), want, JSON.stringify(raw))
  assert.is(sessionFolderName({ client: '../../x', shoot: 'a/b', date: '2026-04-26' }), '2026-04-26_x_a-b')
  assert.is(
    sessionFolderName({ client: 'CON', shoot: 'NUL.', date: '2026-04-26' }, '{client} {shoot}'),
    '_CON _NUL',
  )
  const long = sessionFolderName({ client: 'é'.repeat(300), shoot: 's', date: '2026-04-26' })
  assert.ok(Buffer.byteLength(long) <= 200 && !long.includes('/'))
  for (const bad of ['..', ' / ', '\u0000']) {
    assert.throws(
      () => sessionFolderName({ client: bad, shoot: 's' }),
      (e: { code: string }) => e.code === 'E_INVALID_ARGUMENT',
    )
  }
  assert.throws(
    () => sessionFolderName({ client: 'a', shoot: 'b', date: '2026-02-30' }),
    (e: { code: string }) => e.code === 'E_INVALID_ARGUMENT',
  )
})

test('symlinks on the card are recorded and never followed out of it', async () => {
  const card = makeCard({ raws: 1, rawBytes: MB, jpegs: 1 })
  const outside = tempDir('sp-outside-')
  writeFileSync(join(outside, 'secret.txt'), 'outside the card')
  mkdirSync(join(outside, 'dir'))
  writeFileSync(join(outside, 'dir', 'deep.txt'), 'deep')
  symlinkSync(join(outside, 'secret.txt'), join(card, 'DCIM', 'link.txt'))
  symlinkSync(join(outside, 'dir'), join(card, 'DCIM', 'linkdir'))
  const plan = await planCard(card)
  assert.equal(
    plan.skipped.map((s) => [s.path, s.reason]),
    [
      ['DCIM/link.txt', 'symlink'],
      ['DCIM/linkdir', 'symlink'],
    ],
  )
  const dest = tempDir('sp-d-')
  const r = await ingest({ source: card, destinations: [dest], session, minCopies: 1 })
  assert.is(r.status, 'completed')
  const copied = listFiles(join(dest, FOLDER))
  assert.not.ok(
    copied.some((p) => p.includes('link')),
    copied.join(),
  )
  assert.is(r.skipped.length, 2)
})

test('a destination inside the card is refused before copying; so is a read-only one', async () => {
  const card = makeCard({ raws: 1, rawBytes: MB, jpegs: 0 })
  const inside = join(card, 'backup')
  mkdirSync(inside)
  const other = tempDir('sp-d-')
  await ingest({ source: card, destinations: [other, inside], session }).then(
    () => assert.unreachable('should refuse'),
    (e: { code: string; message: string }) => {
      assert.is(e.code, 'E_INVALID_ARGUMENT')
      assert.match(e.message, 'inside the source')
    },
  )
  assert.equal(readdirSync(other), [], 'nothing created at the other destination')
  const ro = mountTmpfs('4m', ['ro'])
  if (!ro) return
  try {
    await ingest({ source: card, destinations: [other, ro.dir], session }).then(
      () => assert.unreachable('should refuse'),
      (e: { code: string }) => assert.is(e.code, 'E_READ_ONLY'),
    )
    assert.equal(listFiles(other), [], 'nothing copied anywhere')
  } finally {
    ro.unmount()
  }
})

test('a second card for the same session: identical files recognised, different ones refused with E_EXISTS', async () => {
  const card1 = makeCard({ raws: 1, rawBytes: MB, jpegs: 1 })
  const dests = [tempDir('sp-d1-'), tempDir('sp-d2-')]
  assert.is((await ingest({ source: card1, destinations: dests, session })).status, 'completed')
  // Card 2: one identical file, one same-named different file, one new file.
  const card2 = tempDir('sp-card2-')
  mkdirSync(join(card2, 'DCIM', '100CANON'), { recursive: true })
  writeFileSync(
    join(card2, 'DCIM/100CANON/IMG_0001.xmp'),
    readFileSync(join(card1, 'DCIM/100CANON/IMG_0001.xmp')),
  )
  writeRandomFile(join(card2, 'DCIM/100CANON/IMG_101.JPG'), 2 * MB)
  writeRandomFile(join(card2, 'DCIM/100CANON/IMG_2000.JPG'), MB)
  const before = readFileSync(join(dests[0]!, FOLDER, 'DCIM/100CANON/IMG_101.JPG'))
  const r = await ingest({ source: card2, destinations: dests, session })
  assert.is(r.status, 'completed-with-errors')
  assert.not.ok(r.safeToFormat)
  const by = (p: string) => r.files.find((f) => f.path === p)!
  assert.equal(
    by('DCIM/100CANON/IMG_0001.xmp').destinations.map((d) => d.status),
    ['skipped-identical', 'skipped-identical'],
  )
  assert.equal(
    by('DCIM/100CANON/IMG_2000.JPG').destinations.map((d) => d.status),
    ['verified', 'verified'],
  )
  const clash = by('DCIM/100CANON/IMG_101.JPG').destinations
  assert.equal(
    clash.map((d) => d.error?.code),
    ['E_EXISTS', 'E_EXISTS'],
  )
  assert.ok(
    readFileSync(join(dests[0]!, FOLDER, 'DCIM/100CANON/IMG_101.JPG')).equals(before),
    'never overwritten',
  )
  assert.ok(r.reasons.some((x) => x.path === 'DCIM/100CANON/IMG_101.JPG'))
})

test('resume after abort: completes, nothing re-read that was verified, no partials', async () => {
  const card = makeCard({ raws: 6, rawBytes: 40 * MB, jpegs: 2 })
  const dests = [tempDir('sp-d1-'), tempDir('sp-d2-')]
  const ac = new AbortController()
  const err = await rejection<AbortError<IngestReport>>(
    ingest({
      source: card,
      destinations: dests,
      session,
      signal: ac.signal,
      onProgress: (p) => {
        if (p.files >= 2 && p.bytes > 0) ac.abort()
      },
    }),
  )
  assert.instance(err, AbortError)
  assert.is(err.code, 'E_ABORTED')
  const r1 = err.partial!
  assert.is(r1.status, 'aborted')
  assert.not.ok(r1.safeToFormat)
  for (const d of dests) assert.equal(await nativeFindPartials(d), [])
  const done1 = r1.files
    .filter((f) => f.destinations.every((x) => x.status === 'verified'))
    .map((f) => f.path)
  assert.ok(
    r1.files.some((f) => f.destinations.some((x) => x.status === 'aborted')),
    'really stopped mid-way',
  )
  const r2 = await ingest({ source: card, destinations: dests, session })
  assert.is(r2.status, 'completed')
  assert.ok(r2.safeToFormat)
  for (const p of done1) assert.is(r2.files.find((f) => f.path === p)!.sourceState, 'previously-verified')
  assert.ok(r2.bytes < r2.bytesTotal || done1.length === 0)
  for (const d of dests) {
    for (const f of listFiles(card))
      assert.ok(readFileSync(join(d, FOLDER, f)).equals(readFileSync(join(card, f))), f)
    assert.equal(await nativeFindPartials(d), [])
  }
})

test('verify after a byte flip names exactly that file, and appends a failed MHL generation', async () => {
  const card = makeCard({ raws: 2, rawBytes: 2 * MB, jpegs: 2 })
  const dest = tempDir('sp-d-')
  await ingest({ source: card, destinations: [dest], session, minCopies: 1 })
  const root = join(dest, FOLDER)
  const ok = await verify(root)
  assert.is(ok.status, 'completed')
  assert.equal(ok.sources, ['ascmhl', 'shutterproof'])
  const victim = join(root, 'DCIM/100CANON/IMG_0002.CR3')
  const fd = openSync(victim, 'r+')
  writeSync(fd, Buffer.from([0x42 ^ readFileSync(victim)[1000]!]), 0, 1, 1000)
  closeSync(fd)
  const bad = await verify(root)
  assert.is(bad.status, 'failed')
  assert.equal(bad.mismatches, ['DCIM/100CANON/IMG_0002.CR3'])
  assert.equal(bad.missing, [])
  const h = await readHistory(root)
  assert.is(h.generations.length, 3)
  const last = h.generations.at(-1)!
  assert.is(last.process, 'in-place')
  assert.is(last.files.find((f) => f.path === 'DCIM/100CANON/IMG_0002.CR3')!.hashes.xxh128!.action, 'failed')
  assert.is(
    last.files.find((f) => f.path === 'DCIM/100CANON/IMG_0001.CR3')!.hashes.xxh128!.action,
    'verified',
  )
  // safeToFormat now sees the mismatch at that destination.
  const v = await safeToFormat(card, [root], { minCopies: 1 })
  assert.not.ok(v.safe)
  assert.equal(
    v.reasons.filter((x) => x.code === 'mismatch').map((x) => x.path),
    ['DCIM/100CANON/IMG_0002.CR3'],
  )
})

test('verify reads a history written by another tool (reference sample)', async () => {
  const sample = join(__dirname, '../../../shared/vectors/ascmhl/sample')
  const alt = '/work/shared/vectors/ascmhl/sample'
  const src = statSafe(sample) ? sample : statSafe(alt) ? alt : undefined
  if (!src) {
    console.warn('\n!!! SKIPPED: ascmhl reference sample not found\n')
    return
  }
  const copy = tempDir('sp-sample-')
  execFileSync('cp', ['-a', `${src}/.`, copy])
  const r = await verify(copy)
  assert.is(r.status, 'completed', JSON.stringify(r))
  assert.equal(r.sources, ['ascmhl'])
  assert.equal(
    r.files.map((f) => f.path),
    ['Clips/A002C006_141024_R2EC.mov', 'Clips/A002C007_141024_R2EC.mov', 'Sidecar.txt'],
  )
  writeFileSync(join(copy, 'Sidecar.txt'), 'changed')
  const bad = await verify(copy)
  assert.equal(bad.mismatches, ['Sidecar.txt'])
  if (hasTool('ascmhl-debug')) {
    // Our appended generation keeps the chain readable by the reference tool.
    const out = execFileSync('ascmhl', ['info', copy], { encoding: 'utf8' })
    assert.match(out, /Generation 4 /)
    // ascmhl-debug verify exits 0 only when the files match the history (sidecar restored).
  }
})

function statSafe(p: string): boolean {
  try {
    return statSync(p).isDirectory()
  } catch {
    return false
  }
}

test('safeToFormat reasons: missing, unverified, too few copies; never deletes anything', async () => {
  const card = makeCard({ raws: 1, rawBytes: MB, jpegs: 1 })
  const a = tempDir('sp-a-')
  const b = tempDir('sp-b-')
  const r = await ingest({ source: card, destinations: [a], session, minCopies: 1 })
  assert.is(r.status, 'completed')
  assert.ok(r.safeToFormat)
  const sizeMode = await ingest({ source: card, destinations: [b], session, verify: 'size', minCopies: 1 })
  assert.is(sizeMode.status, 'completed')
  assert.not.ok(sizeMode.safeToFormat, 'size mode never proves a copy')
  const v = await safeToFormat(card, [join(a, FOLDER), join(b, FOLDER)])
  assert.not.ok(v.safe)
  const codes = new Set(v.reasons.map((x) => x.code))
  assert.ok(codes.has('unverified') && codes.has('too-few-copies'), JSON.stringify(v.reasons))
  // A new file on the card since: missing everywhere.
  writeFileSync(join(card, 'DCIM/100CANON/NEW.JPG'), 'new')
  const v2 = await safeToFormat(card, [a], { minCopies: 1 })
  assert.not.ok(v2.safe)
  assert.ok(v2.reasons.some((x) => x.code === 'missing' && x.path === 'DCIM/100CANON/NEW.JPG'))
  // A drive holding the session is accepted too (the session is found under it).
  const v3 = await safeToFormat(card, [a], { minCopies: 1 })
  assert.is(v3.copies.find((c) => c.path === 'DCIM/100CANON/IMG_0001.CR3')!.verifiedAt.length, 1)
  assert.ok(listFiles(card).includes('DCIM/100CANON/NEW.JPG'), 'card untouched')
  void chmodSync
})

test.run()
