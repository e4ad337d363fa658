/**
 * Delivery links from the CLI: `share create --scope full --encrypted` and
 * `deliver --public-url` print a browser link whose key is only in the fragment; their
 * `--json` validates against docs/cli-schemas; the sealed copies open with the key; the
 * usage errors say what to do.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'

import Ajv2020 from 'ajv/dist/2020'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { openSealedFile } from '../lib/seal/files'
import { deliveryKeyWords } from '../lib/share/delivery/key'
import { cli, REPO, tempDir } from './support/fixtures'

const ajv = new Ajv2020({ strict: true, allErrors: true })
ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/)
ajv.addFormat('uri', /^[a-z][a-z0-9+.-]*:\/\/\S+$/i)
ajv.addFormat('email', /^[^\s@]+@[^\s@]+\.[^\s@]+$/)

function validates(name: string, doc: unknown): void {
  const validate = ajv.compile(
    JSON.parse(readFileSync(join(REPO, 'docs/cli-schemas', `${name}.schema.json`), 'utf8')),
  )
  assert.ok(validate(doc), `${name}: ${ajv.errorsText(validate.errors)}`)
}

function world() {
  const dir = tempDir('sp-delivery-cli-')
  const session = join(dir, '2026-04-26_Smith')
  mkdirSync(join(session, 'raw'), { recursive: true })
  const a = randomBytes(70_000)
  writeFileSync(join(session, 'raw', 'IMG_0001.CR3'), a)
  writeFileSync(join(session, 'raw', 'IMG_0002.CR3'), randomBytes(10))
  return { dir, session, home: join(dir, 'home'), a }
}

test('share create --scope full --encrypted: a /d/ link with the key after #; JSON validates; the copies open with it', async () => {
  const { session, home, a } = world()
  const r = cli(
    [
      'share',
      'create',
      session,
      join(session, 'raw/IMG_0001.CR3'),
      join(session, 'raw/IMG_0002.CR3'),
      '--scope',
      'full',
      '--encrypted',
      '--json',
      '--home',
      home,
      '--public-url',
      'https://photos.example.com',
    ],
    { env: { NO_COLOR: '1' } },
  )
  assert.is(r.status, 0, r.stderr)
  const doc = JSON.parse(r.stdout)
  validates('share-create', doc)
  assert.match(doc.url, /^https:\/\/photos\.example\.com\/d\/[a-z2-7]{68}#[A-Za-z0-9_-]{43}$/)
  assert.is(doc.encrypted, true)
  const out = join(tempDir('sp-delivery-cli-open-'), 'IMG_0001.CR3')
  await openSealedFile(join(doc.folder, '0001.sealed'), out, { recoveryKey: await deliveryKeyWords(doc.url) })
  assert.ok(readFileSync(out).equals(a))

  const text = cli(
    [
      'share',
      'create',
      session,
      join(session, 'raw/IMG_0001.CR3'),
      '--scope',
      'full',
      '--encrypted',
      '--home',
      home,
    ],
    { env: { NO_COLOR: '1' } },
  )
  assert.is(text.status, 0, text.stderr)
  assert.match(text.stdout.trim(), /\/d\/[a-z2-7]{68}#[A-Za-z0-9_-]{43}$/)
  assert.match(text.stderr, 'the server never sees it')
})

test('share create --encrypted refuses preview scope and --to (exit 2, says what to do)', () => {
  const { session, home } = world()
  const preview = cli([
    'share',
    'create',
    session,
    join(session, 'raw/IMG_0001.CR3'),
    '--encrypted',
    '--home',
    home,
  ])
  assert.is(preview.status, 2)
  assert.match(preview.stderr, 'add --scope full')
  const to = cli([
    'share',
    'create',
    session,
    join(session, 'raw/IMG_0001.CR3'),
    '--scope',
    'full',
    '--encrypted',
    '--to',
    'a@example.com',
    '--home',
    home,
  ])
  assert.is(to.status, 2)
  assert.match(to.stderr, '--password')
})

test('deliver --public-url: the archive for offline hand-over and a browser link; JSON validates', () => {
  const { dir, session, home } = world()
  const r = cli(
    [
      'deliver',
      join(session, 'raw/IMG_0001.CR3'),
      join(session, 'raw/IMG_0002.CR3'),
      '-o',
      join(dir, 'smith.sealed'),
      '--public-url',
      'https://photos.example.com',
      '--home',
      home,
      '--json',
    ],
    { env: { NO_COLOR: '1' } },
  )
  assert.is(r.status, 0, r.stderr)
  const doc = JSON.parse(r.stdout)
  validates('deliver', doc)
  assert.ok(doc.passphrase, 'the archive still has its passphrase')
  assert.match(doc.link.url, /^https:\/\/photos\.example\.com\/d\/[a-z2-7]{68}#[A-Za-z0-9_-]{43}$/)
  const text = cli(
    [
      'deliver',
      join(session, 'raw/IMG_0001.CR3'),
      '-o',
      join(dir, 'one.sealed'),
      '--public-url',
      'https://photos.example.com',
      '--home',
      home,
    ],
    { env: { NO_COLOR: '1' } },
  )
  assert.is(text.status, 0, text.stderr)
  assert.match(text.stdout, 'shutterproof unpack')
  assert.match(
    text.stdout,
    /Browser link[^\n]*\n {2}https:\/\/photos\.example\.com\/d\/[a-z2-7]{68}#[A-Za-z0-9_-]{43}\n/,
  )
})

test.run()
