/**
 * A restore test that can check nothing fails: a store whose every backup was killed
 * before its first snapshot, a deleted index, a newest snapshot with no files. `status`
 * then says the session does not meet 3-2-1.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { backup, createVault, ingest, openStore, openVault } from '../lib/index'
import { cli, cliArgv, tempDir, writeRandomFile } from './support/fixtures'
import { makeCard } from './support/ingest-fixtures'

const FAST = { memoryKiB: 8 * 1024, iterations: 1, parallelism: 1 }
const PASS = 'nothing passphrase'

async function setup() {
  const dir = tempDir('sp-rt-nothing-')
  const vaultFile = join(dir, 'studio.vault')
  ;(await createVault(vaultFile, { passphrase: PASS, kdf: FAST })).vault.close()
  const [ssd1, ssd2] = [join(dir, 'ssd1'), join(dir, 'ssd2')]
  mkdirSync(ssd1)
  mkdirSync(ssd2)
  const card = makeCard({ raws: 2, rawBytes: 100_000, jpegs: 2 })
  for (let i = 0; i < 30; i++) writeRandomFile(join(card, 'DCIM/100CANON', `B_${i}.CR3`), 300_000 + i)
  const r = await ingest({
    source: card,
    destinations: [ssd1, ssd2],
    session: { client: 'Ada', shoot: 'Nothing', date: '2026-04-26' },
  })
  assert.is(r.status, 'completed')
  const store = join(dir, 'store')
  assert.is(
    cli(['store', 'init', store, '--vault', vaultFile], { env: { SHUTTERPROOF_PASSPHRASE: PASS } }).status,
    0,
  )
  return { dir, vaultFile, ssd1, ssd2, store, session: join(ssd1, r.session.folder), name: r.session.folder }
}

type Setup = Awaited<ReturnType<typeof setup>>
const env = { SHUTTERPROOF_PASSPHRASE: PASS }

function objects(store: string): number {
  const root = join(store, 'objects')
  if (!existsSync(root)) return 0
  return readdirSync(root).reduce(
    (n, d) => n + readdirSync(join(root, d)).filter((f) => !f.startsWith('.')).length,
    0,
  )
}

function restoreTestCli(s: Setup) {
  const r = cli(['restore-test', s.store, '--vault', s.vaultFile, '--json'], { env })
  return {
    status: r.status,
    report: JSON.parse(r.stdout) as {
      status: string
      checked: number
      failures: Array<{ kind: string; message: string; session?: string }>
    },
    stderr: r.stderr,
  }
}

function statusCli(s: Setup) {
  const r = cli(
    [
      'status',
      '--catalog',
      join(s.dir, `catalog-${Math.random()}.db`),
      '--json',
      '--vault',
      s.vaultFile,
      '--folder',
      `SSD1:ssd:onsite:${s.ssd1}`,
      '--folder',
      `SSD2:hdd:onsite:${s.ssd2}`,
      '--store',
      `OFF:hdd:offsite:${s.store}`,
    ],
    { env },
  )
  return {
    status: r.status,
    rows: JSON.parse(r.stdout) as Array<{ session: string; meets321: boolean; reasons: string[] }>,
    stderr: r.stderr,
  }
}

test('every backup killed before its first snapshot: restore-test fails (no-snapshot), status says 3-2-1 is not met', async () => {
  const s = await setup()
  for (let i = 0; i < 2; i++) {
    await new Promise<void>((resolve) => {
      const child = spawn(process.execPath, cliArgv('backup', s.session, s.store, '--vault', s.vaultFile), {
        stdio: 'ignore',
        env: { ...process.env, ...env },
      })
      const before = objects(s.store)
      const timer = setInterval(() => {
        if (objects(s.store) > before) child.kill('SIGKILL')
      }, 3)
      child.on('exit', () => {
        clearInterval(timer)
        resolve()
      })
    })
  }
  assert.ok(objects(s.store) > 0, 'objects were written')
  const index = join(s.store, 'index')
  assert.equal(
    existsSync(index) ? readdirSync(index).filter((n) => !n.startsWith('.')) : [],
    [],
    'no snapshot was published',
  )
  const t = restoreTestCli(s)
  assert.is(t.status, 1, t.stderr)
  assert.is(t.report.status, 'failed')
  assert.is(t.report.checked, 0)
  assert.is(t.report.failures[0]!.kind, 'no-snapshot')
  assert.match(t.report.failures[0]!.message, 'no index snapshot')
  const text = cli(['restore-test', s.store, '--vault', s.vaultFile], { env })
  assert.is(text.status, 1)
  assert.match(text.stderr, 'no-snapshot')
  assert.match(text.stdout, 'failed: 0 files checked')
  const st = statusCli(s)
  assert.is(st.status, 3, st.stderr)
  const row = st.rows.find((r) => r.session === s.name)!
  assert.is(row.meets321, false)
  assert.ok(row.reasons.includes('no off-site copy'), row.reasons.join('; '))
})

test('a deleted index, and a newest snapshot with no files: restore-test fails and names why; status is not met', async () => {
  const s = await setup()
  const vault = await openVault(s.vaultFile, { passphrase: PASS })
  try {
    const store = await openStore(s.store, { vault })
    assert.is((await backup(s.session, store)).status, 'completed')
    assert.is(restoreTestCli(s).status, 0)
    assert.is(statusCli(s).rows.find((r) => r.session === s.name)!.meets321, true)

    // The newest snapshot of the session holds no files (an empty folder backed up by an older version).
    await store.publishSnapshot({
      format: 'shutterproof-snapshot/1',
      session: s.name,
      createdAt: new Date(Date.now() + 1000).toISOString(),
      files: [],
    })
    const t = restoreTestCli(s)
    assert.is(t.status, 1)
    const f = t.report.failures.find((x) => x.kind === 'empty-snapshot')!
    assert.ok(f, JSON.stringify(t.report.failures))
    assert.is(f.session, s.name)
    assert.match(f.message, /held \d+\)/)
    const st = statusCli(s)
    const row = st.rows.find((r) => r.session === s.name)!
    assert.is(row.meets321, false, row.reasons.join('; '))
    assert.ok(row.reasons.includes('no off-site copy'), row.reasons.join('; '))

    // Backing up an empty folder is refused, so no new empty snapshot appears.
    const empty = join(s.dir, 'ssd1', 'empty-session')
    mkdirSync(empty)
    const b = cli(['backup', empty, s.store, '--vault', s.vaultFile], { env })
    assert.is(b.status, 2, b.stderr)
    assert.match(b.stderr, 'holds no files to back up')

    rmSync(join(s.store, 'index'), { recursive: true })
    const gone = restoreTestCli(s)
    assert.is(gone.status, 1)
    assert.is(gone.report.failures[0]!.kind, 'no-snapshot')
  } finally {
    vault.close()
  }
})

test.run()
