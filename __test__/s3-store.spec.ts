/**
 * Backup stores in a real S3 server (versitygw): a round trip with multipart objects,
 * nothing but ciphertext and opaque names in the server's data folder, no overwrite
 * ever, two overlapping backups at once, restore tests that download from the bucket and
 * name a tampered object, sampled tests, and each access problem as a coded error.
 */
import { createHash } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import {
  backup,
  createVault,
  initStore,
  openStore,
  restore,
  restoreTest,
  type ShutterproofError,
  type Store,
  type Vault,
} from '../lib/index'
import { createS3Bucket, openS3Backend, type S3Backend, type S3StoreOptions } from '../lib/backup/s3-backend'
import { tempDir, writeRandomFile } from './support/fixtures'
import { OTHER_KEY, OTHER_SECRET, s3Available, startS3Server, type S3TestServer } from './support/s3-server'

const FAST = { memoryKiB: 8 * 1024, iterations: 1, parallelism: 1 }
const CLIENT = 'Zanzibar-Quixote'
const MiB = 1024 * 1024
const available = s3Available('s3-store.spec.ts')
const run = available ? test : test.skip

const dir = tempDir('sp-s3-store-')
const session = join(dir, `2026-04-26_${CLIENT}_Wedding`)
let srv: S3TestServer
let vault: Vault
let store: Store

function s3(extra: S3StoreOptions = {}): S3StoreOptions {
  return srv.storeOptions(dir, { attempts: 3, baseMs: 50, maxMs: 200 }, extra)
}

async function codeOf(p: Promise<unknown>): Promise<ShutterproofError | undefined> {
  return p.then(
    () => undefined,
    (err: ShutterproofError) => err,
  )
}

function walk(root: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(root)) {
    const abs = join(root, name)
    if (statSync(abs).isDirectory()) out.push(abs, ...walk(abs))
    else out.push(abs)
  }
  return out.sort()
}

test.before(async () => {
  if (!available) return
  srv = await startS3Server()
  await createS3Bucket('s3://studio', s3())
  vault = (await createVault(join(dir, 'studio.vault'), { passphrase: 'p', kdf: FAST })).vault
  mkdirSync(join(session, 'DCIM', '100CANON'), { recursive: true })
  for (let i = 0; i < 30; i++) {
    const p = join(session, 'DCIM', '100CANON', `IMG_${String(i).padStart(4, '0')}.CR3`)
    writeFileSync(p, `PLAINTEXT-MARKER ${CLIENT} photo ${i} ` + 'x'.repeat(i * 997))
    utimesSync(p, new Date(1_700_000_000_000 + i * 1000), new Date(1_700_000_000_000 + i * 1000 + 123))
  }
  // Two objects large enough to go multipart (5 MiB parts).
  writeRandomFile(join(session, 'DCIM', '100CANON', 'MVI_0001.MP4'), 13 * MiB + 17)
  writeRandomFile(join(session, 'DCIM', '100CANON', 'MVI_0002.MP4'), 7 * MiB)
})

test.after(async () => {
  vault?.close()
  await srv?.close()
})

run('backup to s3://, restore test from the bucket, restore byte-identical with mtimes', async () => {
  store = await initStore('s3://studio/offsite?path-style=1', { vault, s3: s3() })
  assert.is(store.location, 's3://studio/offsite')
  const r = await backup(session, store)
  assert.is(r.status, 'completed', JSON.stringify(r.failures))
  assert.is(r.objectsWritten, 32)
  const again = await backup(session, store)
  assert.is(again.objectsWritten, 0)
  assert.is(again.unchanged, true)
  const reopened = await openStore('s3://studio/offsite', { vault, s3: s3() })
  const t = await restoreTest(reopened)
  assert.is(t.status, 'completed', JSON.stringify(t.failures))
  assert.is(t.checked, 32)
  assert.ok(t.full)
  const into = join(dir, 'restored')
  const rr = await restore(reopened, r.session, into)
  assert.is(rr.status, 'completed')
  for (const f of walk(session).filter((p) => statSync(p).isFile())) {
    const back = join(into, relative(session, f))
    assert.ok(readFileSync(back).equals(readFileSync(f)), back)
    assert.ok(Math.abs(statSync(back).mtimeMs - statSync(f).mtimeMs) < 1, back)
  }
  // Objects were read from the bucket: no download is left in the staging folder.
  assert.equal(
    readdirSync(join(dir, 'staging')).flatMap((d) =>
      readdirSync(join(dir, 'staging', d)).filter((n) => n !== 'downloads'),
    ),
    [],
  )
  assert.equal(await (reopened.backend as S3Backend).pendingUploads(), [], 'no multipart upload left behind')
})

