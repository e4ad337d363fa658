/**
 * Sealed files through the TypeScript API: vaults and recovery kits, file round trips at
 * chunk edges, range reads, streams, failures that leave nothing behind, Argon2 counted,
 * and the independent WebCrypto decryptor reading files the Rust core just wrote.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import {
  changePassphrase,
  checkRecoveryKey,
  createOpenStream,
  createSealStream,
  createVault,
  generatePassphrase,
  inspectSealed,
  openSealedFile,
  openVault,
  readSealedRange,
  sealFile,
  type ShutterproofError,
  type Vault,
} from '../lib/index'
import { nativeArgon2Runs } from '../lib/native'
import { tempDir, writeRandomFile } from './support/fixtures'
import { openSealedWebCrypto } from './support/webcrypto-open'

/** Small Argon2 costs keep the suite quick; the defaults are exercised by the CLI suite. */
const FAST = { memoryKiB: 8 * 1024, iterations: 1, parallelism: 1 }
const dir = tempDir('sp-seal-')
let vault: Vault
let words: string

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: ShutterproofError) => e.code,
  )

test.before(async () => {
  const created = await createVault(join(dir, 'studio.vault'), { passphrase: 'first passphrase', kdf: FAST })
  vault = created.vault
  words = created.recoveryKit.words.join(' ')
})

test('createVault: recovery kit with 24 words, key id, text and HTML; never overwrites', async () => {
  const { vault: v, recoveryKit: kit } = await createVault(join(dir, 'other.vault'), {
    passphrase: 'p',
    kdf: FAST,
  })
  assert.is(kit.words.length, 24)
  assert.is(kit.keyId, v.keyId)
  assert.match(kit.text, v.keyId)
  assert.match(kit.html, kit.words[23]!)
  assert.not.match(kit.html, /<script|https?:/)
  v.close()
  assert.is(v.closed, true)
  assert.is(await code(createVault(join(dir, 'other.vault'), { passphrase: 'p', kdf: FAST })), 'E_EXISTS')
})

test('vault opens by passphrase and by recovery words alone; a typo in the words is caught', async () => {
  const byPass = await openVault(join(dir, 'studio.vault'), { passphrase: 'first passphrase' })
  const byWords = await openVault(join(dir, 'studio.vault'), { recoveryKey: words })
  assert.is(byPass.keyId, vault.keyId)
  assert.is(byWords.keyId, vault.keyId)
  assert.is(await code(openVault(join(dir, 'studio.vault'), { passphrase: 'wrong' })), 'E_BAD_PASSPHRASE')
  const typo = words.replace(/^(\w+)/, '$1x')
  assert.throws(
    () => checkRecoveryKey(typo),
    (e: ShutterproofError) => e.code === 'E_BAD_RECOVERY_KEY',
  )
  assert.is(await code(openVault(join(dir, 'studio.vault'), { recoveryKey: typo })), 'E_BAD_RECOVERY_KEY')
})

test('recovery words: one rule for every source (FORMAT.md): list numbers, a byte order mark and any Unicode space are fine', async () => {
  const list = words.split(' ')
  const kit = list.map((w, i) => `${String(i + 1).padStart(2)}. ${w}`).join('\r\n')
  for (const text of [
    `\ufeff${kit}\r\n`,
    list.map((w, i) => `${i + 1}) ${w}`).join(' '),
    list.join('\u0085'),
    list.join('\ufeff'),
    `  ${words.toUpperCase()}\n`,
  ]) {
    checkRecoveryKey(text)
    assert.is(
      (await openVault(join(dir, 'studio.vault'), { recoveryKey: text })).keyId,
      vault.keyId,
      JSON.stringify(text.slice(0, 30)),
    )
  }
  // Anything else is a word: a number glued to a word, a heading, a word with punctuation.
  for (const text of [`1.${words}`, `KIT ${words}`, words.replace(' ', ', ')]) {
    assert.throws(
      () => checkRecoveryKey(text),
      (e: ShutterproofError) => e.code === 'E_BAD_RECOVERY_KEY',
      text.slice(0, 30),
    )
  }
})

