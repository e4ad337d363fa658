/**
 * Behaviour on a ≥ 1 GiB file: abort is prompt and stops the native work, the event loop
 * stays free, progress is monotonic and ends at the size. No timing thresholds: what is
 * asserted is order and counts, not speed.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { hashFile, type ShutterproofError } from '../lib/index'
import { gibFile } from './support/fixtures'

test('onProgress is monotonic and ends exactly at the file size', async () => {
  const file = gibFile()
  const seen: number[] = []
  let total = -1
  const r = await hashFile(file, {
    algorithms: ['blake3', 'xxh128'],
    onProgress: (p) => {
      seen.push(p.bytes)
      total = p.total
    },
  })
  assert.ok(seen.length >= 2, `only ${seen.length} progress events`)
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i]! >= seen[i - 1]!, 'progress went backwards')
  assert.is(seen.at(-1), r.size)
  assert.is(total, r.size)
  assert.ok(r.size >= 1024 ** 3)
})

test('a timer keeps firing while a 1 GiB file is hashed (the event loop is free)', async () => {
  const file = gibFile()
  let ticks = 0
  let lastTickAt = 0
  let hashedAt = 0
  const timer = setInterval(() => {
    ticks++
    lastTickAt = ticks
  }, 1)
  const progressTicks: number[] = []
  await hashFile(file, {
    algorithms: ['blake3', 'xxh128', 'sha256'],
    onProgress: () => progressTicks.push(ticks),
  })
  hashedAt = ticks
  clearInterval(timer)
  // Timer callbacks ran between progress events, i.e. during the hash, not only after it.
  const distinct = new Set(progressTicks).size
  assert.ok(distinct >= 3, `timer ticks seen at progress events: ${[...new Set(progressTicks)].join(',')}`)
  assert.ok(hashedAt > 0 && lastTickAt === hashedAt)
})

test('aborting a 1 GiB hash rejects with E_ABORTED and stops the native work', async () => {
  const file = gibFile()
  const controller = new AbortController()
  let eventsAfterAbort = 0
  let aborted = false
  const pending = hashFile(file, {
    algorithms: ['blake3', 'sha256'],
    signal: controller.signal,
    onProgress: (p) => {
      if (aborted) eventsAfterAbort++
      else if (p.bytes > 0) {
        aborted = true
        controller.abort()
      }
    },
  })
  const err = (await pending.catch((e) => e)) as ShutterproofError
  assert.is(err.code, 'E_ABORTED')
  assert.is(eventsAfterAbort, 0)
  // Nothing keeps hashing in the background: process CPU time barely moves afterwards.
  const before = process.cpuUsage()
  await new Promise((r) => setTimeout(r, 300))
  const used = process.cpuUsage(before)
  const cpuMs = (used.user + used.system) / 1000
  assert.ok(cpuMs < 150, `${cpuMs.toFixed(0)} ms of CPU used in the 300 ms after the abort`)
})

test.run()
