/**
 * Delivery links on the wire (no browser): the page and its files under a strict CSP with
 * SRI, privacy headers on everything, sealed files served with ranges and counted against
 * the download limit, the sealed list not counted, the gallery URL sent to the page, and
 * the API's refusals.
 */
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { suite } from 'uvu'
import * as assert from 'uvu/assert'

import { inspectSealed } from '../lib/seal/files'
import { createDeliveryLink } from '../lib/share/delivery/create'
import { deliveryKeyWords } from '../lib/share/delivery/key'
import { SECURITY_HEADERS } from '../lib/share/http-headers'
import { http, shareWorld, type ShareWorld } from './support/share-server'
import { rejection } from './support/rejection'

interface Ctx {
  w: ShareWorld
}
const test = suite<Ctx>('delivery links over HTTP')

test.before(async (ctx) => {
  ctx.w = await shareWorld({}, { log: () => {} })
  writeFileSync(join(ctx.w.session, 'clip.mov'), randomBytes(100_000))
})
test.after(async (ctx) => {
  await ctx.w.close()
})

test('the page: strict CSP, SRI on every script and stylesheet, privacy headers; assets served as files', async ({
  w,
}) => {
  const d = await createDeliveryLink(w.registry, { session: w.session, files: ['clip.mov'] })
  const path = new URL(d.url).pathname
  const page = await http(w.base, path)
  assert.is(page.status, 200)
  const csp = String(page.headers['content-security-policy'])
  assert.match(csp, "default-src 'none'")
  assert.match(csp, "script-src 'self' 'wasm-unsafe-eval'")
  assert.match(csp, "connect-src 'self'")
  assert.not.match(csp, /'unsafe-(inline|eval|hashes)'/)
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
    if (name !== 'Content-Security-Policy') assert.is(page.headers[name.toLowerCase()], value, name)
  }
  const tags = [...page.text.matchAll(/(?:src|href)="([^"]+)" integrity="(sha384-[^"]+)"/g)]
  assert.is(tags.length, 4, 'three scripts and the stylesheet carry integrity')
  for (const [, src, integrity] of tags) {
    const asset = await http(w.base, new URL(src!, w.base + path).pathname)
    assert.is(asset.status, 200, src)
    assert.is(`sha384-${createHash('sha384').update(asset.body).digest('base64')}`, integrity, src)
    assert.is(asset.headers['referrer-policy'], 'no-referrer')
  }
  assert.not.match(page.text, /https?:\/\//, 'no absolute URL in the page')
  const sw = await http(w.base, '/d/sw.js')
  assert.is(
    sw.headers['content-security-policy'],
    "default-src 'none'; script-src 'self'; connect-src 'self'",
  )
  // client-zip is served from node_modules, byte for byte.
  const zip = await http(w.base, '/d/client-zip.js')
  assert.ok(zip.body.equals(readFileSync(require.resolve('client-zip').replace(/index\.js$/, 'worker.js'))))
})

test('sealed files: ranges, download limit counted in bytes, the list not counted; nothing in clear on disk', async ({
  w,
}) => {
  const d = await createDeliveryLink(w.registry, { session: w.session, files: ['clip.mov'], maxDownloads: 1 })
  const path = new URL(d.url).pathname
  for (const name of readdirSync(d.folder)) {
    const info = await inspectSealed(join(d.folder, name))
    assert.equal(info.stanzas, ['vault', 'recovery'], name)
  }
  assert.not.ok(
    readFileSync(join(d.folder, '0001.sealed')).includes(
      readFileSync(join(w.session, 'clip.mov')).subarray(0, 64),
    ),
  )
  for (let i = 0; i < 3; i++)
    assert.is((await http(w.base, `${path}/m`)).status, 200, 'the list is not a download')
  const size = (await http(w.base, `${path}/f/1`, { method: 'HEAD' })).headers['content-length']
  const half = Math.floor(Number(size) / 2)
  const a = await http(w.base, `${path}/f/1`, { headers: { Range: `bytes=0-${half - 1}` } })
  assert.is(a.status, 206)
  assert.is(a.body.length, half)
  const b = await http(w.base, `${path}/f/1`, { headers: { Range: `bytes=${half}-` } })
  assert.is(b.status, 206)
  const again = await http(w.base, `${path}/f/1`, { headers: { Range: 'bytes=0-0' } })
  assert.is(again.status, 429, 'two halves were one full download')
  assert.is((await http(w.base, `${path}/f/0`)).status, 404, 'the list is not a file of the delivery')
  const log = w.registry.accessLog(d.id).map((e) => `${e.event}:${e.outcome}`)
  assert.ok(log.includes('download:partial'), log.join(', '))
})

test('the gallery URL of a delivery sends the browser to its page (the #key goes along)', async ({ w }) => {
  const d = await createDeliveryLink(w.registry, { session: w.session, files: ['clip.mov'] })
  const res = await http(w.base, `/s/${d.token}`)
  assert.is(res.status, 303)
  assert.is(res.headers.location, `/d/${d.token}`)
  assert.is((await http(w.base, `/d/${'a'.repeat(68)}`)).status, 404)
  const share = await w.registry.createShare({ session: w.session, scope: 'full', items: ['clip.mov'] })
  assert.is((await http(w.base, `/d/${share.token}`)).status, 404, 'an ordinary share has no delivery page')
})

test('refusals: no files, a file outside the session, a bad key string; nothing left behind', async ({
  w,
}) => {
  const before = existsSync(join(w.session, '.shutterproof', 'deliveries'))
    ? readdirSync(join(w.session, '.shutterproof', 'deliveries')).length
    : 0
  const none = await rejection(createDeliveryLink(w.registry, { session: w.session, files: [] }))
  assert.is(none.code, 'E_INVALID_ARGUMENT')
  const outside = await rejection(createDeliveryLink(w.registry, { session: w.session, files: ['../x'] }))
  assert.ok(['ENOENT', 'E_INVALID_ARGUMENT'].includes(String(outside.code)))
  const weak = await rejection(
    createDeliveryLink(w.registry, { session: w.session, files: ['clip.mov'], password: 'abc' }),
  )
  assert.is(weak.code, 'E_WEAK_PASSPHRASE')
  const after = readdirSync(join(w.session, '.shutterproof', 'deliveries')).length
  assert.is(after, before, 'no folder of sealed files left by a refused link')
  const bad = await rejection(deliveryKeyWords('https://x/d/abc#short'))
  assert.is(bad.code, 'E_INVALID_ARGUMENT')
  assert.match(bad.message, 'wrong or incomplete')
})

test.run()
