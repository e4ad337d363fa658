/**
 * What safe-to-format says after faults: an empty or missing card folder (an unmounted
 * card) is refused; `--rehash` re-reads the copies from the disk, not the page cache;
 * a destination reached twice (a bind mount) is recognised by device and inode.
 */
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { ingest, safeToFormat, type ShutterproofError } from '../lib/index'
import { cli, hasTool, tempDir } from './support/fixtures'
import { listFiles, makeCard, MB } from './support/ingest-fixtures'
import { holdOpenGate, openGateMissing } from './support/open-gate'

const session = { client: 'Ada', shoot: 'Format', date: '2026-04-26' }
const FOLDER = '2026-04-26_Ada_Format'
const isRoot = process.getuid?.() === 0

test('an empty card folder (an unmounted card) is never safe to format: "is the card mounted?"; a missing one is refused', async () => {
  const card = makeCard({ raws: 1, rawBytes: MB, jpegs: 1 })
  const dests = [tempDir('sp-d1-'), tempDir('sp-d2-')]
  const r = await ingest({ source: card, destinations: dests, session })
  assert.ok(r.safeToFormat)
  const empty = tempDir('sp-mountpoint-')
  const stf = cli(['safe-to-format', empty, ...dests.map((d) => join(d, FOLDER))])
  assert.is(stf.status, 1, stf.stdout + stf.stderr)
  assert.match(stf.stdout, 'safe to format the card: NO')
  assert.match(stf.stdout, 'no card: the card folder is empty or gone')
  // The advice is printed whole, however narrow the screen.
  assert.match(stf.stdout, 'is the card mounted?')
  const v = await safeToFormat(empty, dests)
  assert.is(v.safe, false)
  assert.is(v.reasons[0]!.code, 'no-card')
  const gone = cli(['safe-to-format', join(empty, 'EOS_DIGITAL'), ...dests])
  assert.is.not(gone.status, 0)
  assert.match(gone.stderr, 'is the card mounted?')
})

test('an ingest that did not complete never says NO with no reason', async () => {
  const card = makeCard({ raws: 1, rawBytes: MB, jpegs: 1 })
  const dests = [tempDir('sp-d1-'), tempDir('sp-d2-')]
  // A different file already under one final name: refused per file, the run completes with errors.
  mkdirSync(join(dests[1]!, FOLDER, 'DCIM/100CANON'), { recursive: true })
  writeFileSync(join(dests[1]!, FOLDER, 'DCIM/100CANON/IMG_0001.xmp'), 'someone else’s file')
  const r = await ingest({ source: card, destinations: dests, session })
  assert.is(r.status, 'completed-with-errors')
  assert.is(r.safeToFormat, false)
  assert.ok(
    r.reasons.some((x) => x.code === 'run-not-completed'),
    JSON.stringify(r.reasons),
  )
})

const PULL =
  'a card pulled during the ingest: the run and safe-to-format agree (NO, with reasons: the card is gone, the run did not complete)'
const gateMissing = openGateMissing()
if (gateMissing) {
  console.warn(`\n  !!! SKIPPED: ${PULL} — ${gateMissing}\n`)
  test.skip(PULL, () => {})
} else
  test(PULL, async () => {
    // The pull happens exactly while the engine opens the third raw: a lease on that file
    // blocks its open() until the card folder has been renamed away (support/open-gate.ts).
    // Pulling from a progress event raced the engine and lost on a fast machine (CI of 606ea88).
    const card = makeCard({ raws: 4, rawBytes: 2 * MB, jpegs: 2 })
    const gated = 'DCIM/100CANON/IMG_0003.CR3'
    const gate = await holdOpenGate(join(card, gated))
    if (typeof gate === 'string') return assert.unreachable(gate)
    const pulled = gate.opening.then(() => {
      // The mount point stays, empty: what a pulled card leaves behind.
      renameSync(card, `${card}-pulled`)
      mkdirSync(card)
      gate.release()
    })
    const dests = [tempDir('sp-d1-'), tempDir('sp-d2-')]
    const r = await ingest({ source: card, destinations: dests, session })
    await pulled
    const state = (rel: string) => r.files.find((f) => f.path === rel)?.sourceState
    assert.is(state('DCIM/100CANON/IMG_0001.CR3'), 'read')
    // Every file before the pull was read; the one being opened and all after it were not
    // (the engine sees its path gone when it checks the file is unchanged).
    assert.is(state('DCIM/100CANON/IMG_0002.xmp'), 'read')
    assert.is.not(state(gated), 'read')
    assert.is(state('MISC/empty.dat'), 'failed')
    assert.is.not(r.status, 'completed')
    assert.is(r.safeToFormat, false)
    const codes = r.reasons.map((x) => x.code)
    assert.ok(codes.includes('no-card') && codes.includes('run-not-completed'), JSON.stringify(r.reasons))
    assert.match(r.reasons.find((x) => x.code === 'no-card')!.message, 'is the card mounted?')
    const stf = cli(['safe-to-format', card, ...dests.map((d) => join(d, FOLDER))])
    assert.is(stf.status, 1)
    assert.match(stf.stdout, 'safe to format the card: NO')
    assert.match(stf.stdout, 'is the card mounted?')
  })

