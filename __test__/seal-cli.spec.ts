import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { cli, tempDir, writeRandomFile } from './support/fixtures'

const dir = tempDir('sp-seal-cli-')
const vaultFile = join(dir, 'studio.vault')
const passFile = join(dir, 'pass.txt')
writeFileSync(passFile, 'correct horse battery staple\n')
let words: string[] = []

test('keys init: default Argon2 costs, prints the recovery kit, writes the HTML kit, never overwrites', () => {
  const r = cli([
    'keys',
    'init',
    '--vault',
    vaultFile,
    '--passphrase-file',
    passFile,
    '--json',
    '--kit-html',
    join(dir, 'kit.html'),
  ])
  assert.is(r.status, 0, r.stderr)
  const doc = JSON.parse(r.stdout)
  assert.is(doc.recoveryWords.length, 24)
  assert.match(doc.keyId, /^[0-9a-f]{32}$/)
  words = doc.recoveryWords
  assert.match(readFileSync(join(dir, 'kit.html'), 'utf8'), words[0]!)
  const again = cli(['keys', 'init', '--vault', vaultFile, '--passphrase-file', passFile])
  assert.is(again.status, 1)
  assert.match(again.stderr, 'E_EXISTS')
})

test('seal → inspect → open with the passphrase (from the environment) and with the recovery words', () => {
  const src = writeRandomFile(join(dir, 'IMG_0001.CR3'), 100_000)
  const sealed = cli(['seal', src, '--vault', vaultFile], {
    env: { SHUTTERPROOF_PASSPHRASE: 'correct horse battery staple' },
  })
  assert.is(sealed.status, 0, sealed.stderr)
  assert.ok(existsSync(`${src}.sealed`))
  const info = JSON.parse(cli(['inspect', `${src}.sealed`, '--json']).stdout)
  assert.equal(info.stanzas, ['vault', 'recovery'])
  assert.is(info.plaintextSize, 100_000)

  const out1 = join(dir, 'back1.CR3')
  const opened = cli([
    'open',
    `${src}.sealed`,
    '--vault',
    vaultFile,
    '--passphrase-file',
    passFile,
    '-o',
    out1,
  ])
  assert.is(opened.status, 0, opened.stderr)
  assert.ok(readFileSync(out1).equals(readFileSync(src)))

  const kit = join(dir, 'kit.txt')
  writeFileSync(kit, words.map((w, i) => `${i + 1}. ${w}`).join('\n'))
  const out2 = join(dir, 'back2.CR3')
  const rescued = cli(['open', `${src}.sealed`, '--vault', vaultFile, '--recovery-key-file', kit, '-o', out2])
  assert.is(rescued.status, 0, rescued.stderr)
  assert.ok(readFileSync(out2).equals(readFileSync(src)))

  // The file is read by the same rule as the API's recoveryKey (FORMAT.md "Recovery key"):
  // a byte order mark, CRLF, NEL and list numbers are fine; a stray heading is a 25th word.
  writeFileSync(kit, `\ufeff${words.map((w, i) => `${String(i + 1).padStart(2)}) ${w}`).join('\r\n')}\u0085`)
  const out3 = join(dir, 'back3.CR3')
  const again = cli(['open', `${src}.sealed`, '--vault', vaultFile, '--recovery-key-file', kit, '-o', out3])
  assert.is(again.status, 0, again.stderr)
  assert.ok(readFileSync(out3).equals(readFileSync(src)))
  writeFileSync(kit, `RECOVERY KIT\n${words.join('\u0085')}`)
  const stray = cli([
    'open',
    `${src}.sealed`,
    '--vault',
    vaultFile,
    '--recovery-key-file',
    kit,
    '-o',
    join(dir, 'back4.CR3'),
  ])
  assert.is(stray.status, 1, stray.stderr)
  assert.match(stray.stderr, 'E_BAD_RECOVERY_KEY')
  assert.match(stray.stderr, 'has 26')

  const clash = cli([
    'open',
    `${src}.sealed`,
    '--vault',
    vaultFile,
    '--passphrase-file',
    passFile,
    '-o',
    out2,
  ])
  assert.is(clash.status, 3, 'an existing output is never overwritten')
})

test('wrong passphrase: exit 1 and nothing written; no TTY and no passphrase source: exit 2', () => {
  const src = writeRandomFile(join(dir, 'b.raw'), 10)
  const bad = join(dir, 'bad.txt')
  writeFileSync(bad, 'nope\n')
  const r = cli(['seal', src, '--vault', vaultFile, '--passphrase-file', bad])
  assert.is(r.status, 1)
  assert.match(r.stderr, 'E_BAD_PASSPHRASE')
  assert.not.ok(existsSync(`${src}.sealed`))
  const noSource = cli(['seal', src, '--vault', vaultFile], { env: { SHUTTERPROOF_PASSPHRASE: '' } })
  assert.is(noSource.status, 2)
  assert.match(noSource.stderr, '--passphrase-file')
})

test('a tampered sealed file: open exits 1 (integrity) with E_AUTH and writes nothing', () => {
  const src = writeRandomFile(join(dir, 'c.raw'), 40_000)
  assert.is(cli(['seal', src, '--vault', vaultFile, '--passphrase-file', passFile]).status, 0)
  const bytes = readFileSync(`${src}.sealed`)
  bytes[bytes.length - 1]! ^= 0x40
  writeFileSync(`${src}.sealed`, bytes)
  const r = cli([
    'open',
    `${src}.sealed`,
    '--vault',
    vaultFile,
    '--passphrase-file',
    passFile,
    '-o',
    join(dir, 'c.out'),
  ])
  assert.is(r.status, 1)
  assert.match(r.stderr, 'E_AUTH')
  assert.not.ok(existsSync(join(dir, 'c.out')))
})

test('passphrase: N words, JSON with entropy', () => {
  const r = cli(['passphrase', '--words', '5', '--json'])
  const doc = JSON.parse(r.stdout)
  assert.is(doc.passphrase.split('-').length, 5)
  assert.is(doc.entropyBits, 55)
})

test.run()