run("nothing in the server's data folder holds a client name, a file or folder name, or plaintext", () => {
  const needles = [CLIENT, 'Wedding', 'IMG_0', 'MVI_', 'CR3', 'MP4', 'PLAINTEXT-MARKER', 'DCIM', '100CANON']
  const inContents = [
    CLIENT,
    'Wedding',
    'IMG_0',
    'MVI_0',
    '.CR3"',
    'PLAINTEXT-MARKER',
    'DCIM/',
    '100CANON',
  ].map((s) => Buffer.from(s))
  const files = walk(srv.dataDir)
  assert.ok(files.length > 30, `${files.length} files in the data folder`)
  for (const f of files) {
    const rel = relative(srv.dataDir, f)
    for (const n of needles) assert.not.ok(rel.includes(n), `${rel} names ${n}`)
    if (statSync(f).isFile()) {
      const bytes = readFileSync(f)
      for (const n of inContents) assert.is(bytes.indexOf(n), -1, `${rel} contains ${n}`)
    }
  }
})

run(
  'an object is never overwritten: a second write of a key is refused (EEXIST), the first stays',
  async () => {
    const backend = store.backend as S3Backend
    const keys = await backend.list('index')
    const before = await backend.getBytes(keys[0]!)
    const e = await codeOf(backend.putBytes(keys[0]!, Buffer.from('replaced?')))
    assert.is((e as { code?: string })?.code, 'EEXIST') // as a local folder says it
    assert.ok((await backend.getBytes(keys[0]!)).equals(before))
  },
)

run(
  'two overlapping backups at once both complete; shared objects are stored once, no upload lingers',
  async () => {
    const s = await initStore('s3://studio/overlap', { vault, s3: s3() })
    const other = join(dir, `2026-05-01_${CLIENT}_Portraits`)
    mkdirSync(other)
    for (const n of ['MVI_0001.MP4', 'IMG_0003.CR3', 'IMG_0004.CR3'])
      writeFileSync(join(other, n), readFileSync(join(session, 'DCIM', '100CANON', n)))
    writeFileSync(join(other, 'own.CR3'), 'only here')
    // Two stores objects (two backends, as two processes would have) writing the same keys.
    const s2 = await openStore('s3://studio/overlap', { vault, s3: s3() })
    const [a, b] = await Promise.all([backup(session, s), backup(other, s2)])
    assert.is(a.status, 'completed', JSON.stringify(a.failures))
    assert.is(b.status, 'completed', JSON.stringify(b.failures))
    assert.is((await s.objectNames()).size, 33)
    assert.is((await restoreTest(s)).status, 'completed')
    assert.equal(await (s.backend as S3Backend).pendingUploads(), [])
  },
)

run(
  'restore test names a tampered object (rewritten through the server) and a deleted one; --sample 10%',
  async () => {
    const s = await initStore('s3://studio/tamper', { vault, s3: s3() })
    assert.is((await backup(session, s)).status, 'completed')
    const snap = [...(await s.latestSnapshots()).values()][0]!
    const objectOf = (p: string) => s.objectKey(snap.files.find((f) => f.path === p)!.object)
    const backend = s.backend as S3Backend
    const tampered = 'DCIM/100CANON/IMG_0007.CR3'
    const big = 'DCIM/100CANON/MVI_0001.MP4'
    const gone = 'DCIM/100CANON/IMG_0011.CR3'
    const bytes = await backend.getBytes(objectOf(tampered))
    bytes[bytes.length - 30]! ^= 1
    await backend.putBytes(objectOf(tampered), bytes, { replace: true })
    const bigBytes = await backend.getBytes(objectOf(big))
    bigBytes[6 * MiB]! ^= 0x80
    await backend.putBytes(objectOf(big), bigBytes, { replace: true })
    await backend.delete(objectOf(gone))
    const t = await restoreTest(s)
    assert.is(t.status, 'failed')
    const by = (p: string) => t.failures.filter((f) => f.path === p).map((f) => f.kind)
    assert.equal(by(tampered), ['failed-authentication'])
    assert.equal(by(big), ['failed-authentication'])
    assert.equal(by(gone), ['missing-object'])
    assert.is(t.failures.length, 3)
    for (const f of t.failures) assert.match(f.message, f.path!)
    const sampled = await restoreTest(s, { sample: '10%' })
    assert.is(sampled.checked, 4) // ceil(32 × 10 %)
    assert.is(sampled.full, false)
  },
)

