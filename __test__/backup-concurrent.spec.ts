/**
 * Backups run at the same time into one store, sharing files: every run completes and
 * publishes its snapshot (an object that already exists under its content address with
 * the right content is success, not a conflict); then the restore test passes and each
 * session restores byte for byte.
 */
import { spawn } from 'node:child_process'
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { createVault, openStore, openVault, restore, restoreTest } from '../lib/index'
import { cliArgv, tempDir, writeRandomFile } from './support/fixtures'

const FAST = { memoryKiB: 8 * 1024, iterations: 1, parallelism: 1 }
const dir = tempDir('sp-backup-conc-')
const vaultFile = join(dir, 'studio.vault')
const passFile = join(dir, 'pass.txt')
const auth = ['--vault', vaultFile, '--passphrase-file', passFile]

/** A session folder of `n` files; the first `shared` are copies of `from`'s. */
function makeSession(name: string, n: number, salt: number, from?: { dir: string; shared: number }): string {
  const root = join(dir, name)
  mkdirSync(join(root, 'DCIM'), { recursive: true })
  for (let i = 0; i < n; i++) {
    const p = join(root, 'DCIM', `IMG_${String(i).padStart(3, '0')}.CR3`)
    if (from && i < from.shared)
      copyFileSync(join(from.dir, 'DCIM', `IMG_${String(i).padStart(3, '0')}.CR3`), p)
    else writeRandomFile(p, 40_000 + salt * 1000 + i)
  }
  return root
}

/** Runs `shutterproof backup --json` for each session at once; resolves with exit codes and reports. */
function backupsAtOnce(
  sessions: string[],
  store: string,
): Promise<
  Array<{
    status: number | null
    report: { status: string; snapshot?: string; unchanged?: boolean; failures: unknown[] }
    stderr: string
  }>
> {
  return Promise.all(
    sessions.map(
      (s) =>
        new Promise<{
          status: number | null
          report: { status: string; snapshot?: string; unchanged?: boolean; failures: unknown[] }
          stderr: string
        }>((resolve) => {
          const child = spawn(process.execPath, cliArgv('backup', s, store, ...auth, '--json'), {
            stdio: ['ignore', 'pipe', 'pipe'],
          })
          let out = ''
          let err = ''
          child.stdout.on('data', (c: Buffer) => (out += c.toString()))
          child.stderr.on('data', (c: Buffer) => (err += c.toString()))
          child.on('exit', (status) =>
            resolve({
              status,
              report: out ? JSON.parse(out) : { status: 'none', failures: [] },
              stderr: err,
            }),
          )
        }),
    ),
  )
}

function files(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>()
  for (const n of readdirSync(join(root, 'DCIM')).sort())
    out.set(`DCIM/${n}`, readFileSync(join(root, 'DCIM', n)))
  return out
}

test.before(async () => {
  ;(await createVault(vaultFile, { passphrase: 'concurrent passphrase', kdf: FAST })).vault.close()
  writeFileSync(passFile, 'concurrent passphrase\n')
})

const cases: Array<{ name: string; sessions: () => string[] }> = [
  {
    name: '2 at once, the same session',
    sessions: () => {
      const a = makeSession('2026-04-26_Ada_Same', 120, 1)
      return [a, a]
    },
  },
  {
    name: '3 at once, overlapping sessions (and a fresh store created by whichever comes first)',
    sessions: () => {
      const a = makeSession('2026-04-27_Ada_A', 120, 2)
      const b = makeSession('2026-04-27_Ada_B', 120, 3, { dir: a, shared: 90 })
      const c = makeSession('2026-04-27_Ada_C', 100, 4, { dir: b, shared: 100 })
      return [a, b, c]
    },
  },
]

for (const [i, c] of cases.entries()) {
  test(`concurrent backups, ${c.name}: all complete and publish snapshots; restore test and restore are exact`, async () => {
    const store = join(dir, `store-${i}`)
    const sessions = c.sessions()
    const runs = await backupsAtOnce(sessions, store)
    for (const r of runs) {
      assert.is(r.status, 0, `${r.stderr}\n${JSON.stringify(r.report.failures).slice(0, 600)}`)
      assert.is(r.report.status, 'completed')
      assert.ok(r.report.snapshot, 'published a snapshot')
    }
    // A run that starts after another published the same files finds nothing changed and
    // names that snapshot (`unchanged`); every other run publishes its own.
    const published = runs.filter((r) => !r.report.unchanged).map((r) => r.report.snapshot)
    assert.ok(published.length > 0, 'at least one run published a snapshot')
    assert.is(new Set(published).size, published.length, 'each publishing run published its own snapshot')
    for (const r of runs.filter((r) => r.report.unchanged))
      assert.ok(
        published.includes(r.report.snapshot),
        'an unchanged run names a snapshot published by another',
      )
    const vault = await openVault(vaultFile, { passphrase: 'concurrent passphrase' })
    try {
      const s = await openStore(store, { vault })
      const t = await restoreTest(s)
      assert.is(t.status, 'completed', JSON.stringify(t.failures.slice(0, 3)))
      assert.is(
        t.checked,
        [...new Set(sessions)].reduce((n, x) => n + files(x).size, 0),
      )
      for (const session of new Set(sessions)) {
        const name = session.slice(session.lastIndexOf('/') + 1)
        const into = tempDir('sp-restored-')
        const rr = await restore(s, name, join(into, name))
        assert.is(rr.status, 'completed')
        const want = files(session)
        const got = files(join(into, name))
        assert.equal([...got.keys()], [...want.keys()])
        for (const [p, b] of want) assert.ok(got.get(p)!.equals(b), `${name}/${p} restored byte for byte`)
      }
    } finally {
      vault.close()
    }
  })
}

test.run()