test('round trips at chunk edges, with inspect and range reads', async () => {
  for (const size of [0, 1, 16383, 16384, 16385, 1024 * 1024 + 1]) {
    const src = writeRandomFile(join(dir, `in-${size}`), size)
    const sealed = `${src}.sealed`
    const r = await sealFile(src, sealed, { vault })
    assert.is(r.plaintextSize, size)
    const info = await inspectSealed(sealed)
    assert.equal(
      [info.kind, info.stanzas, info.keyId, info.plaintextSize],
      ['file', ['vault', 'recovery'], vault.keyId, size],
    )
    const out = join(dir, `out-${size}`)
    await openSealedFile(sealed, out, { vault })
    assert.ok(readFileSync(out).equals(readFileSync(src)), `size ${size}`)
    await openSealedFile(sealed, `${out}.by-words`, { recoveryKey: words })
    assert.ok(readFileSync(`${out}.by-words`).equals(readFileSync(src)))
    if (size > 20000) {
      const part = await readSealedRange(sealed, 16000, 20000, { vault })
      assert.ok(part.equals(readFileSync(src).subarray(16000, 20000)))
    }
  }
})

test('changing the passphrase: old one stops working, files stay readable', async () => {
  const src = writeRandomFile(join(dir, 'keep.raw'), 5000)
  await sealFile(src, `${src}.sealed`, { vault })
  const v2 = await changePassphrase(
    join(dir, 'studio.vault'),
    { passphrase: 'first passphrase' },
    'second passphrase',
    { kdf: FAST },
  )
  assert.is(v2.keyId, vault.keyId)
  assert.is(
    await code(openVault(join(dir, 'studio.vault'), { passphrase: 'first passphrase' })),
    'E_BAD_PASSPHRASE',
  )
  const v3 = await openVault(join(dir, 'studio.vault'), { passphrase: 'second passphrase' })
  await openSealedFile(`${src}.sealed`, `${src}.back`, { vault: v3 })
  assert.ok(readFileSync(`${src}.back`).equals(readFileSync(src)))
})

test('sealing 1,000 small files with an open vault runs Argon2 zero times', async () => {
  const d = tempDir('sp-many-')
  const before = nativeArgon2Runs()
  const names = Array.from({ length: 1000 }, (_, i) => join(d, `IMG_${i}.JPG`))
  for (const n of names) writeFileSync(n, n)
  for (let i = 0; i < names.length; i += 50) {
    await Promise.all(names.slice(i, i + 50).map((n) => sealFile(n, `${n}.sealed`, { vault })))
  }
  assert.is(nativeArgon2Runs() - before, 0)
  assert.is(readdirSync(d).filter((n) => n.endsWith('.sealed')).length, 1000)
})

test('failures leave no output: tampered, truncated, wrong key, existing output, abort', async () => {
  const src = writeRandomFile(join(dir, 'victim.raw'), 5 * 16384 + 100)
  const sealed = `${src}.sealed`
  await sealFile(src, sealed, { vault })
  const bytes = readFileSync(sealed)
  const tampered = join(dir, 'tampered.sealed')
  const flipped = Buffer.from(bytes)
  flipped[flipped.length - 20]! ^= 1
  writeFileSync(tampered, flipped)
  assert.is(await code(openSealedFile(tampered, join(dir, 'x1'), { vault })), 'E_AUTH')
  assert.not.ok(existsSync(join(dir, 'x1')))
  const cut = join(dir, 'cut.sealed')
  writeFileSync(cut, bytes.subarray(0, bytes.length - (100 + 16))) // drop the final chunk: ends on a boundary
  assert.is(await code(openSealedFile(cut, join(dir, 'x2'), { vault })), 'E_TRUNCATED')
  assert.not.ok(existsSync(join(dir, 'x2')))
  const other = await createVault(join(dir, 'stranger.vault'), { passphrase: 'p', kdf: FAST })
  assert.is(await code(openSealedFile(sealed, join(dir, 'x3'), { vault: other.vault })), 'E_WRONG_KEY')
  assert.not.ok(existsSync(join(dir, 'x3')))
  assert.is(await code(sealFile(src, sealed, { vault })), 'E_EXISTS')
  assert.ok(readFileSync(sealed).equals(bytes), 'the existing output is untouched')

  const big = writeRandomFile(join(dir, 'big.raw'), 64 * 1024 * 1024)
  const ac = new AbortController()
  const pending = sealFile(big, `${big}.sealed`, {
    vault,
    signal: ac.signal,
    onProgress: ({ bytes }) => bytes > 0 && ac.abort(),
  })
  assert.is(await code(pending), 'E_ABORTED')
  assert.not.ok(existsSync(`${big}.sealed`))
  assert.equal(
    readdirSync(dir).filter((n) => n.includes('big.raw.sealed')),
    [],
    'no temporary file either',
  )
})

