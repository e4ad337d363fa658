import { spawn } from 'node:child_process'
import { closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { cliArgv, tempDir } from './support/fixtures'

const GIB = 1024 * 1024 * 1024
const LIMIT = 256 * 1024 * 1024

function rssAnon(pid: number): number | undefined {
  try {
    const m = /RssAnon:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? +m[1]! * 1024 : undefined
  } catch {
    return undefined
  }
}

test('peak memory of a 3 GiB ingest stays bounded (RssAnon ≤ 256 MiB)', async () => {
  const card = tempDir('sp-card-')
  mkdirSync(join(card, 'DCIM'))
  const big = join(card, 'DCIM', 'HUGE.MOV')
  // Sparse (reads as zeros) with a few real bytes, so the copy still moves 3 GiB.
  const fd = openSync(big, 'w')
  ftruncateSync(fd, 3 * GIB + 12345)
  writeSync(fd, Buffer.from('head'), 0, 4, 0)
  writeSync(fd, Buffer.from('tail'), 0, 4, 3 * GIB)
  closeSync(fd)
  const dest = tempDir('sp-d-')
  const child = spawn(
    process.execPath,
    cliArgv(
      'ingest',
      card,
      dest,
      '--client',
      'Mem',
      '--shoot',
      'Big',
      '--date',
      '2026-04-26',
      '--quiet',
      '--min-copies',
      '1',
    ),
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  )
  let peak = 0
  let samples = 0
  const timer = setInterval(() => {
    const v = rssAnon(child.pid!)
    if (v !== undefined) {
      samples++
      peak = Math.max(peak, v)
    }
  }, 50)
  let stderr = ''
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  clearInterval(timer)
  assert.is(code, 0, stderr)
  assert.ok(samples > 5, `${samples} samples`)
  assert.is(statSync(join(dest, '2026-04-26_Mem_Big', 'DCIM', 'HUGE.MOV')).size, 3 * GIB + 12345)
  assert.ok(peak <= LIMIT, `peak RssAnon ${(peak / 1048576).toFixed(0)} MiB`)
  console.log(`  peak RssAnon ${(peak / 1048576).toFixed(0)} MiB over ${samples} samples`)
})

test.run()
