import { spawn } from 'node:child_process'
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { ingest } from '../lib/index'
import { CancelToken, nativeCopyFiles, nativeFindPartials, nativeResidentPages } from '../lib/native'
import { cli, REPO, tempDir, TSX, writeRandomFile } from './support/fixtures'
import { ingestArgs, listFiles, makeCard, MB, mountTmpfs } from './support/ingest-fixtures'

const session = { client: 'Ada', shoot: 'Faults', date: '2026-04-26' }
const FOLDER = '2026-04-26_Ada_Faults'

test('a really full destination fails with E_NO_SPACE, leaves no temp file; the others complete; not safe to format', async () => {
  const full = mountTmpfs('1m')
  if (!full) return
  try {
    const card = makeCard({ raws: 1, rawBytes: 4 * MB, jpegs: 1 })
    const dests = [tempDir('sp-d1-'), full.dir, tempDir('sp-d3-')]
    const r = await ingest({ source: card, destinations: dests, session })
    assert.is(r.status, 'completed-with-errors')
    assert.is(r.perDestination[1]!.status, 'failed')
    assert.is(r.perDestination[1]!.error?.code, 'E_NO_SPACE')
    assert.match(r.perDestination[1]!.error!.message, full.dir)
    assert.is(r.perDestination[0]!.status, 'completed')
    assert.is(r.perDestination[2]!.status, 'completed')
    assert.equal(await nativeFindPartials(full.dir), [])
    assert.not.ok(r.safeToFormat)
    for (const f of listFiles(card))
      assert.ok(readFileSync(join(dests[2]!, FOLDER, f)).equals(readFileSync(join(card, f))))
  } finally {
    full.unmount()
  }
})

test('on tmpfs the read-back method is `cache` and safe-to-format does not count it', async () => {
  const mem = mountTmpfs('64m')
  if (!mem) return
  try {
    const card = makeCard({ raws: 1, rawBytes: 2 * MB, jpegs: 1 })
    const r = await ingest({ source: card, destinations: [mem.dir], session, minCopies: 1 })
    assert.is(r.status, 'completed')
    for (const f of r.files) assert.is(f.destinations[0]!.method, 'cache')
    assert.not.ok(r.safeToFormat)
    assert.ok(r.reasons.some((x) => x.code === 'unverified'))
  } finally {
    mem.unmount()
  }
})

test('verification reads the disk: method disk-direct/disk-evicted, and evicted copies are not resident afterwards', async () => {
  const card = makeCard({ raws: 1, rawBytes: 16 * MB, jpegs: 0 })
  const dest = tempDir('sp-d-')
  const r = await ingest({ source: card, destinations: [dest], session, minCopies: 1 })
  const raw = r.files.find((f) => f.path.endsWith('.CR3'))!
  const method = raw.destinations[0]!.method
  assert.ok(method === 'disk-direct' || method === 'disk-evicted', method)
  const path = join(dest, FOLDER, raw.path)
  if (method === 'disk-evicted')
    assert.is(nativeResidentPages(path).resident, 0, 'an evicted read-back drops the pages again')
  // Without O_DIRECT the engine must evict: then no page of the copy is left in memory.
  const dest2 = tempDir('sp-d-')
  const rep = await nativeCopyFiles(
    [{ source: join(card, raw.path), relative: 'x.CR3' }],
    [dest2],
    { directIo: false },
    new CancelToken(),
  )
  assert.is(rep.files[0]!.destinations[0]!.method, 'disk-evicted')
  const pages = nativeResidentPages(join(dest2, 'x.CR3'))
  assert.ok(pages.total > 0)
  assert.is(pages.resident, 0, `resident ${pages.resident}/${pages.total}`)
})

test('a file modified during its copy is flagged source-changed, never verified', async () => {
  const card = tempDir('sp-card-')
  mkdirSync(join(card, 'DCIM'))
  const big = writeRandomFile(join(card, 'DCIM', 'BIG.CR3'), 768 * MB)
  writeFileSync(join(card, 'DCIM', 'small.xmp'), 'x')
  const dest = tempDir('sp-d-')
  let touched = false
  const r = await ingest({
    source: card,
    destinations: [dest],
    session,
    minCopies: 1,
    onProgress: (p) => {
      if (!touched && p.bytesRead > 0 && p.bytesRead < 768 * MB) {
        touched = true
        appendFileSync(big, 'more bytes written by the camera')
      }
    },
  })
  assert.ok(touched, 'progress arrived mid-copy')
  const f = r.files.find((x) => x.path === 'DCIM/BIG.CR3')!
  assert.is(f.sourceState, 'source-changed')
  assert.is(f.destinations[0]!.error?.code, 'E_SOURCE_CHANGED')
  assert.is(r.status, 'failed')
  assert.not.ok(r.safeToFormat)
  assert.not.ok(listFiles(join(dest, FOLDER)).includes('DCIM/BIG.CR3'))
  assert.equal(await nativeFindPartials(dest), [])
})

test('10,000 tiny files to 2 destinations', async () => {
  const card = tempDir('sp-card-')
  for (let d = 0; d < 10; d++) {
    const dir = join(card, 'DCIM', `${100 + d}CANON`)
    mkdirSync(dir, { recursive: true })
    for (let i = 0; i < 1000; i++)
      writeFileSync(join(dir, `IMG_${String(i).padStart(4, '0')}.JPG`), `file ${d}/${i}`)
  }
  const dests = [tempDir('sp-d1-'), tempDir('sp-d2-')]
  const r = await ingest({ source: card, destinations: dests, session })
  assert.is(r.status, 'completed')
  assert.is(r.files.length, 10000)
  assert.ok(r.safeToFormat)
  for (const d of dests) {
    assert.is(listFiles(join(d, FOLDER)).length, 10000)
    assert.is(readFileSync(join(d, FOLDER, 'DCIM/105CANON/IMG_0777.JPG'), 'utf8'), 'file 5/777')
  }
})

