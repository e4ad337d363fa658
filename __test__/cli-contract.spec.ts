/**
 * The CLI contract (docs/CLI.md): every `--json` output validates against its schema in
 * docs/cli-schemas/, every command with `--json` has a schema (and every schema a
 * command), exit codes per class of outcome, every `--help` has examples, and with
 * NO_COLOR=1 and no TTY no output holds an ANSI escape sequence.
 * Exit 130 (Ctrl-C) is tested for ingest in ingest-faults.spec.ts.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import Ajv2020 from 'ajv/dist/2020'
import sharp from 'sharp'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { createVault, openCatalog } from '../lib/index'
import { cli, cliArgv, REPO, tempDir } from './support/fixtures'

const FAST = { memoryKiB: 8 * 1024, iterations: 1, parallelism: 1 }
const SCHEMAS = join(REPO, 'docs/cli-schemas')
const ESC = /\u001b/

const ajv = new Ajv2020({ strict: true, allErrors: true })
// ajv checks formats only through plugins; these three are all the schemas use.
ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/)
ajv.addFormat('uri', /^[a-z][a-z0-9+.-]*:\/\/\S+$/i)
ajv.addFormat('email', /^[^\s@]+@[^\s@]+\.[^\s@]+$/)

function schema(name: string): object {
  return JSON.parse(readFileSync(join(SCHEMAS, `${name}.schema.json`), 'utf8')) as object
}

/** Every output seen, for the NO_COLOR check at the end. */
const outputs: Array<{ args: string[]; text: string }> = []
/** Commands (schema names) whose --json output was validated. */
const validated = new Set<string>()

/** Runs the CLI with NO_COLOR=1 and pipes (no TTY), remembering its output. */
function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = cli(args, { env: { NO_COLOR: '1', ...env } })
  outputs.push({ args, text: r.stdout + r.stderr })
  return r
}

/** Runs with --json, checks the exit code and validates stdout against the command's schema. */
function runJson(name: string, args: string[], expectStatus: number, env: NodeJS.ProcessEnv = {}): any {
  const r = run([...args, '--json'], env)
  assert.is(r.status, expectStatus, `${args.join(' ')}: exit ${r.status}\n${r.stderr}`)
  let doc: unknown
  try {
    doc = JSON.parse(r.stdout)
  } catch {
    assert.unreachable(`${name}: stdout is not one JSON document:\n${r.stdout}`)
  }
  const validate = ajv.compile(schema(name))
  assert.ok(validate(doc), `${name}: ${ajv.errorsText(validate.errors)}\n${r.stdout}`)
  validated.add(name)
  return doc
}

const dir = tempDir('sp-cli-contract-')
const vaultFile = join(dir, 'studio.vault')
const passFile = join(dir, 'pass.txt')
const auth = ['--vault', vaultFile, '--passphrase-file', passFile]
const card = join(dir, 'card')
const [ssd1, ssd2] = [join(dir, 'ssd1'), join(dir, 'ssd2')]
const folder = '2026-04-26_Ada_Contract'
const session1 = join(ssd1, folder)
const storeDir = join(dir, 'store')
const home = join(dir, 'home')

test.before(async () => {
  ;(await createVault(vaultFile, { passphrase: 'contract passphrase', kdf: FAST })).vault.close()
  writeFileSync(passFile, 'contract passphrase\n')
  mkdirSync(join(card, 'DCIM', '100CANON'), { recursive: true })
  for (let i = 1; i <= 3; i++)
    writeFileSync(join(card, 'DCIM', '100CANON', `IMG_000${i}.CR3`), `raw ${i} `.repeat(100 * i))
  await sharp({ create: { width: 640, height: 480, channels: 3, background: '#5a8' } })
    .jpeg()
    .toFile(join(card, 'DCIM', '100CANON', 'IMG_0004.JPG'))
  mkdirSync(ssd1)
  mkdirSync(ssd2)
})

test('every schema is a valid draft 2020-12 schema that rejects an unrelated document', () => {
  const names = readdirSync(SCHEMAS).filter((f) => f.endsWith('.schema.json'))
  assert.ok(names.length >= 19, names.join())
  for (const f of names) {
    const s = schema(f.replace('.schema.json', '')) as { $schema: string }
    assert.is(s.$schema, 'https://json-schema.org/draft/2020-12/schema', f)
    const validate = ajv.compile(s)
    assert.not.ok(validate({ unexpected: true }), `${f} accepts anything`)
  }
})