test('passphrase-sealed files: wrong passphrase refused; the WebCrypto decryptor opens them', async () => {
  const src = writeRandomFile(join(dir, 'client.zip'), 3 * 16384 + 7)
  const { passphrase } = generatePassphrase({ words: 6 })
  await sealFile(src, `${src}.sealed`, { passphrase, kdf: FAST })
  assert.equal((await inspectSealed(`${src}.sealed`)).kdf, [
    { memoryKiB: 8192, iterations: 1, parallelism: 1 },
  ])
  assert.is(
    await code(openSealedFile(`${src}.sealed`, join(dir, 'y'), { passphrase: 'nope' })),
    'E_BAD_PASSPHRASE',
  )
  const plain = await openSealedWebCrypto(new Uint8Array(readFileSync(`${src}.sealed`)), { passphrase })
  assert.ok(Buffer.from(plain).equals(readFileSync(src)), 'independent decryptor agrees with the Rust core')
})

test('streams: round trip through pipeline; a tampered stream fails, stays failed, and releases only authenticated bytes', async () => {
  const data = readFileSync(writeRandomFile(join(dir, 'stream.bin'), 200_000))
  const collect = () => {
    const parts: Buffer[] = []
    return { parts, sink: new Writable({ write: (c, _e, cb) => (parts.push(c), cb()) }) }
  }
  const sealed = collect()
  await pipeline(
    Readable.from([data.subarray(0, 70_000), data.subarray(70_000)]),
    createSealStream({ vault }),
    sealed.sink,
  )
  const sealedBytes = Buffer.concat(sealed.parts)
  const opened = collect()
  await pipeline(Readable.from([sealedBytes]), createOpenStream({ vault }), opened.sink)
  assert.ok(Buffer.concat(opened.parts).equals(data))

  const bad = Buffer.from(sealedBytes)
  bad[bad.length - 100]! ^= 1
  const partial = collect()
  const pieces = Array.from({ length: Math.ceil(bad.length / 10_000) }, (_, i) =>
    bad.subarray(i * 10_000, (i + 1) * 10_000),
  )
  const err = (await pipeline(Readable.from(pieces), createOpenStream({ vault }), partial.sink).catch(
    (e) => e,
  )) as ShutterproofError
  assert.is(err.code, 'E_AUTH')
  const released = Buffer.concat(partial.parts)
  assert.ok(released.length < data.length && released.length % 16384 === 0)
  assert.ok(released.equals(data.subarray(0, released.length)), 'released bytes are a correct prefix')
})

test('streams: pieces that complete no chunk (1 byte, a tar header, one short of a chunk) still count, both ways', async () => {
  const sizes = [1, 512, 16383, 1, 16384, 16385, 5, 40_000, 3]
  const data = readFileSync(
    writeRandomFile(
      join(dir, 'pieces.bin'),
      sizes.reduce((a, b) => a + b),
    ),
  )
  const split = (buf: Buffer, lengths: number[]) => {
    let at = 0
    return lengths.map((n) => buf.subarray(at, (at += n)))
  }
  const collect = () => {
    const parts: Buffer[] = []
    return { parts, sink: new Writable({ write: (c, _e, cb) => (parts.push(c), cb()) }) }
  }
  const sealed = collect()
  await pipeline(Readable.from(split(data, sizes)), createSealStream({ vault }), sealed.sink)
  const sealedBytes = Buffer.concat(sealed.parts)
  for (const step of [1000, 16400, 16401, sealedBytes.length]) {
    const opened = collect()
    const steps = Array.from({ length: Math.ceil(sealedBytes.length / step) }, () => step)
    await pipeline(Readable.from(split(sealedBytes, steps)), createOpenStream({ vault }), opened.sink)
    assert.ok(Buffer.concat(opened.parts).equals(data), `opened in pieces of ${step}`)
  }
})

test.after(() => vault?.close())

test.run()
