/**
 * The CLI with s3:// stores on a real server (versitygw): init, backup with a rate limit
 * and progress with ETA, a time window that stops the run cleanly and a re-run that
 * finishes, sampled and full restore tests, store copy local → S3 → local, and status
 * counting each store once and saying which copies are off-site and when each store's
 * last full restore test passed. Credentials come from the environment only.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { createVault, ingest } from '../lib/index'
import { createS3Bucket } from '../lib/backup/s3-backend'
import { cli, tempDir, writeRandomFile } from './support/fixtures'
import { makeCard } from './support/ingest-fixtures'
import { s3Available, startS3Server, type S3TestServer } from './support/s3-server'

const FAST = { memoryKiB: 8 * 1024, iterations: 1, parallelism: 1 }
const MiB = 1024 * 1024
const available = s3Available('s3-cli.spec.ts')
const run = available ? test : test.skip

const dir = tempDir('sp-s3-cli-')
const vaultFile = join(dir, 'studio.vault')
const passFile = join(dir, 'pass.txt')
const auth = ['--vault', vaultFile, '--passphrase-file', passFile]
let srv: S3TestServer
let env: Record<string, string>
let where: string[]

function sp(args: string[]) {
  return cli(args, { env })
}

test.before(async () => {
  if (!available) return
  srv = await startS3Server()
  env = { ...srv.env(), SHUTTERPROOF_STAGING_DIR: join(dir, 'staging'), NO_COLOR: '1' }
  where = ['--endpoint', srv.endpoint]
  await createS3Bucket('s3://cli', { endpoint: srv.endpoint, aws: { env: srv.env(), home: dir } })
  ;(await createVault(vaultFile, { passphrase: 'cli pass', kdf: FAST })).vault.close()
  writeFileSync(passFile, 'cli pass\n')
})

test.after(async () => {
  await srv?.close()
})

run(
  'store init, backup (rate-limited, progress with ETA), restore-test --sample 10% and full, restore',
  () => {
    const init = sp(['store', 'init', 's3://cli/offsite', ...where, ...auth, '--json'])
    assert.is(init.status, 0, init.stderr)
    assert.is(JSON.parse(init.stdout).store, 's3://cli/offsite')
    const session = join(dir, '2026-04-26_Ada_Wedding')
    mkdirSync(session)
    for (let i = 0; i < 10; i++) writeRandomFile(join(session, `IMG_${i}.CR3`), 1 * MiB + i)
    const b = sp([
      'backup',
      session,
      's3://cli/offsite',
      ...where,
      ...auth,
      '--bwlimit',
      '2MiB/s',
      '--concurrency',
      '3',
    ])
    assert.is(b.status, 0, b.stderr)
    assert.match(b.stdout, /^completed: 2026-04-26_Ada_Wedding: 10 files, 10 objects written/m)
    // Without a terminal, a progress line every 5 s: bytes, rate and time left, in the
    // screen's decimal units (lib/text/units: 10 × 1 MiB = 10.5 MB).
    assert.match(
      b.stderr,
      /progress: files \d+\/10 {2}[\d.]+ (B|kB|MB) of 10\.5 MB {2}[\d.]+ (B|kB|MB)\/s {2}ETA \d+:\d\d {2}objects written \d+/,
    )
    const sample = sp(['restore-test', 's3://cli/offsite', ...where, ...auth, '--sample', '10%'])
    assert.is(sample.status, 0, sample.stderr)
    assert.match(sample.stdout, /^completed: 1 file checked, /)
    const full = sp(['restore-test', 's3://cli/offsite', ...where, ...auth, '--json'])
    assert.is(full.status, 0, full.stderr)
    assert.equal([JSON.parse(full.stdout).checked, JSON.parse(full.stdout).full], [10, true])
    const into = join(dir, 'restored')
    const r = sp(['restore', 's3://cli/offsite', '2026-04-26_Ada_Wedding', into, ...where, ...auth])
    assert.is(r.status, 0, r.stderr)
    assert.ok(existsSync(join(into, 'IMG_9.CR3')))
    assert.is(sp(['restore-test', 's3://cli/offsite', ...where, ...auth, '--sample', '0%']).status, 2)
    assert.is(sp(['backup', session, 's3://cli/offsite', ...where, ...auth, '--bwlimit', 'fast']).status, 2)
    assert.is(
      sp(['backup', session, 's3://cli/offsite', ...where, ...auth, '--access-key', 'AKIA…']).status,
      2,
      'no credentials on the command line',
    )
  },
)

run(
  '--until: the run stops cleanly at the end of the window (exit 4, no snapshot), the next run finishes it',
  () => {
    const session = join(dir, '2026-05-02_Bo_Portraits')
    mkdirSync(session)
    for (let i = 0; i < 6; i++) writeRandomFile(join(session, `IMG_${i}.CR3`), 2 * MiB + i * 3)
    const until = new Date(Date.now() + 2500).toISOString()
    const stopped = sp([
      'backup',
      session,
      's3://cli/window',
      ...where,
      ...auth,
      '--bwlimit',
      '1MiB/s',
      '--until',
      until,
      '--json',
    ])
    assert.is(stopped.status, 4, stopped.stderr)
    const first = JSON.parse(stopped.stdout) as {
      status: string
      windowEnded: boolean
      snapshot?: string
      objectsWritten: number
    }
    assert.equal([first.status, first.windowEnded, first.snapshot], ['aborted', true, undefined])
    const next = sp(['backup', session, 's3://cli/window', ...where, ...auth, '--json'])
    assert.is(next.status, 0, next.stderr)
    const second = JSON.parse(next.stdout) as {
      status: string
      objectsWritten: number
      objectsReused: number
    }
    assert.is(second.status, 'completed')
    assert.is(second.objectsWritten + second.objectsReused, 6)
    assert.is(
      second.objectsReused,
      first.objectsWritten,
      'objects complete at the end of the window were kept',
    )
    assert.is(sp(['restore-test', 's3://cli/window', ...where, ...auth]).status, 0)
    assert.is(sp(['backup', session, 's3://cli/window', ...where, ...auth, '--until', '25:00']).status, 2)
  },
)

run(
  'store copy local → S3 → local without the vault; status counts each store once, names the off-site ones and their last full test',
  async () => {
    const ssd = join(dir, 'SSD')
    const hdd = join(dir, 'HDD')
    mkdirSync(ssd)
    mkdirSync(hdd)
    const r = await ingest({
      source: makeCard({ rawBytes: 50_000, raws: 2, jpegs: 2 }),
      destinations: [ssd, hdd],
      session: { client: 'Cy', shoot: 'Studio', date: '2026-06-01' },
    })
    const name = r.session.folder
    const local = join(dir, 'local-store')
    assert.is(sp(['backup', join(ssd, name), local, ...auth]).status, 0)
    const up = sp(['store', 'copy', local, 's3://cli/copy', ...where, '--json'])
    assert.is(up.status, 0, up.stderr)
    const upReport = JSON.parse(up.stdout) as { objectsCopied: number; snapshotsCopied: number }
    assert.ok(upReport.objectsCopied >= 5 && upReport.snapshotsCopied === 1, up.stdout)
    const again = sp(['store', 'copy', local, 's3://cli/copy', ...where, '--json'])
    assert.equal(
      [JSON.parse(again.stdout).objectsCopied, JSON.parse(again.stdout).snapshotsCopied],
      [0, 0],
      'incremental',
    )
    const down = sp(['store', 'copy', 's3://cli/copy', join(dir, 'back-store'), ...where, '--json'])
    assert.is(down.status, 0, down.stderr)
    assert.is(sp(['restore-test', join(dir, 'back-store'), ...auth]).status, 0)
    assert.is(sp(['restore-test', 's3://cli/copy', ...where, ...auth]).status, 0)

    const places = [
      '--folder',
      `SSD:ssd:onsite:${ssd}`,
      '--folder',
      `HDD:hdd:onsite:${hdd}`,
      '--store',
      `LOCAL:hdd:onsite:${local}`,
      '--store',
      `CLOUD:cloud:offsite:s3://cli/copy`,
    ]
    const status = sp(['status', '--catalog', join(dir, 'catalog.db'), ...places, ...where, ...auth])
    assert.is(status.status, 0, status.stderr)
    assert.match(status.stdout, new RegExp(`${name}\\s+4\\s+cloud\\+hdd\\+ssd\\s+yes:CLOUD\\s`))
    assert.match(
      status.stdout,
      /^store CLOUD \(cloud, off-site, s3:\/\/cli\/copy\): last full restore test passed \d{4}-\d\d-\d\dT/m,
    )
    assert.match(
      status.stdout,
      /^store LOCAL \(hdd, on-site, .*local-store\): no full restore test passed yet/m,
    )
    const json = JSON.parse(sp(['status', '--catalog', join(dir, 'catalog.db'), '--json']).stdout) as Array<{
      session: string
      places: Array<{ label: string; location: string; lastFullTestPassed?: string }>
    }>
    const row = json.find((x) => x.session === name)!
    assert.equal(
      row.places.filter((p) => p.location === 'offsite').map((p) => p.label),
      ['CLOUD'],
    )
    assert.ok(row.places.find((p) => p.label === 'CLOUD')!.lastFullTestPassed)
    const twice = sp([
      'status',
      '--catalog',
      join(dir, 'catalog2.db'),
      '--store',
      `A:cloud:offsite:s3://cli/copy`,
      '--store',
      `B:cloud:offsite:s3://cli/copy`,
      ...where,
      ...auth,
    ])
    assert.is(twice.status, 2, 'one store listed twice would count as two copies')
    assert.match(twice.stderr, /A and B are the same place/)
  },
)

test.run()