test('hash, passphrase: --json validates; a missing file is exit 3 (completed with errors)', () => {
  const file = join(card, 'DCIM', '100CANON', 'IMG_0001.CR3')
  runJson('hash', ['hash', '--algo', 'blake3', '--algo', 'xxh128', file], 0)
  const partial = runJson('hash', ['hash', file, join(dir, 'missing.CR3')], 3)
  assert.is(partial.files[1].error.code, 'ENOENT')
  runJson('passphrase', ['passphrase', '--words', '5'], 0)
})

test('ingest → verify → safe-to-format: --json validates; exit 0, then 1 when not safe', () => {
  const report = runJson(
    'ingest',
    ['ingest', card, ssd1, ssd2, '--client', 'Ada', '--shoot', 'Contract', '--date', '2026-04-26'],
    0,
  )
  assert.is(report.session.folder, folder)
  runJson('verify', ['verify', session1], 0)
  runJson('safe-to-format', ['safe-to-format', card, session1, join(ssd2, folder)], 0)
  const notSafe = runJson('safe-to-format', ['safe-to-format', card, session1], 1)
  assert.is(notSafe.safe, false)
  // Human output too (for the NO_COLOR check).
  assert.is(run(['verify', session1]).status, 0)
  assert.is(
    run(['ingest', card, ssd1, ssd2, '--client', 'Ada', '--shoot', 'Contract', '--date', '2026-04-26'])
      .status,
    0,
  )
})

test('previews: --json validates; the fake RAW files are per-file errors (exit 3), the JPEG is made', () => {
  const r = runJson('previews', ['previews', session1], 3)
  assert.is(r.made, 1)
  assert.equal(
    r.items
      .filter((i: { status: string }) => i.status === 'failed')
      .map((i: { error: { code: string } }) => i.error.code),
    ['E_CORRUPT_IMAGE', 'E_CORRUPT_IMAGE', 'E_CORRUPT_IMAGE'],
  )
  assert.is(run(['previews', session1, '--quiet']).status, 3)
  // --into is relative to where the command runs, like every path on the command line.
  const into = cli(['previews', session1, '--into', 'proofs', '--json'], { cwd: dir, env: { NO_COLOR: '1' } })
  assert.is(into.status, 3, into.stderr)
  assert.is(JSON.parse(into.stdout).folder, join(dir, 'proofs'))
  assert.ok(existsSync(join(dir, 'proofs', 'state.json')))
})

test('report, deliver, unpack: --json validates; a wrong passphrase on unpack is exit 1', () => {
  runJson('report', ['report', session1, '-o', join(dir, 'offload.html')], 0)
  const archive = join(dir, 'selects.sealed')
  const made = runJson(
    'deliver',
    ['deliver', join(card, 'DCIM', '100CANON', 'IMG_0001.CR3'), '-o', archive],
    0,
  )
  assert.is(made.passphrase.split('-').length, 6)
  const pass = join(dir, 'delivery-pass.txt')
  writeFileSync(pass, `${made.passphrase}\n`)
  runJson('unpack', ['unpack', archive, join(dir, 'inbox'), '--passphrase-file', pass], 0)
  assert.is(run(['unpack', archive, join(dir, 'inbox2'), '--passphrase-file', passFile]).status, 1)
})

test('keys init (default Argon2 costs, once), seal, inspect, open: --json validates; failures exit 3 and 1', () => {
  runJson('keys-init', ['keys', 'init', '--vault', join(dir, 'cli.vault'), '--passphrase-file', passFile], 0)
  const src = join(dir, 'IMG_9000.CR3')
  writeFileSync(src, 'x'.repeat(5000))
  const sealed = runJson('seal', ['seal', src, ...auth], 0)
  const out = sealed.files[0].output as string
  runJson('inspect', ['inspect', out], 0)
  runJson('open', ['open', out, ...auth, '-o', join(dir, 'opened.CR3')], 0)
  // One input missing: the others still done, exit 3.
  const partial = runJson(
    'seal',
    ['seal', src, join(dir, 'nope.CR3'), ...auth, '-o', join(dir, 'sealed-out')],
    3,
  )
  assert.ok(partial.files[1].error, JSON.stringify(partial))
  // A tampered sealed file fails authentication: exit 1.
  const bytes = readFileSync(out)
  bytes[bytes.length - 20]! ^= 1
  const bad = join(dir, 'bad.CR3.sealed')
  writeFileSync(bad, bytes)
  const tampered = runJson('open', ['open', bad, ...auth, '-o', join(dir, 'bad.out')], 1)
  assert.match(tampered.files[0].error.code, /E_AUTH|E_TRUNCATED/)
  // A wrong passphrase: exit 1, nothing on stdout.
  writeFileSync(join(dir, 'wrong.txt'), 'not it\n')
  const wrong = run([
    'open',
    out,
    '--vault',
    vaultFile,
    '--passphrase-file',
    join(dir, 'wrong.txt'),
    '--json',
  ])
  assert.is(wrong.status, 1, wrong.stderr)
  assert.is(wrong.stdout, '')
  assert.is(run(['inspect', out]).status, 0)
})