run(
  'wrong secret, unknown key, no bucket, a bucket of someone else, a skewed clock, no credentials: each a coded error naming the fix',
  async () => {
    const wrongSecret = await codeOf(
      openStore('s3://studio/offsite', {
        vault,
        s3: s3({ aws: { env: srv.env(undefined, 'not-the-secret'), home: dir } }),
      }),
    )
    assert.is(wrongSecret?.code, 'E_S3_BAD_CREDENTIALS')
    assert.match(wrongSecret!.message, /refused the credentials from environment/)
    const unknown = await codeOf(
      openStore('s3://studio/offsite', {
        vault,
        s3: s3({ aws: { env: srv.env('NO-SUCH-KEY', 'x'), home: dir } }),
      }),
    )
    assert.is(unknown?.code, 'E_S3_BAD_CREDENTIALS')
    const noBucket = await codeOf(initStore('s3://no-such-bucket/x', { vault, s3: s3() }))
    assert.is(noBucket?.code, 'E_S3_NO_BUCKET')
    assert.match(noBucket!.message, /bucket no-such-bucket does not exist; create it/)
    const denied = await codeOf(
      openStore('s3://studio/offsite', {
        vault,
        s3: s3({ aws: { env: srv.env(OTHER_KEY, OTHER_SECRET), home: dir } }),
      }),
    )
    assert.is(denied?.code, 'E_S3_ACCESS_DENIED')
    assert.match(denied!.message, /may not list objects in bucket studio/)
    const skewed = await codeOf(
      openStore('s3://studio/offsite', { vault, s3: s3({ clockOffsetMs: -40 * 60_000 }) }),
    )
    assert.is(skewed?.code, 'E_S3_CLOCK_SKEW')
    assert.match(skewed!.message, /clock is (39|40|41) minutes behind the server's.*set the clock/)
    const none = await codeOf(
      openStore('s3://studio/offsite', { vault, s3: s3({ aws: { env: {}, home: dir } }) }),
    )
    assert.is(none?.code, 'E_S3_NO_CREDENTIALS')
    assert.match(none!.message, /AWS_ACCESS_KEY_ID/)
  },
)

run('credentials and settings from a profile in the AWS files; a missing profile is named', async () => {
  const home = join(dir, 'home')
  mkdirSync(join(home, '.aws'), { recursive: true })
  const { AWS_ACCESS_KEY_ID: id, AWS_SECRET_ACCESS_KEY: secret } = srv.env()
  writeFileSync(
    join(home, '.aws', 'credentials'),
    `[default]\naws_access_key_id = WRONG\naws_secret_access_key = WRONG\n\n[studio]\naws_access_key_id = ${id}\naws_secret_access_key = ${secret}\n`,
  )
  writeFileSync(
    join(home, '.aws', 'config'),
    `[profile studio]\nregion = us-east-1\nendpoint_url = ${srv.endpoint}\ns3 =\n  addressing_style = path\n`,
  )
  const backend = await openS3Backend('s3://studio/offsite', {
    aws: { env: {}, home },
    profile: 'studio',
    stagingDir: join(dir, 'staging'),
  })
  assert.ok((await backend.list('objects')).length >= 32)
  // Environment keys give way to a profile named explicitly.
  const viaEnv = await openS3Backend('s3://studio/offsite', {
    aws: { env: { AWS_PROFILE: 'studio', AWS_ACCESS_KEY_ID: 'WRONG', AWS_SECRET_ACCESS_KEY: 'WRONG' }, home },
  })
  assert.ok((await viaEnv.stat('shutterproof-store.json'))?.size)
  const missing = await codeOf(
    openS3Backend('s3://studio/offsite', { aws: { env: {}, home }, profile: 'nope' }),
  )
  assert.is(missing?.code, 'E_S3_NO_CREDENTIALS')
  assert.match(missing!.message, /no profile "nope"/)
  writeFileSync(
    join(home, '.aws', 'config'),
    `[profile proc]\nendpoint_url = ${srv.endpoint}\ncredential_process = printf '{"Version":1,"AccessKeyId":"${id}","SecretAccessKey":"${secret}"}'\n`,
  )
  const proc = await openS3Backend('s3://studio/offsite', { aws: { env: {}, home }, profile: 'proc' })
  assert.ok(await proc.stat('shutterproof-store.json'))
})

run(
  'the bytes in the bucket are the sealed files: SHA-256 of what was uploaded equals what is stored',
  async () => {
    const backend = store.backend as S3Backend
    const key = (await backend.list('objects'))[0]!
    const path = join(srv.dataDir, 'studio', 'offsite', ...key.split('/'))
    const onDisk = createHash('sha256').update(readFileSync(path)).digest('hex')
    const viaS3 = createHash('sha256')
      .update(await backend.getBytes(key))
      .digest('hex')
    assert.is(onDisk, viaS3)
  },
)

test.run()
