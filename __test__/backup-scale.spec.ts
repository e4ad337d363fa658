/**
 * Backups of 20,000 small files (first, unchanged and one-file-changed runs) fit a small
 * JS heap: the session's file list, the new snapshot and the earlier ones go through
 * spill files a piece at a time (issue #18). The pieces themselves are tested in
 * backup-spill.spec.ts.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { createVault, openStore } from '../lib/index'
import { compareWalkOrder } from '../lib/backup/prior-snapshots'
import { REPO, tempDir, TSX } from './support/fixtures'

const FAST = { memoryKiB: 8 * 1024, iterations: 1, parallelism: 1 }

/**
 * The JS heap each CLI run gets (V8's old space, in MiB). Measured on Node 20 with the
 * CLI from source: 20,000 files ran in 12 (10 was too little for 10,000, enough for one
 * file); before the spill files, 10,000 files did not run in 16 (the file list, the
 * entries and the snapshot's text held whole).
 */
const HEAP_MIB = 16

function backupRun(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const argv = [
      `--max-old-space-size=${HEAP_MIB}`,
      '--import',
      TSX,
      join(REPO, 'lib/cli/main.ts'),
      'backup',
      ...args,
    ]
    const child = spawn(process.execPath, argv, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SHUTTERPROOF_PASSPHRASE: 'p' },
    })
    let out = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    child.stderr.on('data', (c: Buffer) => (out += c.toString()))
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`backup exited ${code}: ${out}`)),
    )
  })
}

test(`backups of 20,000 files (first, unchanged, one file changed) run in a ${HEAP_MIB} MiB heap`, async () => {
  const dir = tempDir('sp-backup-scale-')
  const { vault } = await createVault(join(dir, 'v.vault'), { passphrase: 'p', kdf: FAST })
  const session = join(dir, '2026-04-26_Many_Small')
  const n = 20_000
  for (let i = 0; i < n; i++) {
    const folder = join(session, 'DCIM', `${100 + Math.floor(i / 1000)}CANON`)
    if (i % 1000 === 0) mkdirSync(folder, { recursive: true })
    writeFileSync(join(folder, `IMG_${String(i).padStart(5, '0')}.JPG`), String(i % 10))
  }
  const store = join(dir, 'store')
  const args = [session, store, '--vault', join(dir, 'v.vault'), '--json']
  try {
    const first = JSON.parse(await backupRun(args)) as { status: string; files: number; snapshot: string }
    assert.is(first.status, 'completed')
    assert.is(first.files, n)
    const again = JSON.parse(await backupRun(args)) as { unchanged: boolean; snapshot: string }
    assert.ok(again.unchanged)
    assert.is(again.snapshot, first.snapshot)
    writeFileSync(join(session, 'DCIM/105CANON/IMG_05000.JPG'), 'changed')
    const changed = JSON.parse(await backupRun(args)) as { objectsWritten: number; snapshot: string }
    assert.is(changed.objectsWritten, 1)
    assert.is.not(changed.snapshot, first.snapshot)

    // The snapshot sealed from its spilled text reads back whole through the API.
    const s = await openStore(store, { vault })
    const latest = (await s.latestSnapshots()).get('2026-04-26_Many_Small')!
    assert.is(latest.key, changed.snapshot)
    assert.is(latest.files.length, n)
    assert.equal(
      latest.files.map((f) => f.path),
      [...latest.files.map((f) => f.path)].sort(compareWalkOrder),
    )
    assert.is(latest.files.find((f) => f.path === 'DCIM/105CANON/IMG_05000.JPG')!.size, 7)
  } finally {
    vault.close()
  }
})

test.run()
