/**
 * The one exit-code table of docs/CLI.md, walked command by command over a damaged or
 * conflicting input: 1 when a check fails (integrity, authentication, a damaged file or
 * database, a card not safe to format) or the command fails as a whole, 3 when some items
 * failed and the others were done, 2 for usage. Integrity failures are recognised by one
 * predicate (`isIntegrityError`) everywhere: a flipped magic byte is exit 1 from `open`
 * as it is from `inspect` and `restore`.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { IntegrityError, isIntegrityError, ShutterproofError } from '../lib/index'
import { cli, tempDir } from './support/fixtures'

const dir = tempDir('sp-exit-')
const passFile = join(dir, 'pass.txt')
const vaultFile = join(dir, 'studio.vault')
const auth = ['--vault', vaultFile, '--passphrase-file', passFile]
const card = join(dir, 'card')
const ssd = join(dir, 'ssd')
const folder = '2026-04-26_Ada_Exit'
const session = join(ssd, folder)
const storeDir = join(dir, 'store')
const home = join(dir, 'home')

/** Flips one byte of `file` at `at` (negative: from the end). */
function flip(file: string, at: number): void {
  const b = readFileSync(file)
  b[at < 0 ? b.length + at : at]! ^= 0x5a
  writeFileSync(file, b)
}

function run(args: string[]) {
  return cli(args, { env: { NO_COLOR: '1', SHUTTERPROOF_HOME: home } })
}

function firstObject(): string {
  const objects = join(storeDir, 'objects')
  const sub = readdirSync(objects).filter((n) => !n.startsWith('.'))[0]!
  return join(objects, sub, readdirSync(join(objects, sub)).filter((f) => !f.startsWith('.'))[0]!)
}

test.before(() => {
  writeFileSync(passFile, 'exit code passphrase\n')
  mkdirSync(join(card, 'DCIM'), { recursive: true })
  for (let i = 1; i <= 3; i++)
    writeFileSync(join(card, 'DCIM', `IMG_000${i}.CR3`), `raw ${i} `.repeat(2000 * i))
  mkdirSync(ssd)
  // SHUTTERPROOF_KDF is not a thing: keys init uses the default costs once here.
  assert.is(run(['keys', 'init', '--vault', vaultFile, '--passphrase-file', passFile, '--json']).status, 0)
  assert.is(
    run([
      'ingest',
      card,
      ssd,
      '--client',
      'Ada',
      '--shoot',
      'Exit',
      '--date',
      '2026-04-26',
      '--min-copies',
      '1',
      '--quiet',
    ]).status,
    0,
  )
  assert.is(run(['backup', session, storeDir, ...auth, '--quiet']).status, 0)
})

test('isIntegrityError is the one predicate: thrown IntegrityErrors and { code } entries of reports', () => {
  assert.ok(isIntegrityError(new IntegrityError('E_AUTH', 'x')))
  assert.ok(isIntegrityError({ code: 'E_FORMAT' }))
  assert.ok(isIntegrityError({ code: 'E_VERIFY_MISMATCH' }))
  assert.not.ok(isIntegrityError(new ShutterproofError('ENOENT', 'x')))
  assert.not.ok(isIntegrityError({ code: 'E_BAD_PASSPHRASE' }))
  assert.not.ok(isIntegrityError(undefined))
})

