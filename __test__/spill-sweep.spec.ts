/**
 * Spill folders a killed process left behind (lib/spill/folder.ts): the next process to
 * open one removes the folders of processes that are gone — only names of ours, only
 * folders this user owns — and keeps those of live processes and anything else.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chownSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { sweepStaleFolders } from '../lib/spill/folder'
import { REPO, tempDir, TSX } from './support/fixtures'

/** The pid of a process that has exited (and been reaped), checked to name no process now. */
function deadPid(): number {
  const { pid } = spawnSync(process.execPath, ['-e', '0'])
  assert.ok(pid, 'a child ran')
  assert.throws(() => process.kill(pid, 0), /ESRCH/, 'the pid names no process')
  return pid
}

/** A child process that waits until it is killed. */
function liveChild(): ChildProcess {
  return spawn(process.execPath, ['-e', 'setTimeout(() => {}, 600000)'], { stdio: 'ignore' })
}

function folder(dir: string, name: string): string {
  const path = join(dir, name)
  mkdirSync(path)
  writeFileSync(join(path, 'spill.db'), 'scratch')
  return path
}

test("a dead process's folders are removed; live ones, this process's and anything not ours are kept", () => {
  const dir = tempDir('sp-sweep-')
  const dead = deadPid()
  const live = liveChild()
  try {
    const gone = [
      folder(dir, `shutterproof-spill-${dead}-a1B2c3`),
      folder(dir, `shutterproof-backup-${dead}-Zz9Yy8`),
    ]
    const kept = [
      folder(dir, `shutterproof-spill-${live.pid}-a1B2c3`),
      folder(dir, `shutterproof-backup-${process.pid}-a1B2c3`),
      // Not ours: an older version's name (no pid), another prefix, another suffix length, pid 0.
      folder(dir, 'shutterproof-spill-a1B2c3'),
      folder(dir, `shutterproof-other-${dead}-a1B2c3`),
      folder(dir, `shutterproof-spill-${dead}-a1B2c3d`),
      folder(dir, `shutterproof-spill-0-a1B2c3`),
    ]
    // A file and a link with our names: only real folders are ours.
    const file = join(dir, `shutterproof-spill-${dead}-file00`)
    writeFileSync(file, 'not a folder')
    const target = folder(dir, 'linked-target')
    const link = join(dir, `shutterproof-spill-${dead}-link00`)
    symlinkSync(target, link)
    kept.push(file, target, join(target, 'spill.db'), link)
    // Another user's folder, named as ours: never removed (root can make one).
    if (process.getuid?.() === 0) {
      const foreign = folder(dir, `shutterproof-spill-${dead}-other0`)
      chownSync(foreign, 65534, 65534)
      kept.push(foreign)
    }

    assert.equal(sweepStaleFolders(dir).sort(), gone.sort())
    for (const p of gone) assert.not.ok(existsSync(p), p)
    for (const p of kept) assert.ok(existsSync(p), p)
    assert.equal(sweepStaleFolders(dir), [], 'nothing left to sweep')
  } finally {
    live.kill()
  }
})

test('a missing folder sweeps nothing', () => {
  assert.equal(sweepStaleFolders(join(tempDir('sp-sweep-'), 'missing')), [])
})

/** Runs `code` (TypeScript, with `lib` bound to lib/spill/folder.ts) in a child process; its stdout. */
function child(code: string, signal?: NodeJS.Signals): { out: string; signal: NodeJS.Signals | null } {
  const script = join(tempDir('sp-sweep-child-'), 'child.ts')
  writeFileSync(script, `import * as lib from ${JSON.stringify(join(REPO, 'lib/spill/folder'))}\n${code}\n`)
  const r = spawnSync(process.execPath, ['--import', TSX, script], { encoding: 'utf8' })
  assert.is(r.signal, signal ?? null, r.stderr)
  if (!signal) assert.is(r.status, 0, r.stderr)
  return { out: r.stdout.trim(), signal: r.signal }
}

const ours = (pid: string) => readdirSync(tmpdir()).filter((n) => n.startsWith(`shutterproof-backup-${pid}-`))

test('a process killed by a signal leaves its folder; the next one to open a folder removes it, and its own at exit', () => {
  const killed = child(
    `
    lib.openSpillFolder('backup')
    require('node:fs').writeSync(1, String(process.pid))
    process.kill(process.pid, 'SIGKILL')
  `,
    'SIGKILL',
  )
  assert.is(ours(killed.out).length, 1, 'no exit handler ran')
  const next = child(`
    lib.openSpillFolder('backup')
    require('node:fs').writeSync(1, String(process.pid))
  `)
  assert.equal(ours(killed.out), [], 'swept')
  assert.equal(ours(next.out), [], 'removed at exit')
})

test.run()
