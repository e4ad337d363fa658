/**
 * Writer registrations of a backup store: a run that is the only live writer removes the
 * temporaries killed runs left (and their registrations); a live writer, on this machine
 * or another, keeps them; nothing modified after registration is ever taken.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { LocalFolderBackend } from '../lib/backup/backend'
import { asWriter, hostId, registerWriter, STALE_AFTER_MS } from '../lib/backup/writers'
import { backup, createVault, initStore } from '../lib/index'
import { tempDir, writeRandomFile } from './support/fixtures'

const FAST = { memoryKiB: 8 * 1024, iterations: 1, parallelism: 1 }
const HOUR_AGO = new Date(Date.now() - 3600_000)

/** A pid that names no process any more: a child that has exited and been reaped. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', ''])
  return r.pid!
}

function registration(root: string, name: string, body: object, mtime = new Date()): string {
  mkdirSync(join(root, 'locks'), { recursive: true })
  const p = join(root, 'locks', name)
  writeFileSync(
    p,
    JSON.stringify({
      format: 'shutterproof-writer/1',
      purpose: 'backup',
      startedAt: mtime.toISOString(),
      ...body,
    }),
  )
  utimesSync(p, mtime, mtime)
  return p
}

/** Leaves what a killed run leaves: a Rust seal temporary, a putBytes one, in three folders. */
function leftovers(root: string, mtime = HOUR_AGO): string[] {
  const files = [
    join(root, 'objects', 'ab', `.${'ab'.repeat(32)}.0123456789abcdef.sptmp`),
    join(root, 'index', '.fedcba9876543210.sptmp'),
    join(root, 'tests', '.0011223344556677.sptmp'),
  ]
  for (const f of files) {
    mkdirSync(join(f, '..'), { recursive: true })
    writeFileSync(f, 'partial')
    utimesSync(f, mtime, mtime)
  }
  return files
}

test('sole live writer: removes dead registrations and old temporaries, keeps everything else', async () => {
  const root = tempDir('sp-writers-')
  const temps = leftovers(root)
  const kept = [join(root, 'objects', 'ab', 'ab'.repeat(32)), join(root, 'objects', 'ab', '.DS_Store')]
  for (const f of kept) writeFileSync(f, 'keep')
  const dead = registration(root, 'dead.json', { host: hostId(), pid: deadPid() })
  const abandoned = registration(
    root,
    'other-host.json',
    { host: 'another-machine', pid: 1 },
    new Date(Date.now() - STALE_AFTER_MS - 60_000),
  )
  const w = await registerWriter(new LocalFolderBackend(root), 'backup')
  assert.is(w.temporariesRemoved, 3)
  for (const f of temps) assert.not.ok(existsSync(f), `${f} removed`)
  for (const f of kept) assert.ok(existsSync(f), `${f} kept`)
  assert.not.ok(existsSync(dead))
  assert.not.ok(existsSync(abandoned))
  assert.is(readdirSync(join(root, 'locks')).length, 1)
  await w.release()
  assert.equal(readdirSync(join(root, 'locks')), [])
})

test('another live writer (this machine, or another one with a fresh heartbeat): temporaries stay', async () => {
  for (const body of [
    { host: hostId(), pid: process.pid },
    { host: 'another-machine', pid: 1 },
  ]) {
    const root = tempDir('sp-writers-')
    const temps = leftovers(root)
    const live = registration(
      root,
      'live.json',
      body,
      body.pid === 1 ? new Date(Date.now() - 60_000) : HOUR_AGO,
    )
    const w = await registerWriter(new LocalFolderBackend(root), 'backup')
    assert.is(w.temporariesRemoved, 0)
    for (const f of temps) assert.ok(existsSync(f), `${f} kept while ${JSON.stringify(body)} runs`)
    assert.ok(existsSync(live))
    await w.release()
  }
})

test('a temporary modified after registration belongs to a newer writer: never taken', async () => {
  const root = tempDir('sp-writers-')
  const newer = leftovers(root, new Date(Date.now() + 60_000))
  const w = await registerWriter(new LocalFolderBackend(root), 'backup')
  assert.is(w.temporariesRemoved, 0)
  for (const f of newer) assert.ok(existsSync(f))
  await w.release()
})

test("asWriter: the registration goes when the run fails, and the run's own error comes out", async () => {
  const root = tempDir('sp-writers-')
  const backend = new LocalFolderBackend(root)
  const failing = asWriter(backend, 'backup', async () => {
    assert.is(readdirSync(join(root, 'locks')).length, 1)
    throw Object.assign(new Error('drive full'), { code: 'ENOSPC' })
  })
  await failing.then(
    () => assert.unreachable('the run failed'),
    (err: NodeJS.ErrnoException) => assert.is(err.code, 'ENOSPC'),
  )
  assert.equal(readdirSync(join(root, 'locks')), [])
  assert.is(await asWriter(backend, 'restore-test', async () => 42), 42)
  assert.equal(readdirSync(join(root, 'locks')), [])
})

test('backup after a killed run: leftovers removed and counted, no registration left', async () => {
  const dir = tempDir('sp-writers-backup-')
  const vault = (await createVault(join(dir, 'v.vault'), { passphrase: 'p', kdf: FAST })).vault
  try {
    const store = await initStore(join(dir, 'store'), { vault })
    const session = join(dir, 'session')
    mkdirSync(session)
    for (let i = 0; i < 3; i++) writeRandomFile(join(session, `IMG_${i}.CR3`), 10_000 + i)
    const temps = leftovers(join(dir, 'store'))
    registration(join(dir, 'store'), 'killed.json', { host: hostId(), pid: deadPid() })
    const r = await backup(session, store)
    assert.is(r.status, 'completed')
    assert.is(r.temporariesRemoved, 3)
    for (const f of temps) assert.not.ok(existsSync(f))
    assert.equal(readdirSync(join(dir, 'store', 'locks')), [])
  } finally {
    vault.close()
  }
})

test.run()
