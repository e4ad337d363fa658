/**
 * Delivery links in a real browser (Debian's Chromium through playwright-core): a 1 GiB
 * file and a 60-file delivery decrypt in the page's service worker and land on disk with
 * the originals' sha256, while the JS heap of the page and its worker (read through CDP)
 * stays under 200 MB — it would not if either held whole files. The sealed files the
 * server holds open with openSealedFile and the link's key. No request leaves the share
 * server, and the key appears in no log, access row or Referer.
 */
import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { suite } from 'uvu'
import * as assert from 'uvu/assert'

import { openSealedFile } from '../lib/seal/files'
import { createDeliveryLink } from '../lib/share/delivery/create'
import { deliveryKeyWords } from '../lib/share/delivery/key'
import {
  browserMissing,
  downloadBy,
  heapSampler,
  launch,
  openPage,
  sha256File,
  statusWhen,
} from './support/delivery-browser'
import { tempDir, writeRandomFile } from './support/fixtures'
import { shareWorld, type ShareWorld } from './support/share-server'

const HEAP_LIMIT = 200 * 1024 * 1024
const missing = browserMissing()
if (missing) console.warn(`\n!!! SKIPPED: ${missing}: browser delivery is not checked\n`)

interface Ctx {
  w: ShareWorld
  lines: string[]
  referers: string[]
}
const test = suite<Ctx>('delivery links in a browser')
const it = missing ? test.skip : test

test.before(async (ctx) => {
  if (missing) return
  ctx.lines = []
  ctx.referers = []
  ctx.w = await shareWorld({}, { log: (l) => ctx.lines.push(l), requestLog: (l) => ctx.lines.push(l) })
  ctx.w.server.on('request', (req) => {
    if (req.headers.referer) ctx.referers.push(req.headers.referer)
  })
})
test.after(async (ctx) => {
  await ctx.w?.close()
})

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

/** sha256 of every entry of a zip, by name (Python's zipfile reads ZIP64 and data descriptors). */
function zipHashes(zip: string): Record<string, string> {
  const py =
    'import hashlib,json,sys,zipfile\nz=zipfile.ZipFile(sys.argv[1])\nout={}\nfor i in z.infolist():\n h=hashlib.sha256()\n with z.open(i) as f:\n  for b in iter(lambda: f.read(1<<20), b""): h.update(b)\n out[i.filename]=h.hexdigest()\nprint(json.dumps(out))'
  return JSON.parse(execFileSync('python3', ['-c', py, zip], { encoding: 'utf8' })) as Record<string, string>
}

function browserLink(w: ShareWorld, url: string): string {
  const u = new URL(url)
  return w.base + u.pathname + u.hash
}