/** One row per command: what is damaged, and the exit code docs/CLI.md gives for it. */
const walk: Array<{ command: string; damage: () => string[]; expect: number }> = [
  {
    command: 'hash',
    damage: () => ['hash', join(card, 'DCIM', 'IMG_0001.CR3'), join(card, 'DCIM')], // a folder among files: that item fails
    expect: 3,
  },
  {
    command: 'keys init',
    damage: () => ['keys', 'init', '--vault', vaultFile, '--passphrase-file', passFile],
    expect: 1,
  },
  { command: 'passphrase', damage: () => ['passphrase', '--words', 'many'], expect: 2 },
  {
    command: 'seal',
    damage: () => {
      const bad = join(dir, 'damaged.vault')
      copyFileSync(vaultFile, bad)
      flip(bad, -10)
      return [
        'seal',
        join(card, 'DCIM', 'IMG_0001.CR3'),
        '--vault',
        bad,
        '--passphrase-file',
        passFile,
        '-o',
        join(dir, 'x.sealed'),
      ]
    },
    expect: 1,
  },
  {
    command: 'open',
    damage: () => {
      const sealed = join(dir, 'magic.sealed')
      assert.is(run(['seal', join(card, 'DCIM', 'IMG_0002.CR3'), ...auth, '-o', sealed]).status, 0)
      flip(sealed, 0) // the magic byte
      return ['open', sealed, ...auth, '-o', join(dir, 'magic.out')]
    },
    expect: 1,
  },
  { command: 'inspect', damage: () => ['inspect', join(dir, 'magic.sealed')], expect: 1 },
  {
    command: 'ingest',
    damage: () => {
      const other = join(dir, 'ssd-conflict')
      mkdirSync(join(other, folder, 'DCIM'), { recursive: true })
      writeFileSync(join(other, folder, 'DCIM', 'IMG_0001.CR3'), 'a different file under the same name')
      return [
        'ingest',
        card,
        other,
        '--client',
        'Ada',
        '--shoot',
        'Exit',
        '--date',
        '2026-04-26',
        '--min-copies',
        '1',
      ]
    },
    expect: 3,
  },
  {
    command: 'verify',
    damage: () => {
      flip(join(session, 'DCIM', 'IMG_0003.CR3'), 100)
      return ['verify', session]
    },
    expect: 1,
  },
  {
    command: 'safe-to-format',
    damage: () => ['safe-to-format', card, session, '--min-copies', '1'],
    expect: 1,
  },
  {
    command: 'report',
    damage: () => {
      const reports = join(session, '.shutterproof')
      for (const f of readdirSync(reports).filter((n) => n.startsWith('ingest-') && n.endsWith('.json')))
        writeFileSync(join(reports, f), '{"format": "shutterproof-session-rec')
      return ['report', session]
    },
    expect: 1,
  },
  { command: 'store init', damage: () => ['store', 'init', storeDir, ...auth], expect: 1 },
  {
    command: 'restore-test',
    damage: () => {
      flip(firstObject(), -5)
      return ['restore-test', storeDir, ...auth]
    },
    expect: 1,
  },
  {
    command: 'restore',
    damage: () => ['restore', storeDir, folder, join(dir, 'restored'), ...auth],
    expect: 1,
  },
  {
    command: 'backup',
    damage: () => {
      writeFileSync(
        join(storeDir, 'shutterproof-store.json'),
        '{ "format": "shutterproof-store/1", "keyId": ',
      )
      return ['backup', session, storeDir, ...auth]
    },
    expect: 1,
  },
  // The card's "RAW files" hold text: each is E_CORRUPT_IMAGE, the run completes with errors.
  { command: 'previews', damage: () => ['previews', session], expect: 3 },
  {
    command: 'status',
    damage: () => {
      const junk = join(dir, 'junk-catalog.db')
      writeFileSync(junk, 'this is not a SQLite database, it is a text file '.repeat(100))
      return ['status', '--catalog', junk]
    },
    expect: 1,
  },
  {
    command: 'store copy',
    damage: () => {
      mkdirSync(join(dir, 'not-a-store'), { recursive: true })
      return ['store', 'copy', join(dir, 'not-a-store'), join(dir, 'copied-store')]
    },
    expect: 1,
  },
  { command: 'store gc', damage: () => ['store', 'gc', join(dir, 'not-a-store')], expect: 1 },
  {
    command: 'deliver',
    damage: () => {
      writeFileSync(join(dir, 'taken.sealed'), 'already here')
      return ['deliver', join(card, 'DCIM', 'IMG_0001.CR3'), '-o', join(dir, 'taken.sealed')]
    },
    expect: 1,
  },
  {
    command: 'unpack',
    damage: () => {
      const archive = join(dir, 'delivery.sealed')
      const made = run(['deliver', join(card, 'DCIM', 'IMG_0001.CR3'), '-o', archive, '--json'])
      assert.is(made.status, 0, made.stderr)
      writeFileSync(join(dir, 'delivery-pass.txt'), `${JSON.parse(made.stdout).passphrase}\n`)
      flip(archive, -100)
      return ['unpack', archive, join(dir, 'inbox'), '--passphrase-file', join(dir, 'delivery-pass.txt')]
    },
    expect: 1,
  },
  {
    command: 'share list',
    damage: () => {
      mkdirSync(home, { recursive: true })
      writeFileSync(join(home, 'shares.db'), 'not a database either '.repeat(200))
      return ['share', 'list']
    },
    expect: 1,
  },
  {
    command: 'share create',
    damage: () => ['share', 'create', session, join(session, 'DCIM', 'IMG_0001.CR3')],
    expect: 1,
  },
  { command: 'share audit', damage: () => ['share', 'audit'], expect: 1 },
  { command: 'share purge', damage: () => ['share', 'purge'], expect: 1 },
]

for (const row of walk) {
  test(`${row.command} over a damaged input exits ${row.expect}, naming the problem on stderr`, () => {
    const args = row.damage()
    const r = run(args)
    assert.is(r.status, row.expect, `${args.join(' ')}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`)
    if (row.expect === 2) assert.match(r.stderr, /^shutterproof: /)
    // The problem is named with its stable code, or by the command's verdict.
    else
      assert.match(
        r.stderr + r.stdout,
        /\[(E_[A-Z_]+|E[A-Z]+)\]|: (E_[A-Z_]+|E[A-Z]+): |safe to format the card: NO|MISMATCH/,
        r.stderr + r.stdout,
      )
  })
}

test('every command of the docs table is walked', () => {
  const doc = readFileSync(join(__dirname, '..', 'docs', 'CLI.md'), 'utf8')
  const table = doc
    .split('## Commands')[1]!
    .split('\n')
    .filter((l) => /^\| \[`/.test(l))
  const documented = table.map((l) => /^\| \[`([^`]+)`\]/.exec(l)![1]!)
  const walked = new Set(walk.map((w) => w.command))
  const missing = documented.filter((c) => !walked.has(c) && !['share revoke', 'share serve'].includes(c))
  assert.equal(missing, [], `not walked: ${missing.join(', ')}`)
  rmSync(join(dir, 'restored'), { recursive: true, force: true })
})

test.run()
