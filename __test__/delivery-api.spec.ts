/**
 * Delivery archives through the API: round trip with names, sizes, bytes and mtimes (to the
 * millisecond, also for GNU tar);
 * generated passphrases; refusals at creation; wrong passphrase, tampering, truncation and
 * abort leave nothing behind.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { entryMtime, paxMtime } from '../lib/delivery/tar-mtime'
import { createDelivery, openDelivery, openSealedFile, type ShutterproofError } from '../lib/index'
import { hasTool, run, tempDir, writeRandomFile } from './support/fixtures'

const FAST = { memoryKiB: 8192, iterations: 1, parallelism: 1 }
const dir = tempDir('sp-delivery-')
const code = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: ShutterproofError) => e.code,
  )

const src = join(dir, 'src')
mkdirSync(src)
const files = [
  writeRandomFile(join(src, 'IMG_0001.jpg'), 123_457),
  writeRandomFile(join(src, 'empty.txt'), 0),
  writeRandomFile(join(src, 'big.tif'), 5 * 1024 * 1024 + 3),
  writeRandomFile(join(src, 'Brautpaar – Übersicht.pdf'), 16_384),
]
// One mtime with a fraction of a second (kept through a pax record), one without.
const mtime = new Date('2024-06-01T12:34:56.789Z')
utimesSync(files[0]!, mtime, mtime)
const wholeSecond = new Date('2023-02-03T04:05:06Z')
utimesSync(files[2]!, wholeSecond, wholeSecond)

let sealed = ''
let passphrase = ''

test('round trip: several files (0 bytes, 5 MB, non-ASCII name), generated 6-word passphrase, mtimes kept', async () => {
  const events: number[] = []
  const out = join(dir, 'wedding.sealed')
  const d = await createDelivery(files, out, { kdf: FAST, onProgress: (p) => events.push(p.bytes) })
  assert.is(d.path, out)
  assert.ok(d.passphrase, 'a passphrase is generated when none is given')
  assert.is(d.passphrase!.split('-').length, 6)
  assert.equal(
    d.files.map((f) => f.name),
    ['IMG_0001.jpg', 'empty.txt', 'big.tif', 'Brautpaar – Übersicht.pdf'],
  )
  assert.is(d.bytes, statSync(out).size)
  const total = files.reduce((n, f) => n + statSync(f).size, 0)
  assert.is(events.at(-1), total)
  assert.ok(
    events.every((b, i) => i === 0 || b >= events[i - 1]!),
    'progress never goes backwards',
  )
  assert.equal(readdirSync(dir).sort(), ['src', 'wedding.sealed'], 'no temporary file left beside it')
  assert.not.ok(
    readFileSync(out).includes(Buffer.from('IMG_0001')),
    'names are not readable in the sealed file',
  )
  sealed = out
  passphrase = d.passphrase!

  const into = join(dir, 'unpacked')
  const opened = await openDelivery(out, { passphrase }, into)
  assert.is(opened.dir, into)
  assert.equal(opened.files, d.files)
  assert.equal(readdirSync(into).sort(), d.files.map((f) => f.name).sort(), 'no staging folder left')
  for (const f of files) {
    const back = join(into, f.slice(src.length + 1))
    assert.ok(readFileSync(back).equals(readFileSync(f)), back)
  }
  assert.is(
    Math.round(statSync(join(into, 'IMG_0001.jpg')).mtimeMs),
    mtime.getTime(),
    'mtime kept to the millisecond',
  )
  assert.is(statSync(join(into, 'big.tif')).mtimeMs, wholeSecond.getTime())
})

test('the tar inside a delivery keeps the fraction for other tools too (GNU tar reads the pax mtime)', async () => {
  if (!hasTool('tar')) {
    console.log('  SKIPPED: no tar on this machine')
    return
  }
  const plainTar = join(dir, 'plain.tar')
  await openSealedFile(sealed, plainTar, { passphrase })
  const into = join(dir, 'gnu-tar-out')
  mkdirSync(into)
  run('tar', ['-xf', plainTar, '-C', into])
  assert.is(Math.round(statSync(join(into, 'IMG_0001.jpg')).mtimeMs), mtime.getTime())
  assert.is(statSync(join(into, 'big.tif')).mtimeMs, wholeSecond.getTime())
})

test('pax mtime records: written only with a fraction; read back exactly; nonsense falls back to the ustar field', () => {
  assert.is(paxMtime(new Date('2024-06-01T12:34:56Z')), undefined)
  assert.equal(paxMtime(new Date(1_717_245_296_007)), { mtime: '1717245296.007' })
  assert.equal(paxMtime(new Date(-1_500)), { mtime: '-1.500' })
  const ustar = new Date(1_717_245_296_000)
  const read = (pax?: string) =>
    entryMtime({ mtime: ustar, pax: pax === undefined ? undefined : { mtime: pax } })?.getTime()
  assert.is(read('1717245296.007'), 1_717_245_296_007)
  assert.is(read('1717245296.0071234'), 1_717_245_296_007)
  assert.is(read('1717245296'), 1_717_245_296_000)
  assert.is(read('-1.500'), -1_500)
  for (const nonsense of ['banana', '1e9', '999999999999999.5', '', '12.'] as const)
    assert.is(read(nonsense), ustar.getTime(), nonsense)
  assert.is(read(), ustar.getTime())
  assert.is(entryMtime({}), undefined)
})

test('given names (with folders) and a given passphrase, which is not returned', async () => {
  const out = join(dir, 'named.sealed')
  const d = await createDelivery([{ path: files[0]!, name: 'selects/01.jpg' }, files[1]!], out, {
    passphrase: 'our own phrase',
    kdf: FAST,
  })
  assert.is(d.passphrase, undefined)
  assert.equal(
    d.files.map((f) => f.name),
    ['selects/01.jpg', 'empty.txt'],
  )
  const into = join(dir, 'named-out')
  await openDelivery(out, { passphrase: 'our own phrase' }, into)
  assert.ok(readFileSync(join(into, 'selects/01.jpg')).equals(readFileSync(files[0]!)))
})

test('createDelivery refuses: an existing output, duplicate or case-only-different names, unsafe names, folders, missing files', async () => {
  const exists = join(dir, 'exists.sealed')
  writeFileSync(exists, 'keep me')
  assert.is(await code(createDelivery([files[0]!], exists, { kdf: FAST })), 'E_EXISTS')
  assert.is(readFileSync(exists, 'utf8'), 'keep me')
  const other = join(dir, 'other')
  mkdirSync(other)
  writeFileSync(join(other, 'IMG_0001.jpg'), 'x')
  writeFileSync(join(other, 'img_0001.JPG'), 'x')
  const out = join(dir, 'refused.sealed')
  assert.is(
    await code(createDelivery([files[0]!, join(other, 'IMG_0001.jpg')], out, { kdf: FAST })),
    'E_INVALID_ARGUMENT',
  )
  assert.is(
    await code(createDelivery([files[0]!, join(other, 'img_0001.JPG')], out, { kdf: FAST })),
    'E_INVALID_ARGUMENT',
  )
  assert.is(
    await code(
      createDelivery(
        [
          { path: files[0]!, name: 'a' },
          { path: files[1]!, name: 'a/b' },
        ],
        out,
        { kdf: FAST },
      ),
    ),
    'E_INVALID_ARGUMENT',
  )
  for (const name of [
    '/etc/passwd',
    '../up.jpg',
    'a/../../b',
    'C:evil',
    'back\\slash',
    '',
    '.',
    'bell\u0007',
  ]) {
    assert.is(
      await code(createDelivery([{ path: files[0]!, name }], out, { kdf: FAST })),
      'E_INVALID_ARGUMENT',
      JSON.stringify(name),
    )
  }
  assert.is(await code(createDelivery([src], out, { kdf: FAST })), 'EISDIR')
  assert.is(await code(createDelivery([join(dir, 'missing.jpg')], out, { kdf: FAST })), 'ENOENT')
  assert.is(await code(createDelivery([], out, { kdf: FAST })), 'E_INVALID_ARGUMENT')
  assert.is(await code(createDelivery([files[0]!], out, { passphrase: '', kdf: FAST })), 'E_INVALID_ARGUMENT')
  assert.not.ok(existsSync(out))
  assert.not.ok(readdirSync(dir).some((n) => n.endsWith('.partial')))
})

test('abort while creating removes the temporary file; an already-aborted signal rejects at once', async () => {
  const ac = new AbortController()
  const out = join(dir, 'aborted.sealed')
  const p = createDelivery(files, out, { kdf: FAST, signal: ac.signal, onProgress: () => ac.abort() })
  assert.is(await code(p), 'E_ABORTED')
  assert.not.ok(existsSync(out))
  assert.not.ok(
    readdirSync(dir).some((n) => n.includes('aborted')),
    'no temporary file left',
  )
  assert.is(await code(createDelivery(files, out, { kdf: FAST, signal: AbortSignal.abort() })), 'E_ABORTED')
})

test('a file that shrinks while it is packed: E_SOURCE_CHANGED, no output and no temporary file', async () => {
  const changing = writeRandomFile(join(dir, 'changing.raw'), 3 * 1024 * 1024)
  const out = join(dir, 'changed.sealed')
  let cut = false
  const onProgress = () => {
    if (!cut) truncateSync(changing, 1000)
    cut = true
  }
  assert.is(await code(createDelivery([changing], out, { kdf: FAST, onProgress })), 'E_SOURCE_CHANGED')
  assert.not.ok(existsSync(out))
  assert.not.ok(readdirSync(dir).some((n) => n.includes('changed.sealed')))
})

/** The listing of a folder and its parent, to show nothing was written. */
function snapshot(into: string): string {
  const parent = readdirSync(join(into, '..')).sort().join('\n')
  return (
    parent +
    '\n--\n' +
    (existsSync(into) ? readdirSync(into, { recursive: true }).sort().join('\n') : '(absent)')
  )
}