it('60 files: download all (.zip) and one file; sha256 equal; heap bounded; sealed files open with openSealedFile', async (ctx) => {
  const { w } = ctx
  const files: Record<string, Buffer> = {}
  for (let i = 0; i < 60; i++) {
    const name = `sixty/IMG_${String(i).padStart(4, '0')}${i === 7 ? ' été' : ''}.CR3`
    files[name] = randomBytes(i === 0 ? 0 : i === 1 ? 16384 : 1000 + i * 37_000)
  }
  for (const [name, bytes] of Object.entries(files)) {
    execFileSync('mkdir', ['-p', join(w.session, name, '..')])
    writeFileSync(join(w.session, name), bytes)
  }
  const d = await createDeliveryLink(w.registry, {
    session: w.session,
    files: Object.keys(files),
    label: 'Smith wedding — sixty',
  })
  KEYS.push(d.key)
  assert.match(d.url, /\/d\/[a-z2-7]{68}#[A-Za-z0-9_-]{43}$/)

  // The server's copies are ordinary sealed files: openSealedFile reads them with the link's key.
  const recoveryKey = await deliveryKeyWords(d.url)
  const out = tempDir('sp-delivery-open-')
  for (const f of [d.files[0]!, d.files[7]!, d.files[59]!]) {
    const dst = join(out, String(f.n))
    await openSealedFile(join(d.folder, `${String(f.n).padStart(4, '0')}.sealed`), dst, { recoveryKey })
    assert.is(sha256(readFileSync(dst)), sha256(files[f.name]!), f.name)
  }

  const downloads = tempDir('sp-delivery-dl-')
  const browser = await launch(downloads)
  try {
    const { page, requests, problems } = await openPage(browser)
    await page.goto(browserLink(w, d.url))
    await statusWhen(page, 'ready')
    assert.is(await page.locator('#files li').count(), 60)
    assert.is(await page.locator('h1').textContent(), 'Smith wedding — sixty')
    const heap = await heapSampler(browser, page)

    const all = await downloadBy(page, () => page.locator('#all').click())
    assert.is(all.suggestedFilename(), 'Smith wedding — sixty.zip')
    const zip = await all.path()
    assert.is(await all.failure(), null)
    await statusWhen(page, 'done')
    const hashes = zipHashes(zip)
    assert.equal(Object.keys(hashes).sort(), Object.keys(files).sort())
    for (const [name, bytes] of Object.entries(files)) assert.is(hashes[name], sha256(bytes), name)

    const one = await downloadBy(page, () =>
      page.locator('#files li', { hasText: 'IMG_0007 été' }).locator('button').click(),
    )
    assert.is(one.suggestedFilename(), 'IMG_0007 été.CR3')
    assert.is(await sha256File(await one.path()), sha256(files['sixty/IMG_0007 été.CR3']!))

    const { peak, samples } = await heap.stop()
    assert.ok(samples > 0, 'the service worker heap was read')
    assert.ok(peak < HEAP_LIMIT, `JS heap peaked at ${(peak / 1e6).toFixed(1)} MB`)
    assert.equal(problems, [])
    assert.equal(
      requests.filter((u) => !u.startsWith(w.base + '/')),
      [],
      'no request outside the share server',
    )
    assert.ok(
      requests.every((u) => !u.includes(d.key)),
      'no request carries the key',
    )
  } finally {
    await browser.close()
  }
  const log = w.registry.accessLog(d.id).map((e) => `${e.event}:${e.outcome}`)
  assert.ok(log.includes('view:ok') && log.includes('download:ok'), log.join(', '))
})

it('1 GiB file: saved through the page with the same sha256, heap under 200 MB', async (ctx) => {
  const { w } = ctx
  const big = writeRandomFile(join(w.session, 'big.mov'), 1024 * 1024 * 1024 + 5)
  const expected = await sha256File(big)
  const d = await createDeliveryLink(w.registry, { session: w.session, files: ['big.mov'] })
  KEYS.push(d.key)
  rmSync(big)
  const downloads = tempDir('sp-delivery-gib-')
  const browser = await launch(downloads)
  try {
    const { page, problems } = await openPage(browser)
    await page.goto(browserLink(w, d.url))
    await statusWhen(page, 'ready')
    assert.ok(await page.locator('#all').isHidden(), 'one file: no "download all"')
    const heap = await heapSampler(browser, page)
    const started = Date.now()
    const download = await downloadBy(page, () => page.locator('#files li button').click())
    const path = await download.path()
    const seconds = (Date.now() - started) / 1000
    assert.is(await download.failure(), null)
    const { peak, samples } = await heap.stop()
    assert.is(await sha256File(path), expected)
    rmSync(path)
    console.log(
      `    1 GiB through the browser: ${seconds.toFixed(1)} s, JS heap peak ${(peak / 1e6).toFixed(1)} MB`,
    )
    assert.ok(samples > 0, 'the service worker heap was read')
    assert.ok(peak < HEAP_LIMIT, `JS heap peaked at ${(peak / 1e6).toFixed(1)} MB`)
    assert.equal(problems, [])
  } finally {
    await browser.close()
    rmSync(d.folder, { recursive: true, force: true })
  }
})

const KEYS: string[] = []

it('the key is in no server log line, access row or Referer', async (ctx) => {
  const { w, lines, referers } = ctx
  const rows = JSON.stringify(w.registry.listShares().map((s) => w.registry.accessLog(s.id)))
  const db = readFileSync(w.dbPath)
  assert.ok(KEYS.length > 0, 'links were made')
  assert.ok(lines.length > 0, 'the server logged requests')
  for (const key of KEYS) {
    assert.not.ok(
      lines.some((l) => l.includes(key)),
      'request log',
    )
    assert.not.ok(rows.includes(key), 'access rows')
    assert.not.ok(db.includes(Buffer.from(key)), 'the database file')
    assert.not.ok(
      referers.some((r) => r.includes(key)),
      'Referer',
    )
  }
})

test.run()
