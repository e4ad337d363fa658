/**
 * Hostile archives: raw tars built with tar-stream and sealed with the right passphrase,
 * so they pass authentication and only the unpacker's own checks stand between them and
 * the disk. Each is refused with nothing written, or contained inside intoDir.
 */
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { pack, type Header } from 'tar-stream'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { createSealStream, openDelivery, type ShutterproofError, type UnsafeArchiveError } from '../lib/index'
import { tempDir } from './support/fixtures'

const FAST = { memoryKiB: 8192, iterations: 1, parallelism: 1 }
const PASS = 'hostile but authentic'
const root = tempDir('sp-hostile-')
let n = 0

type Entry = { header: Partial<Header> & { name: string }; body?: Buffer | string }

/** Seals a raw tar of `entries` (or raw bytes) with the right passphrase. */
async function sealTar(entries: Entry[] | Buffer, out: string): Promise<string> {
  const tar = pack()
  const done = pipeline(tar, createSealStream({ passphrase: PASS, kdf: FAST }), createWriteStream(out))
  if (Buffer.isBuffer(entries)) {
    tar.push(entries)
    tar.push(null)
  } else {
    for (const e of entries) {
      await new Promise<void>((res, rej) =>
        tar.entry(e.header, e.body ?? Buffer.alloc(0), (err) => (err ? rej(err) : res())),
      )
    }
    tar.finalize()
  }
  await done
  return out
}

/** A case folder holding `into/` (existing, empty) and the sealed archive beside it. */
async function setup(entries: Entry[] | Buffer) {
  const caseDir = join(root, `case-${++n}`)
  const into = join(caseDir, 'into')
  mkdirSync(into, { recursive: true })
  const sealed = await sealTar(entries, join(root, `case-${n}.sealed`))
  return { caseDir, into, sealed }
}

/** Everything under a folder, recursively. */
const listing = (d: string) => (existsSync(d) ? readdirSync(d, { recursive: true }).map(String).sort() : [])

/** Opens and expects a refusal with `code`, with the case folder (intoDir's parent) unchanged. */
async function expectRefused(
  entries: Entry[] | Buffer,
  code: string,
  options: Parameters<typeof openDelivery>[3] = {},
) {
  const { caseDir, into, sealed } = await setup(entries)
  const before = listing(caseDir)
  const rootBefore = listing(root).filter((p) => !p.startsWith(`case-${n}`))
  const err = (await openDelivery(sealed, { passphrase: PASS }, into, options).catch(
    (e) => e,
  )) as ShutterproofError
  assert.instance(err, Error, 'refused')
  assert.is(err.code, code, err.message)
  assert.equal(listing(caseDir), before, 'nothing written in intoDir or beside it')
  assert.equal(
    listing(root).filter((p) => !p.startsWith(`case-${n}`)),
    rootBefore,
    'nothing written further out',
  )
  return err
}

const file = (name: string, body: string | Buffer = 'x'): Entry => ({ header: { name, type: 'file' }, body })

test('absolute paths are refused (E_UNSAFE_ENTRY), also after a good file', async () => {
  const target = join(root, 'absolute-evil')
  const err = (await expectRefused([file('good.txt'), file(target)], 'E_UNSAFE_ENTRY')) as UnsafeArchiveError
  assert.is(err.name, 'UnsafeArchiveError')
  assert.is(err.entry, target)
  assert.match(err.message, 'absolute')
  assert.not.ok(existsSync(target))
})

test('"../" traversal, also hidden mid-path, in a long (pax) name, or as a folder, is refused', async () => {
  await expectRefused([file('../evil.txt')], 'E_UNSAFE_ENTRY')
  await expectRefused([file('a/b/../../../evil.txt')], 'E_UNSAFE_ENTRY')
  await expectRefused([file(`${'d'.repeat(120)}/../../../evil.txt`)], 'E_UNSAFE_ENTRY')
  await expectRefused([{ header: { name: '../evil-dir', type: 'directory' } }], 'E_UNSAFE_ENTRY')
  await expectRefused([file('..\\evil.txt')], 'E_UNSAFE_ENTRY')
  await expectRefused([file('.shutterproof-unpack-abc123/x')], 'E_UNSAFE_ENTRY')
})

test('a symbolic link (to /etc) is refused, so a file "through" it is never written', async () => {
  const err = await expectRefused(
    [{ header: { name: 'etc', type: 'symlink', linkname: '/etc' } }, file('etc/shutterproof-delivery-test')],
    'E_UNSAFE_ENTRY',
  )
  assert.match(err.message, 'symbolic link')
  assert.not.ok(existsSync('/etc/shutterproof-delivery-test'))
})