test('wrong passphrase: E_BAD_PASSPHRASE and nothing written (a folder it had to create is removed again)', async () => {
  const into = join(dir, 'wrong-pass')
  const before = snapshot(into)
  const err = (await openDelivery(sealed, { passphrase: 'not it' }, into).catch(
    (e) => e,
  )) as ShutterproofError
  assert.is(err.code, 'E_BAD_PASSPHRASE')
  assert.is(err.name, 'KeyError')
  assert.is(snapshot(into), before)
  const existing = join(dir, 'wrong-pass-existing')
  mkdirSync(existing)
  const before2 = snapshot(existing)
  assert.is(await code(openDelivery(sealed, { passphrase: 'not it' }, existing)), 'E_BAD_PASSPHRASE')
  assert.is(snapshot(existing), before2)
})

test('tampered archive (one byte flipped in the middle): E_AUTH and nothing written, though earlier chunks authenticated', async () => {
  const bytes = readFileSync(sealed)
  bytes[Math.floor(bytes.length / 2)]! ^= 0x01
  const bad = join(dir, 'tampered.sealed')
  writeFileSync(bad, bytes)
  const into = join(dir, 'tampered-out')
  mkdirSync(into)
  const before = snapshot(into)
  const err = (await openDelivery(bad, { passphrase }, into).catch((e) => e)) as ShutterproofError
  assert.is(err.code, 'E_AUTH')
  assert.is(err.name, 'IntegrityError')
  assert.is(snapshot(into), before)
})

