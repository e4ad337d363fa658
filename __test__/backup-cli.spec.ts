/**
 * The backup CLI: SIGKILL at several points then a re-run completes and every snapshot
 * restore-tests `completed`; exit codes for integrity failures, wrong passphrase, usage.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { createVault, initStore, openStore, openVault, restoreTest } from '../lib/index'
import { cli, cliArgv, tempDir, writeRandomFile } from './support/fixtures'

const FAST = { memoryKiB: 8 * 1024, iterations: 1, parallelism: 1 }
const dir = tempDir('sp-backup-cli-')
const vaultFile = join(dir, 'studio.vault')
const passFile = join(dir, 'pass.txt')
const session = join(dir, '2026-04-26_Ada_Wedding')
const storeDir = join(dir, 'store')
const auth = ['--vault', vaultFile, '--passphrase-file', passFile]

function countObjects(): number {
  const root = join(storeDir, 'objects')
  if (!existsSync(root)) return 0
  return readdirSync(root).reduce(
    (n, d) => n + readdirSync(join(root, d)).filter((f) => !f.startsWith('.')).length,
    0,
  )
}

/**
 * Starts `shutterproof backup` and SIGKILLs it once it has written at least `n` new
 * objects (it may also finish first); resolves with how many new objects it wrote.
 */
function backupKilledAfter(n: number): Promise<number> {
  const before = countObjects()
  return new Promise((resolve) => {
    const child = spawn(process.execPath, cliArgv('backup', session, storeDir, ...auth), { stdio: 'ignore' })
    const timer = setInterval(() => {
      if (countObjects() - before >= n) child.kill('SIGKILL')
    }, 5)
    child.on('exit', () => {
      clearInterval(timer)
      resolve(countObjects() - before)
    })
  })
}

test.before(async () => {
  ;(await createVault(vaultFile, { passphrase: 'cli passphrase', kdf: FAST })).vault.close()
  writeFileSync(passFile, 'cli passphrase\n')
  mkdirSync(join(session, 'DCIM'), { recursive: true })
  for (let i = 0; i < 60; i++) writeRandomFile(join(session, 'DCIM', `IMG_${i}.CR3`), 200_000 + i)
})

test('SIGKILL at several points, then a re-run: completes; every snapshot restore-tests completed', async () => {
  // New objects written before the kill: of 60 files in the first round, then of 10 new ones.
  const points = [1, 5, 8]
  for (const [round, n] of points.entries()) {
    // Sizes differ per round: writeRandomFile's content depends on the size alone, and equal
    // files would be stored once (nothing new to write, nothing to kill).
    if (round > 0)
      for (let i = 0; i < 10; i++)
        writeRandomFile(join(session, 'DCIM', `R${round}_${i}.CR3`), 150_000 + round * 1000 + i)
    const written = await backupKilledAfter(n)
    assert.ok(written >= n, `killed after ${written} new objects`)
    const r = cli(['backup', session, storeDir, ...auth, '--json'])
    assert.is(r.status, 0, r.stderr)
    const report = JSON.parse(r.stdout) as { status: string; objectsReused: number; files: number }
    assert.is(report.status, 'completed')
    assert.ok(report.objectsReused > 0, 'objects written before the kill are reused')
  }
  const vault = await openVault(vaultFile, { passphrase: 'cli passphrase' })
  try {
    const store = await openStore(storeDir, { vault })
    const { snapshots, unreadable } = await store.snapshots()
    assert.is(unreadable.length, 0)
    assert.is(snapshots.length, points.length)
    const t = await restoreTest(store)
    assert.is(t.status, 'completed', JSON.stringify(t.failures))
    assert.is(t.checked, 80)
  } finally {
    vault.close()
  }
  // No temporary file left under the store after the completing runs.
  const temps: string[] = []
  const walk = (d: string) =>
    readdirSync(d).forEach((n) =>
      statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : n.startsWith('.') && temps.push(n),
    )
  walk(storeDir)
  assert.equal(temps, [])
})

test('restore-test and restore through the CLI; exit 1 on a damaged object, 2 on usage, wrong passphrase is refused', () => {
  const ok = cli(['restore-test', storeDir, ...auth, '--sample', '5'])
  assert.is(ok.status, 0, ok.stderr)
  assert.match(ok.stdout, /^completed: 5 files checked/)
  const into = join(dir, 'restored')
  const r = cli(['restore', storeDir, '2026-04-26_Ada_Wedding', into, ...auth])
  assert.is(r.status, 0, r.stderr)
  assert.ok(
    readFileSync(join(into, 'DCIM', 'IMG_3.CR3')).equals(readFileSync(join(session, 'DCIM', 'IMG_3.CR3'))),
  )
  const again = cli(['restore', storeDir, '2026-04-26_Ada_Wedding', into, ...auth])
  assert.is(again.status, 1) // E_EXISTS is reported (typed error → 1), nothing overwritten
  assert.match(again.stderr, /E_EXISTS/)
  const objects = join(storeDir, 'objects')
  const d = readdirSync(objects)[0]!
  const f = join(objects, d, readdirSync(join(objects, d))[0]!)
  const bytes = readFileSync(f)
  bytes[bytes.length - 20]! ^= 1
  writeFileSync(f, bytes)
  const bad = cli(['restore-test', storeDir, ...auth, '--all'])
  assert.is(bad.status, 1)
  assert.match(bad.stderr, /failed-authentication: 2026-04-26_Ada_Wedding\/DCIM\//)
  assert.is(cli(['restore-test', storeDir, ...auth, '--all', '--sample', '3']).status, 2)
  writeFileSync(join(dir, 'wrong.txt'), 'not it\n')
  const wrong = cli([
    'restore-test',
    storeDir,
    '--vault',
    vaultFile,
    '--passphrase-file',
    join(dir, 'wrong.txt'),
  ])
  assert.is(wrong.status, 1)
  assert.match(wrong.stderr, /E_BAD_PASSPHRASE/)
})

test('backup into a store of another vault: E_WRONG_KEY, store untouched', async () => {
  const otherVault = join(dir, 'other.vault')
  const v = (await createVault(otherVault, { passphrase: 'cli passphrase', kdf: FAST })).vault
  const foreign = join(dir, 'foreign-store')
  await initStore(foreign, { vault: v })
  v.close()
  const before = readdirSync(foreign).sort()
  const r = cli(['backup', session, foreign, ...auth])
  assert.is(r.status, 1)
  assert.match(r.stderr, /E_WRONG_KEY/)
  assert.equal(readdirSync(foreign).sort(), before)
})

test.run()