/** An ext4 image loop-mounted at a fresh folder (root only), so bytes can change beneath its page cache. */
function loopMount(): { dir: string; image: string; unmount: () => void } | undefined {
  const image = join(tempDir('sp-img-'), 'disk.img')
  const dir = tempDir('sp-loop-')
  writeFileSync(image, '')
  spawnSync('truncate', ['-s', '64M', image])
  const mk = spawnSync('mkfs.ext4', ['-q', '-F', image], { encoding: 'utf8' })
  const m = mk.status === 0 ? spawnSync('mount', ['-o', 'loop', image, dir], { encoding: 'utf8' }) : mk
  if (m.status !== 0) {
    console.warn(`\n!!! cannot loop-mount an ext4 image: ${(m.stderr || m.error?.message || '').trim()}\n`)
    return undefined
  }
  return { dir, image, unmount: () => void spawnSync('umount', ['-l', dir]) }
}

const REHASH =
  'safe-to-format --rehash re-reads every copy from the disk: a copy changed beneath the page cache is found (needs root: loop-mounted ext4)'
if (!isRoot || !hasTool('mkfs.ext4')) {
  console.warn(`\n  !!! SKIPPED: ${REHASH} — run as root with mkfs.ext4 (CI does)\n`)
  test.skip(REHASH, () => {})
} else {
  test(REHASH, async () => {
    const loop = loopMount()
    assert.ok(loop, 'loop mount')
    try {
      const card = makeCard({ raws: 1, rawBytes: MB, jpegs: 1 })
      // Bytes found nowhere else on the card (generated cards share a random block).
      writeFileSync(join(card, 'DCIM/100CANON/IMG_0009.CR3'), randomBytes(2 * MB))
      const dests = [loop!.dir, tempDir('sp-d2-')]
      const r = await ingest({ source: card, destinations: dests, session })
      assert.is(r.status, 'completed')
      const raw = 'DCIM/100CANON/IMG_0009.CR3'
      const copy = join(loop!.dir, FOLDER, raw)
      const original = readFileSync(join(card, raw))
      assert.ok(readFileSync(copy).equals(original)) // now in the page cache

      // Flip one byte of the copy in the disk image itself, beneath the mounted file system.
      const img = readFileSync(loop!.image)
      const at = img.indexOf(original.subarray(0, 4096))
      assert.ok(at > 0, 'the copy is in the image')
      assert.is(img.indexOf(original.subarray(0, 4096), at + 1), -1, 'once')
      const fd = openSync(loop!.image, 'r+')
      const b = Buffer.alloc(1)
      readSync(fd, b, 0, 1, at + 1000)
      b[0]! ^= 0xff
      writeSync(fd, b, 0, 1, at + 1000)
      fsyncSync(fd)
      closeSync(fd)
      if (!readFileSync(copy).equals(original))
        console.warn('  (note: the page cache no longer held the copy; the test still checks the verdict)')

      const dirs = dests.map((d) => join(d, FOLDER))
      assert.ok(
        (await safeToFormat(card, dirs)).safe,
        'without --rehash the recorded verification stands (documented)',
      )
      const stf = cli(['safe-to-format', card, ...dirs, '--rehash', '--json'])
      assert.is(stf.status, 1, stf.stdout + stf.stderr)
      const v = JSON.parse(stf.stdout)
      assert.is(v.safe, false)
      const bad = v.reasons.filter((x: { code: string }) => x.code === 'mismatch')
      assert.is(bad.length, 1, stf.stdout)
      assert.is(bad[0].path, raw)
      assert.is(bad[0].destination, dirs[0])
      assert.match(bad[0].message, 're-read from the disk')
    } finally {
      loop!.unmount()
    }
  })
}

const BIND =
  'the same destination through a bind mount is refused by device and inode (ingest and safe-to-format); so is the card through one (needs root)'
if (!isRoot) {
  console.warn(`\n  !!! SKIPPED: ${BIND} — run as root (CI does)\n`)
  test.skip(BIND, () => {})
} else {
  test(BIND, async () => {
    const card = makeCard({ raws: 1, rawBytes: MB, jpegs: 1 })
    const a = tempDir('sp-a-')
    const b = tempDir('sp-b-')
    const cardAgain = tempDir('sp-card-bind-')
    const bound: string[] = []
    const bind = (from: string, to: string) => {
      const m = spawnSync('mount', ['--bind', from, to], { encoding: 'utf8' })
      assert.is(m.status, 0, m.stderr)
      bound.push(to)
    }
    try {
      bind(a, b)
      bind(card, cardAgain)
      for (const dests of [
        [a, b],
        [b, join(a, '.')],
      ]) {
        try {
          await ingest({ source: card, destinations: dests, session })
          assert.unreachable('refused')
        } catch (err) {
          assert.is((err as ShutterproofError).code, 'E_INVALID_ARGUMENT')
          assert.match((err as Error).message, 'same device and inode')
        }
      }
      assert.equal(listFiles(a), [], 'nothing was created')
      try {
        await ingest({ source: card, destinations: [a, cardAgain], session })
        assert.unreachable('refused')
      } catch (err) {
        assert.is((err as ShutterproofError).code, 'E_INVALID_ARGUMENT')
        assert.match((err as Error).message, 'inside the source folder')
      }

      const other = tempDir('sp-c-')
      const r = await ingest({ source: card, destinations: [a, other], session })
      assert.ok(r.safeToFormat)
      // Two paths to one session folder never count as two copies.
      const stf = cli(['safe-to-format', card, join(a, FOLDER), join(b, FOLDER), '--min-copies', '2'])
      assert.is(stf.status, 2, stf.stdout + stf.stderr)
      assert.match(stf.stderr, 'same device and inode')
    } finally {
      for (const dir of bound.reverse()) spawnSync('umount', [dir])
    }
  })
}

test.run()
