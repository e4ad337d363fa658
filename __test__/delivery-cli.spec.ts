/**
 * `shutterproof deliver` and `unpack` from the command line: round trips with --json and
 * the passphrase from a file or the environment, and the exit codes (0 ok, 1 integrity or
 * refused archive, 2 usage).
 */
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { pack } from 'tar-stream'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { createSealStream } from '../lib/index'
import { cli, tempDir, writeRandomFile } from './support/fixtures'

const dir = tempDir('sp-delivery-cli-')
const passFile = join(dir, 'pass.txt')
writeFileSync(passFile, 'agreed on the phone\n')
const a = writeRandomFile(join(dir, 'IMG_0001.jpg'), 70_000)
const b = writeRandomFile(join(dir, 'empty.txt'), 0)

test('deliver --json --passphrase-file → unpack --passphrase-file --json: same names and bytes; passphrase not echoed', () => {
  const out = join(dir, 'a.sealed')
  const r = cli(['deliver', a, b, '-o', out, '--passphrase-file', passFile, '--json'])
  assert.is(r.status, 0, r.stderr)
  const doc = JSON.parse(r.stdout)
  assert.is(doc.path, out)
  assert.is(doc.passphrase, undefined, 'a given passphrase is not printed')
  assert.equal(doc.files, [
    { name: 'IMG_0001.jpg', size: 70_000 },
    { name: 'empty.txt', size: 0 },
  ])
  assert.is(doc.bytes, readFileSync(out).length)
  assert.not.match(r.stdout + r.stderr, 'agreed on the phone')

  const into = join(dir, 'a-out')
  const u = cli(['unpack', out, into, '--passphrase-file', passFile, '--json'])
  assert.is(u.status, 0, u.stderr)
  assert.equal(JSON.parse(u.stdout), { files: doc.files, dir: into })
  assert.ok(readFileSync(join(into, 'IMG_0001.jpg')).equals(readFileSync(a)))
  assert.is(readFileSync(join(into, 'empty.txt')).length, 0)

  const again = cli(['unpack', out, into, '--passphrase-file', passFile])
  assert.is(again.status, 1, 'existing files are never overwritten')
  assert.match(again.stderr, 'E_EXISTS')
})

test('deliver without a passphrase prints a generated one once with advice; unpack reads SHUTTERPROOF_PASSPHRASE; deliver ignores that variable', () => {
  const out = join(dir, 'b.sealed')
  const r = cli(['deliver', a, '-o', out], { env: { SHUTTERPROOF_PASSPHRASE: 'my vault passphrase' } })
  assert.is(r.status, 0, r.stderr)
  const phrase = /Passphrase \(shown once, stored nowhere\):\s+(\S+)/.exec(r.stdout)?.[1]
  assert.ok(phrase, r.stdout)
  assert.is(phrase!.split('-').length, 6)
  assert.match(r.stdout, 'another way')
  assert.is(r.stdout.split(phrase!).length - 1, 1, 'printed exactly once')

  const into = join(dir, 'b-out')
  const u = cli(['unpack', out, into], { env: { SHUTTERPROOF_PASSPHRASE: phrase! } })
  assert.is(u.status, 0, u.stderr)
  assert.match(u.stdout, 'Unpacked 1 file')
  assert.ok(readFileSync(join(into, 'IMG_0001.jpg')).equals(readFileSync(a)))

  const j = cli(['deliver', b, '-o', join(dir, 'c.sealed'), '--json'])
  assert.is(JSON.parse(j.stdout).passphrase.split('-').length, 6)
})

test('exit 1: wrong passphrase, tampered archive, hostile archive, existing output; nothing written', async () => {
  const out = join(dir, 'a.sealed')
  const into = join(dir, 'fail-out')
  const wrong = join(dir, 'wrong.txt')
  writeFileSync(wrong, 'not it\n')
  const bad = cli(['unpack', out, into, '--passphrase-file', wrong])
  assert.is(bad.status, 1)
  assert.match(bad.stderr, 'E_BAD_PASSPHRASE')
  assert.not.ok(existsSync(into))

  const bytes = readFileSync(out)
  bytes[Math.floor(bytes.length / 2)]! ^= 0x10
  writeFileSync(join(dir, 'tampered.sealed'), bytes)
  const t = cli(['unpack', join(dir, 'tampered.sealed'), into, '--passphrase-file', passFile])
  assert.is(t.status, 1)
  assert.match(t.stderr, 'E_AUTH')
  assert.not.ok(existsSync(into))

  const tar = pack()
  const hostile = join(dir, 'hostile.sealed')
  const done = pipeline(
    tar,
    createSealStream({
      passphrase: 'agreed on the phone',
      kdf: { memoryKiB: 8192, iterations: 1, parallelism: 1 },
    }),
    createWriteStream(hostile),
  )
  tar.entry({ name: 'ok.txt' }, 'fine')
  tar.entry({ name: 'evil', type: 'symlink', linkname: '/etc' })
  tar.finalize()
  await done
  mkdirSync(into)
  const h = cli(['unpack', hostile, into, '--passphrase-file', passFile])
  assert.is(h.status, 1)
  assert.match(h.stderr, 'E_UNSAFE_ENTRY')
  assert.equal(readdirSync(into), [])

  const clash = cli(['deliver', a, '-o', out, '--passphrase-file', passFile])
  assert.is(clash.status, 1)
  assert.match(clash.stderr, 'E_EXISTS')
})

test('exit 2: no -o, duplicate names, no passphrase source for unpack, intoDir is a file', () => {
  const noOut = cli(['deliver', a])
  assert.is(noOut.status, 2)
  const other = join(dir, 'other')
  mkdirSync(other)
  writeFileSync(join(other, 'IMG_0001.jpg'), 'x')
  const dup = cli(['deliver', a, join(other, 'IMG_0001.jpg'), '-o', join(dir, 'dup.sealed')])
  assert.is(dup.status, 2)
  assert.match(dup.stderr, 'E_INVALID_ARGUMENT')
  assert.not.ok(existsSync(join(dir, 'dup.sealed')))
  const noPass = cli(['unpack', join(dir, 'a.sealed'), join(dir, 'np')], {
    env: { SHUTTERPROOF_PASSPHRASE: '' },
  })
  assert.is(noPass.status, 2)
  assert.match(noPass.stderr, '--passphrase-file')
  const intoFile = cli(['unpack', join(dir, 'a.sealed'), a, '--passphrase-file', passFile])
  assert.is(intoFile.status, 2)
})

test.run()
