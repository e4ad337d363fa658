/**
 * `verify` and `safe-to-format` keep no per-file state in the JS heap (issue #18): the
 * evidence of each session (newest record entry per path, the paths and hashes its ASC
 * MHL history lists) is read into temporary on-disk tables, the card walked a folder at a
 * time, and the per-file lists of their results packed and written as JSON in pieces.
 * Guarded without timing: both run a session of many files in a V8 heap too small for
 * what they used to keep per file, and print complete, exact JSON.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { hashFile, type RecordFile, type SessionRecord } from '../lib/index'
import { appendGeneration, type HistoryFile } from '../lib/ingest/history'
import { writeRecord } from '../lib/ingest/records'
import { REPO, tempDir, TSX } from './support/fixtures'

/** Files of the session: enough that ~300 bytes each (what was kept before) overflow the heap below. */
const FILES = 20_000
/**
 * V8's old space for each run, in MiB (from source, through tsx). Measured on 20,000 files
 * (2026-11-30): before this change `verify` ran out of heap under 32 MiB (the expected
 * hashes and outcome of every file) and `safe-to-format` under 24 (the card's plan, every
 * path's evidence, `copies`); after it both ran under 20.
 */
const HEAP_MIB = 24

const pathOf = (i: number) => `DCIM/${100 + Math.floor(i / 1000)}CANON/IMG_${String(i).padStart(5, '0')}.JPG`
const MTIME = new Date('2026-04-26T10:00:00Z')

/** A card and one session of it holding `n` verified one-byte files, with our record and an MHL generation. */
async function sessionOf(n: number): Promise<{ card: string; session: string }> {
  const card = tempDir('sp-evc-')
  const session = join(tempDir('sp-evd-'), '2026-04-26_Many_Small')
  for (let i = 0; i < n; i++) {
    for (const root of [card, session]) {
      const path = join(root, pathOf(i))
      if (i % 1000 === 0) mkdirSync(join(path, '..'), { recursive: true })
      writeFileSync(path, String(i % 10))
    }
  }
  const { utimes } = await import('node:fs/promises')
  for (let i = 0; i < n; i++) await utimes(join(card, pathOf(i)), MTIME, MTIME)
  const digests = await Promise.all(
    Array.from({ length: 10 }, async (_, d) => {
      const { size: _s, ...h } = await hashFile(join(card, pathOf(d)), { algorithms: ['blake3', 'xxh128'] })
      return h
    }),
  )
  // Unsorted on purpose (as another tool's history may be): what reads them must not assume the card's order.
  const order = Array.from({ length: n }, (_, i) => (i * 7919) % n)
  function* entries(): Generator<RecordFile> {
    for (const i of order)
      yield {
        path: pathOf(i),
        size: 1,
        mtimeMs: MTIME.getTime(),
        hashes: digests[i % 10]!,
        status: 'verified',
        method: 'disk-direct',
        checkedAt: '2026-04-26T10:00:00.000Z',
      }
  }
  const record: SessionRecord = {
    format: 'shutterproof-session-record/1',
    kind: 'ingest',
    createdAt: '2026-04-26T10:00:00.000Z',
    tool: { name: 'shutterproof', version: '0.1.0' },
    root: session,
    status: 'completed',
    files: [],
  }
  await writeRecord(record, entries())
  function* history(): Generator<HistoryFile> {
    for (const f of entries()) yield { ...f, mtimeMs: f.mtimeMs!, action: 'original' }
  }
  const h = await appendGeneration(session, 'transfer', history, 'fixture')
  assert.is(h.error, undefined)
  return { card, session }
}

/** A CLI run from source with a {@link HEAP_MIB} heap: exit code and stdout. */
function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const argv = [`--max-old-space-size=${HEAP_MIB}`, '--import', TSX, join(REPO, 'lib/cli/main.ts'), ...args]
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => out.push(c))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr }))
  })
}

test(`verify and safe-to-format of ${FILES} files run in a ${HEAP_MIB} MiB heap and print every file`, async () => {
  const { card, session } = await sessionOf(FILES)
  const v = await run(['verify', session, '--json'])
  assert.is(v.code, 0, v.stderr.slice(-2000))
  const report = JSON.parse(v.stdout) as { status: string; files: Array<{ path: string; status: string }> }
  assert.is(report.status, 'completed')
  assert.is(report.files.length, FILES)
  assert.equal(report.files[0], {
    path: pathOf(0),
    status: 'verified',
    algorithms: ['xxh128', 'blake3'],
    size: 1,
  })
  // Exactly JSON.stringify's text, written in pieces.
  assert.is(v.stdout, JSON.stringify(report, null, 2) + '\n')
  // The verify's own record and generation were written, whole.
  assert.ok(readdirSync(join(session, '.shutterproof')).some((n) => n.startsWith('verify-')))
  assert.is(readdirSync(join(session, 'ascmhl')).filter((n) => n.endsWith('.mhl')).length, 2)

  const s = await run(['safe-to-format', card, session, '--min-copies', '1', '--json'])
  assert.is(s.code, 0, s.stderr.slice(-2000))
  const verdict = JSON.parse(s.stdout) as { safe: boolean; files: number; copies: Array<{ path: string }> }
  assert.is(verdict.safe, true)
  assert.is(verdict.files, FILES)
  assert.is(verdict.copies.length, FILES)
  assert.equal(verdict.copies[FILES - 1], { path: pathOf(FILES - 1), verifiedAt: [session] })
  assert.is(s.stdout, JSON.stringify(verdict, null, 2) + '\n')
})

test.run()