test('share create, list, audit, revoke, revoke --session, purge: --json validates', () => {
  const item = join(session1, 'DCIM', '100CANON', 'IMG_0001.CR3')
  const jpeg = join(session1, 'DCIM', '100CANON', 'IMG_0004.JPG')
  const created = runJson(
    'share-create',
    [
      'share',
      'create',
      session1,
      jpeg,
      '--password',
      'generate',
      '--max-downloads',
      '2',
      '--label',
      'Ada',
      '--home',
      home,
    ],
    0,
  )
  assert.equal(created.items, [
    { path: '.shutterproof/previews/DCIM/100CANON/IMG_0004.JPG.jpg', kind: 'preview' },
  ])
  assert.ok(created.password)
  runJson('share-create', ['share', 'create', session1, item, '--scope', 'full', '--home', home], 0)
  runJson('share-list', ['share', 'list', '--home', home], 0)
  runJson('share-revoke', ['share', 'revoke', created.id, '--reason', 'test', '--home', home], 0)
  const bound = runJson(
    'share-create',
    ['share', 'create', session1, jpeg, '--to', 'Ann@Example.com', '--to', 'bob@example.com', '--home', home],
    0,
  )
  assert.equal(bound.recipients, ['ann@example.com', 'bob@example.com'])
  const one = runJson(
    'share-revoke',
    ['share', 'revoke', bound.id, '--to', 'ann@example.com', '--reason', 'left', '--home', home],
    0,
  )
  assert.equal([one.id, one.recipient, one.reason], [bound.id, 'ann@example.com', 'left'])
  const list = runJson('share-list', ['share', 'list', '--home', home], 0)
  assert.ok(
    list.shares.some((s: { revokedAt?: string }) => s.revokedAt),
    'a revoked share is listed with revokedAt',
  )
  runJson('share-audit', ['share', 'audit', '--home', home], 0)
  assert.is(run(['share', 'audit', '--home', home]).status, 0)
  const bySession = runJson('share-revoke', ['share', 'revoke', '--session', session1, '--home', home], 0)
  assert.is(
    bySession.revoked,
    2,
    'the two links not revoked by id (one bound to recipients, one of its recipients revoked)',
  )
  const purged = runJson('share-purge', ['share', 'purge', '--older-than', '30d', '--home', home], 0)
  assert.is(purged.olderThan, '30d')
  assert.is(run(['share', 'purge', '--home', home]).status, 0)
})

test('share serve --json: one line with the URL; Ctrl-C is a normal stop (exit 0)', async () => {
  const child = spawn(
    process.execPath,
    cliArgv('share', 'serve', '--port', '0', '--root', dir, '--home', home, '--json'),
    {
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let stdout = ''
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const status = await new Promise<number | null>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString()
      if (stdout.includes('\n')) child.kill('SIGINT')
    })
    child.on('exit', (code) => resolve(code))
  })
  outputs.push({ args: ['share', 'serve', '--json'], text: stdout + stderr })
  assert.is(status, 0, stderr)
  const validate = ajv.compile(schema('share-serve'))
  assert.ok(validate(JSON.parse(stdout)), ajv.errorsText(validate.errors))
  validated.add('share-serve')
})

test('store init, backup, restore-test, restore, status: --json validates; status not 3-2-1 is exit 3', async () => {
  runJson('store-init', ['store', 'init', storeDir, ...auth], 0)
  const b = runJson('backup', ['backup', session1, storeDir, ...auth], 0)
  assert.is(b.status, 'completed')
  runJson('restore-test', ['restore-test', storeDir, ...auth], 0)
  runJson('restore', ['restore', storeDir, folder, join(dir, 'restored'), ...auth], 0)
  const copied = runJson('store-copy', ['store', 'copy', storeDir, join(dir, 'store-copy')], 0)
  assert.ok(copied.objectsCopied > 0 && copied.snapshotsCopied === 1, JSON.stringify(copied))
  const gc = runJson('store-gc', ['store', 'gc', join(dir, 'store-copy')], 0)
  assert.is(gc.dryRun, false)
  assert.is(run(['restore-test', storeDir, ...auth, '--sample', '1']).status, 0)

  const catalogFile = join(dir, 'catalog.db')
  const catalog = await openCatalog(catalogFile, {
    destinations: [
      { label: 'SSD1', kind: 'ssd', location: 'onsite', root: ssd1 },
      { label: 'SSD2', kind: 'ssd', location: 'onsite', root: ssd2 },
    ],
  })
  await catalog.rebuild()
  catalog.close()
  const rows = runJson('status', ['status', '--catalog', catalogFile], 3)
  assert.is(rows[0].meets321, false)
  assert.is(run(['status', '--catalog', catalogFile]).status, 3)
})

