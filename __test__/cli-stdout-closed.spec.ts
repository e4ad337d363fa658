/**
 * A reader that closes the CLI's stdout early (`shutterproof hash *.CR3 | head -1`): the
 * CLI stops at once, quietly, with exit code 141 (as a Unix tool ended by SIGPIPE), not
 * with a stack trace of an unhandled EPIPE — on both of its ways to stdout (checksum
 * lines written straight to file descriptor 1, and text through `process.stdout`).
 */
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { cliArgv, REPO, tempDir } from './support/fixtures'

/** Runs the CLI with stdout a pipe whose reading end is closed before the CLI writes (it takes far longer to start). */
function withStdoutClosed(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, cliArgv(...args), { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout.destroy()
    let stderr = ''
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stderr }))
  })
}

const dir = tempDir('sp-epipe-')
const files = Array.from({ length: 3 }, (_, i) => {
  const f = join(dir, `IMG_000${i}.CR3`)
  writeFileSync(f, `raw ${i}`)
  return f
})

test('hash: checksum lines to a closed pipe stop quietly with 141', async () => {
  const r = await withStdoutClosed(['hash', ...files])
  assert.is(r.stderr, '')
  assert.is(r.code, 141)
})

test('text through process.stdout (hash --json, --help) to a closed pipe stops quietly with 141', async () => {
  for (const args of [['hash', '--json', ...files], ['--help']]) {
    const r = await withStdoutClosed(args)
    assert.is(r.stderr, '', args.join(' '))
    assert.is(r.code, 141, args.join(' '))
  }
})

test.run()
