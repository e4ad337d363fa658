import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync, chmodSync } from 'node:fs'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { Readable, Writable } from 'node:stream'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import {
  createHasher,
  deriveKey,
  hashFile,
  hashFiles,
  HashStream,
  keyedHash,
  ShutterproofError,
} from '../lib/index'
import { REPO, TSX, tempDir } from './support/fixtures'

const ABC_BLAKE3 = '6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85'

test('hashFile defaults to BLAKE3 and reports the size', async () => {
  const dir = tempDir()
  const f = join(dir, 'abc.txt')
  writeFileSync(f, 'abc')
  const r = await hashFile(f)
  assert.equal(r, { size: 3, blake3: ABC_BLAKE3 })
})

test('every algorithm comes from one call and matches known answers', async () => {
  const f = join(tempDir(), 'abc.txt')
  writeFileSync(f, 'abc')
  const r = await hashFile(f, { algorithms: ['blake3', 'xxh128', 'xxh64', 'xxh3', 'md5', 'sha1', 'sha256'] })
  assert.equal(r.md5, '900150983cd24fb0d6963f7d28e17f72')
  assert.equal(r.sha1, 'a9993e364706816aba3e25717850c26c9cd0d89d')
  assert.equal(r.sha256, 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
  assert.equal(r.xxh128, '06b05ab6733a618578af5f94892f3950')
  assert.equal(r.xxh64, '44bc2cf5ad770999')
  assert.equal(r.xxh3, '78af5f94892f3950')
})

test('missing file, directory and unknown algorithm give their codes', async () => {
  const dir = tempDir()
  const missing = join(dir, 'IMG_404.CR3')
  const e1 = (await hashFile(missing).catch((e) => e)) as ShutterproofError
  assert.instance(e1, ShutterproofError)
  assert.is(e1.code, 'ENOENT')
  assert.is(e1.path, missing)
  assert.match(e1.message, 'IMG_404.CR3')
  const e2 = (await hashFile(dir).catch((e) => e)) as ShutterproofError
  assert.is(e2.code, 'EISDIR')
  const e3 = (await hashFile(missing, { algorithms: ['crc32' as never] }).catch(
    (e) => e,
  )) as ShutterproofError
  assert.is(e3.code, 'E_INVALID_ARGUMENT')
})

test('an unreadable file gives EACCES', async () => {
  const dir = tempDir()
  const f = join(dir, 'secret.raw')
  writeFileSync(f, 'x')
  chmodSync(f, 0o000)
  if (process.getuid?.() !== 0) {
    const e = (await hashFile(f).catch((err) => err)) as ShutterproofError
    assert.is(e.code, 'EACCES')
    return
  }
  // root reads anything: ask an unprivileged child process instead.
  chmodSync(dir, 0o755)
  const script = `require('./lib/hash').hashFile(${JSON.stringify(f)}).then(() => console.log('read'), (e) => console.log(e.code))`
  const r = spawnSync(process.execPath, ['--import', TSX, '-e', script], {
    cwd: REPO,
    encoding: 'utf8',
    uid: 65534,
    gid: 65534,
    env: { ...process.env, HOME: dir, TSX_DISABLE_CACHE: '1' },
  })
  assert.is(r.stdout.trim(), 'EACCES', r.stderr)
})

test('an already-aborted signal rejects with E_ABORTED before any work', async () => {
  const f = join(tempDir(), 'a')
  writeFileSync(f, 'a')
  const e = (await hashFile(f, { signal: AbortSignal.abort() }).catch((err) => err)) as ShutterproofError
  assert.is(e.code, 'E_ABORTED')
})

test('hashFiles keeps going past a failing file and keeps input order', async () => {
  const dir = tempDir()
  const paths = ['a', 'b', 'missing', 'c'].map((n) => join(dir, n))
  for (const p of paths) if (!p.endsWith('missing')) writeFileSync(p, p)
  mkdirSync(join(dir, 'sub'))
  const entries = await hashFiles([...paths, join(dir, 'sub')], { concurrency: 3 })
  assert.equal(
    entries.map((e) => [e.path, e.ok ? 'ok' : e.error.code]),
    [...paths.map((p) => [p, p.endsWith('missing') ? 'ENOENT' : 'ok']), [join(dir, 'sub'), 'EISDIR']],
  )
})

test('createHasher: chaining, empty updates, digest can be read twice', () => {
  const h = createHasher(['blake3', 'sha256'])
  h.update(Buffer.alloc(0))
    .update(Buffer.from('a'))
    .update(new Uint8Array([98, 99]))
  assert.is(h.digest().blake3, ABC_BLAKE3)
  assert.is(h.digest().size, 3)
  assert.throws(
    () => h.update('abc' as never),
    (e: ShutterproofError) => e.code === 'E_INVALID_ARGUMENT',
  )
})

test('createHasher: small updates gathered before native code give the digest of one update', () => {
  // Sizes around the staging limits (2 KiB inputs, 16 KiB buffer), mixed with large
  // inputs that go straight to native code, and a digest read midway.
  const data = randomBytes(300_000)
  const sizes = [
    1, 63, 64, 2047, 2048, 2049, 100, 16_384, 5, 70_000, 1, 2048, 2048, 2048, 2048, 2048, 2048, 2048, 2048,
    777,
  ]
  const whole = createHasher(['blake3', 'xxh128', 'sha256'])
  const parts = createHasher(['blake3', 'xxh128', 'sha256'])
  let at = 0
  for (const [i, n] of sizes.entries()) {
    const piece = data.subarray(at, at + n)
    whole.update(piece)
    parts.update(Buffer.from(piece))
    at += n
    if (i === 7)
      assert.equal(
        parts.digest(),
        createHasher(['blake3', 'xxh128', 'sha256']).update(data.subarray(0, at)).digest(),
      )
  }
  assert.equal(parts.digest(), whole.digest())
  assert.equal(
    parts.digest(),
    createHasher(['blake3', 'xxh128', 'sha256']).update(data.subarray(0, at)).digest(),
  )
  // The staged bytes were copied: changing the caller's buffer afterwards changes nothing.
  const h = createHasher()
  const mutable = Buffer.from('abc')
  h.update(mutable)
  mutable.fill(0)
  assert.is(h.digest().blake3, ABC_BLAKE3)
})

test('HashStream passes bytes through unchanged inside stream.pipeline', async () => {
  const pieces = ['a', 'b', 'c'].map((s) => Buffer.from(s))
  const out: Buffer[] = []
  const hs = new HashStream({ algorithms: ['blake3', 'xxh128'] })
  let evented: unknown
  hs.on('digests', (d) => (evented = d))
  await pipeline(
    Readable.from(pieces),
    hs,
    new Writable({
      write(chunk, _enc, cb) {
        out.push(chunk)
        cb()
      },
    }),
  )
  assert.is(Buffer.concat(out).toString(), 'abc')
  assert.is(hs.digests?.blake3, ABC_BLAKE3)
  assert.is(hs.digests?.xxh128, '06b05ab6733a618578af5f94892f3950')
  assert.equal(evented, hs.digests)
})

test('keyedHash refuses a short key; deriveKey is deterministic and context-bound', () => {
  assert.throws(
    () => keyedHash(Buffer.alloc(31), Buffer.from('x')),
    (e: ShutterproofError) => e.code === 'E_INVALID_ARGUMENT',
  )
  assert.is(keyedHash(Buffer.alloc(32, 1), Buffer.alloc(0)).length, 32)
  const k1 = deriveKey('shutterproof test 1', Buffer.from('m'))
  assert.ok(k1.equals(deriveKey('shutterproof test 1', Buffer.from('m'))))
  assert.not.ok(k1.equals(deriveKey('shutterproof test 2', Buffer.from('m'))))
})

test.run()