test('exit 1: verify after a copy changed on disk; restore-test of a damaged store', () => {
  writeFileSync(join(session1, 'DCIM', '100CANON', 'IMG_0002.CR3'), 'changed')
  const v = runJson('verify', ['verify', session1], 1)
  assert.is(v.status, 'failed')
  const objects = join(storeDir, 'objects')
  const sub = readdirSync(objects)[0]!
  const obj = join(objects, sub, readdirSync(join(objects, sub)).filter((f) => !f.startsWith('.'))[0]!)
  const bytes = readFileSync(obj)
  bytes[bytes.length - 1]! ^= 1
  writeFileSync(obj, bytes)
  const t = runJson('restore-test', ['restore-test', storeDir, ...auth], 1)
  assert.is(t.status, 'failed')
})

test('exit 2: usage errors across commands', () => {
  const usage: string[][] = [
    ['frobnicate'],
    ['hash'],
    ['hash', '--algo', 'crc32', passFile],
    ['passphrase', '--words', 'six'],
    ['keys', 'init'],
    ['seal', passFile],
    ['inspect'],
    ['ingest', card, ssd1, '--shoot', 'x'],
    ['ingest', card, ssd1, '--client', 'a', '--shoot', 'b', '--verify', 'maybe'],
    ['safe-to-format', card, session1, '--min-copies', '0'],
    [
      'share',
      'create',
      session1,
      join(session1, 'DCIM', '100CANON', 'IMG_0001.CR3'),
      '--password',
      'on-the-command-line',
      '--home',
      home,
    ],
    ['share', 'revoke', 'no-such-share', '--home', home],
    ['share', 'revoke', '--home', home],
    ['share', 'revoke', '--session', join(dir, 'no-such-session'), '--home', home],
    ['share', 'purge', '--older-than', 'banana', '--home', home],
    ['previews'],
    ['previews', session1, '--watermark', 'x', '--watermark-image', passFile],
    ['previews', session1, '--long-edge', 'big'],
    ['previews', session1, '--keep', 'gps'],
    ['restore-test', storeDir, ...auth, '--all', '--sample', '3'],
    ['backup', session1],
    ['status', '--no-such-option'],
  ]
  for (const args of usage) {
    const r = run([...args, '--json'])
    assert.is(r.status, 2, `${args.join(' ')}: exit ${r.status}\n${r.stderr}`)
    assert.is(r.stdout, '', `${args.join(' ')}: a usage error prints nothing on stdout`)
  }
})

/** Command paths from the help texts: the root's and each group's `Commands:` section. */
function commandPaths(): string[][] {
  const names = (args: string[]) => {
    const text = run([...args, '--help']).stdout
    const section = text.split(/^Commands:$/m)[1] ?? ''
    return section
      .split('\n')
      .map((l) => /^ {2}(\S+)/.exec(l)?.[1])
      .filter((n): n is string => n !== undefined && n !== 'help')
  }
  const out: string[][] = []
  for (const name of names([])) {
    const sub = names([name])
    if (sub.length === 0) out.push([name])
    else for (const s of sub) out.push([name, s])
  }
  return out
}

test('every --help exits 0 with Examples:; every command with --json has a schema, and every schema a command', () => {
  const paths = commandPaths()
  assert.ok(paths.length >= 19, JSON.stringify(paths))
  const withJson = new Set<string>()
  for (const args of [[], ['keys'], ['share'], ['store'], ...paths]) {
    const r = run([...args, '--help'])
    assert.is(r.status, 0, `${args.join(' ')} --help: exit ${r.status}`)
    assert.match(r.stdout, /^Examples:$/m, `${args.join(' ') || 'shutterproof'} --help has no Examples:`)
    if (args.length > 0 && /^\s+--json\b/m.test(r.stdout)) withJson.add(args.join('-'))
  }
  const schemas = readdirSync(SCHEMAS).map((f) => f.replace('.schema.json', ''))
  assert.equal([...withJson].sort(), schemas.sort())
  // And each of them was run and validated above.
  assert.equal([...validated].sort(), schemas.sort())
})

test('NO_COLOR=1 without a TTY: no ANSI escape sequence in any output', () => {
  assert.ok(outputs.length > 50, String(outputs.length))
  for (const o of outputs)
    assert.not.match(o.text, ESC, `${o.args.join(' ')}: ${JSON.stringify(o.text.slice(0, 200))}`)
})

test.run()