/**
 * Runs the CLI from source and sends it `signal` once its progress line says the copy is
 * under way and not done: whether it was sent, the exit code and everything on stderr.
 */
async function signalMidCopy(
  args: string[],
  signal: NodeJS.Signals,
): Promise<{ sent: boolean; status: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', TSX, join(REPO, 'lib/cli/main.ts'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  let sent = false
  const status = await new Promise<number | null>((resolve) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
      const m = /progress: ([\d.]+) MB of ([\d.]+) MB/.exec(chunk.toString())
      if (!sent && m && +m[1]! > 0 && +m[1]! < +m[2]!) {
        sent = true
        child.kill(signal)
      }
    })
    child.on('exit', (code) => resolve(code))
  })
  return { sent, status, stderr }
}

test('CLI killed with SIGKILL mid-ingest, run again: completes, every file equals its source, no temp files', async () => {
  const card = makeCard({ raws: 8, rawBytes: 64 * MB, jpegs: 2 })
  const dests = [tempDir('sp-d1-'), tempDir('sp-d2-')]
  const killed = await signalMidCopy(ingestArgs(card, dests, 'Faults'), 'SIGKILL')
  assert.ok(killed.sent, 'killed mid-copy')
  const again = cli(ingestArgs(card, dests, 'Faults', '--quiet'))
  assert.is(again.status, 0, again.stderr + again.stdout)
  for (const d of dests) {
    assert.equal(await nativeFindPartials(d), [])
    const root = join(d, FOLDER)
    assert.equal(listFiles(root), listFiles(card))
    for (const f of listFiles(card))
      assert.ok(readFileSync(join(root, f)).equals(readFileSync(join(card, f))), f)
  }
})

test('Ctrl-C (SIGINT) mid-ingest: exit 130, says so, no partial file under a final name', async () => {
  const card = makeCard({ raws: 8, rawBytes: 64 * MB, jpegs: 2 })
  const dests = [tempDir('sp-d1-'), tempDir('sp-d2-')]
  const { sent, status, stderr } = await signalMidCopy(ingestArgs(card, dests, 'Sigint'), 'SIGINT')
  assert.ok(sent, 'interrupted mid-copy')
  assert.is(status, 130, stderr)
  assert.match(stderr, /abort/i)
  for (const d of dests) {
    const root = join(d, '2026-04-26_Ada_Sigint')
    for (const f of listFiles(root).filter(
      (f) => !f.startsWith('.shutterproof/') && !f.startsWith('ascmhl/'),
    )) {
      assert.ok(
        readFileSync(join(root, f)).equals(readFileSync(join(card, f))),
        `${f} under its final name equals the source`,
      )
    }
  }
})

test('CLI: exit codes and --json shape', () => {
  const card = makeCard({ raws: 1, rawBytes: MB, jpegs: 1 })
  const dests = [tempDir('sp-d1-'), tempDir('sp-d2-')]
  const r = cli(ingestArgs(card, dests, 'Json', '--json'))
  assert.is(r.status, 0, r.stderr)
  const doc = JSON.parse(r.stdout)
  assert.is(doc.status, 'completed')
  assert.is(doc.safeToFormat, true)
  assert.is(doc.session.folder, '2026-04-26_Ada_Json')
  assert.is(doc.perDestination.length, 2)
  assert.ok(Array.isArray(doc.files) && typeof doc.files[0].hashes.blake3 === 'string')
  for (const k of ['bytes', 'bytesTotal', 'reasons', 'skipped']) assert.ok(k in doc, k)
  const root = join(dests[0]!, '2026-04-26_Ada_Json')
  assert.is(cli(['verify', root]).status, 0)
  assert.is(cli(['safe-to-format', card, ...dests.map((d) => join(d, '2026-04-26_Ada_Json'))]).status, 0)
  const stf = cli(['safe-to-format', card, root, '--json'])
  assert.is(stf.status, 1)
  assert.is(JSON.parse(stf.stdout).reasons[0].code, 'too-few-copies')
  // Usage errors exit 2.
  assert.is(cli(['ingest', card, dests[0]!, '--shoot', 'x']).status, 2)
  assert.is(cli(['ingest', card, dests[0]!, '--client', 'a', '--shoot', 'b', '--verify', 'maybe']).status, 2)
  assert.is(cli(['ingest', card, dests[0]!, '--client', '..', '--shoot', 'b']).status, 2)
  // A second card clashing with a different file: completed with errors, exit 3.
  writeFileSync(join(card, 'DCIM/100CANON/IMG_0001.xmp'), 'edited')
  assert.is(cli(ingestArgs(card, dests, 'Json', '--quiet')).status, 3)
  // A flipped byte: verify exits 1.
  writeFileSync(join(root, 'DCIM/100CANON/IMG_101.JPG'), 'damaged')
  const v = cli(['verify', root])
  assert.is(v.status, 1)
  assert.match(v.stdout, 'MISMATCH DCIM/100CANON/IMG_101.JPG')
})

test.run()