test('a hard link pointing out is refused', async () => {
  writeFileSync(join(root, 'secret'), 'outside')
  const err = await expectRefused(
    [{ header: { name: 'leak', type: 'link', linkname: '../../secret' } }],
    'E_UNSAFE_ENTRY',
  )
  assert.match(err.message, 'hard link')
  assert.is(readFileSync(join(root, 'secret'), 'utf8'), 'outside')
})

test('device nodes and fifos are refused', async () => {
  await expectRefused(
    [{ header: { name: 'null', type: 'character-device', devmajor: 1, devminor: 3 } }],
    'E_UNSAFE_ENTRY',
  )
  await expectRefused(
    [{ header: { name: 'sda', type: 'block-device', devmajor: 8, devminor: 0 } }],
    'E_UNSAFE_ENTRY',
  )
  await expectRefused([file('ok.txt'), { header: { name: 'pipe', type: 'fifo' } }], 'E_UNSAFE_ENTRY')
})

test('duplicate names (exact, after normalisation, case-only) and file/folder clashes are refused', async () => {
  await expectRefused([file('a.jpg', 'first'), file('a.jpg', 'second')], 'E_UNSAFE_ENTRY')
  await expectRefused([file('a.jpg'), file('./a.jpg')], 'E_UNSAFE_ENTRY')
  await expectRefused([file('x//a.jpg'), file('x/a.jpg')], 'E_UNSAFE_ENTRY')
  await expectRefused([file('A.JPG'), file('a.jpg')], 'E_UNSAFE_ENTRY')
  await expectRefused([file('e\u0301.jpg'), file('\u00e9.jpg')], 'E_UNSAFE_ENTRY')
  await expectRefused([file('a'), file('a/b')], 'E_UNSAFE_ENTRY')
})

test('an existing file in intoDir is refused (E_EXISTS) and kept; a symlinked folder inside intoDir is not followed', async () => {
  const { caseDir, into, sealed } = await setup([file('new.txt'), file('keep.txt', 'theirs')])
  writeFileSync(join(into, 'keep.txt'), 'mine')
  const before = listing(caseDir)
  const err = (await openDelivery(sealed, { passphrase: PASS }, into).catch((e) => e)) as ShutterproofError
  assert.is(err.code, 'E_EXISTS')
  assert.is(readFileSync(join(into, 'keep.txt'), 'utf8'), 'mine')
  assert.equal(listing(caseDir), before)

  const c2 = await setup([file('sub/evil.txt')])
  const { symlinkSync } = await import('node:fs')
  mkdirSync(join(c2.caseDir, 'elsewhere'))
  symlinkSync(join(c2.caseDir, 'elsewhere'), join(c2.into, 'sub'))
  const err2 = (await openDelivery(c2.sealed, { passphrase: PASS }, c2.into).catch(
    (e) => e,
  )) as ShutterproofError
  assert.is(err2.code, 'E_EXISTS', err2.message)
  assert.equal(readdirSync(join(c2.caseDir, 'elsewhere')), [], 'nothing written through the link')
})

test('10,000 entries of 0 bytes: contained fine under the default cap (100,000); refused by a lower cap', async () => {
  const many = Array.from({ length: 10_000 }, (_, i) => file(`d${i % 10}/f${i}`, ''))
  const { caseDir, into, sealed } = await setup(many)
  const outside = listing(caseDir).filter((p) => !p.startsWith('into'))
  const r = await openDelivery(sealed, { passphrase: PASS }, into)
  assert.is(r.files.length, 10_000)
  assert.is(listing(into).length, 10_010, '10 folders + 10,000 files, no staging folder left')
  assert.equal(
    listing(caseDir).filter((p) => !p.startsWith('into')),
    outside,
  )

  const err = await expectRefused(many, 'E_ARCHIVE_LIMIT', { limits: { maxEntries: 100 } })
  assert.match(err.message, 'maxEntries')
})

test('total size over limits.maxBytes is refused before it is written', async () => {
  await expectRefused(
    [file('a.bin', Buffer.alloc(600)), file('b.bin', Buffer.alloc(600))],
    'E_ARCHIVE_LIMIT',
    { limits: { maxBytes: 1000 } },
  )
})

test('authentic bytes that are not a tar, or a tar cut short: E_FORMAT, nothing written', async () => {
  await expectRefused(Buffer.from('this is not a tar archive at all, just some text '.repeat(20)), 'E_FORMAT')
  const tar = pack()
  tar.entry({ name: 'a.bin', type: 'file' }, Buffer.alloc(5000, 1))
  tar.finalize()
  const parts: Buffer[] = []
  for await (const c of tar) parts.push(c as Buffer)
  await expectRefused(Buffer.concat(parts).subarray(0, 3000), 'E_FORMAT')
})

test.run()