test('truncated archive (cut at a chunk edge) and one cut mid-chunk: E_TRUNCATED / E_AUTH, nothing written', async () => {
  const bytes = readFileSync(sealed)
  const into = join(dir, 'truncated-out')
  mkdirSync(into)
  const elsewhere = tempDir('sp-delivery-cut-')
  const cuts = [bytes.length - 5, Math.floor(bytes.length * 0.9)]
  for (const cut of cuts) writeFileSync(join(elsewhere, `${cut}.sealed`), bytes.subarray(0, cut))
  const before = snapshot(into)
  for (const cut of cuts) {
    const bad = join(elsewhere, `${cut}.sealed`)
    const c = await code(openDelivery(bad, { passphrase }, into))
    assert.ok(c === 'E_TRUNCATED' || c === 'E_AUTH', c)
    assert.is(snapshot(into), before)
  }
})

test('an existing file in intoDir is never replaced: E_EXISTS, no other file written either', async () => {
  const into = join(dir, 'clash-out')
  mkdirSync(into)
  writeFileSync(join(into, 'big.tif'), 'mine')
  const before = snapshot(into)
  assert.is(await code(openDelivery(sealed, { passphrase }, into)), 'E_EXISTS')
  assert.is(readFileSync(join(into, 'big.tif'), 'utf8'), 'mine')
  assert.is(snapshot(into), before)
})

test('abort while opening leaves nothing; intoDir that is a file is refused', async () => {
  const into = join(dir, 'abort-out')
  mkdirSync(into)
  const before = snapshot(into)
  const ac = new AbortController()
  const p = openDelivery(sealed, { passphrase }, into, { signal: ac.signal })
  setImmediate(() => ac.abort())
  const c = await code(p)
  assert.is(c, 'E_ABORTED', 'a 5 MB archive is still being read on the next turn of the loop')
  if (c === 'E_ABORTED') assert.is(snapshot(into), before)
  assert.is(await code(openDelivery(sealed, { passphrase }, files[0]!)), 'E_INVALID_ARGUMENT')
  assert.is(
    await code(openDelivery(sealed, { passphrase }, join(dir, 'x'), { signal: AbortSignal.abort() })),
    'E_ABORTED',
  )
})

test.run()
