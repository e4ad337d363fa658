/** The share links' HTTP handler, over a real node:http server on 127.0.0.1. */
import { symlinkSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { extract } from 'tar-stream'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'

import { openDatabase } from '../lib/sqlite'
import { http, pathOf, shareWorld, type Reply, type ShareWorld } from './support/share-server'

const test = suite<{ w: ShareWorld }>('share handler')

test.before.each(async (ctx) => {
  ctx.w = await shareWorld()
})
test.after.each(async (ctx) => {
  await ctx.w.close()
})

function assertHeaders(r: Reply, what: string) {
  assert.is(r.headers['x-robots-tag'], 'noindex, nofollow, noarchive', `${what}: X-Robots-Tag`)
  assert.is(r.headers['referrer-policy'], 'no-referrer', `${what}: Referrer-Policy`)
  assert.is(r.headers['cache-control'], 'private, no-store', `${what}: Cache-Control`)
  assert.is(r.headers['x-content-type-options'], 'nosniff', `${what}: X-Content-Type-Options`)
}

async function fullShare(w: ShareWorld, extra: Record<string, unknown> = {}) {
  return w.registry.createShare({
    session: w.session,
    scope: 'full',
    items: [
      { path: 'previews/IMG_0001.jpg', kind: 'preview' },
      { path: 'raw/IMG_0001.CR3', kind: 'full' },
      { path: 'previews/IMG 0002 été.jpg', kind: 'preview' },
    ],
    label: 'Smith wedding — full set',
    ...extra,
  })
}

test('a valid link: the gallery, 200 with every security header, strict CSP, self-contained HTML naming the photos', async ({
  w,
}) => {
  const s = await fullShare(w)
  const r = await http(w.base, pathOf(s.url))
  assert.is(r.status, 200)
  assertHeaders(r, 'landing page')
  const csp = String(r.headers['content-security-policy'])
  assert.match(csp, "default-src 'none'")
  assert.match(csp, "form-action 'self'")
  assert.match(csp, "frame-ancestors 'none'")
  assert.match(csp, /style-src 'sha256-[A-Za-z0-9+/=]+'/)
  assert.match(csp, /script-src 'sha256-[A-Za-z0-9+/=]+'/)
  assert.match(csp, "img-src 'self' data:")
  assert.match(r.text, 'Smith wedding — full set')
  assert.match(r.text, 'data-name="IMG_0001"')
  assert.match(r.text, 'data-name="IMG 0002 été"')
  assert.not.match(r.text, 'raw/IMG_0001.CR3', 'photo names, not camera paths')
  assert.not.match(r.text, /(src|href)="https?:/, 'no external assets')
  assert.is(r.text.match(/<script/gi)?.length, 1, 'one script: the gallery\u2019s own, allowed by its hash')
  const log = w.registry.accessLog(s.id)
  assert.equal(
    log.map((e) => e.event),
    ['view'],
  )
  assert.ok(w.registry.getShare(s.id)!.lastAccessAt)
})

test('robots.txt disallows everything and carries the headers', async ({ w }) => {
  const r = await http(w.base, '/robots.txt')
  assert.is(r.status, 200)
  assert.is(r.text, 'User-agent: *\nDisallow: /\n')
  assertHeaders(r, 'robots.txt')
})

test('a download equals the source byte for byte, as an attachment with filename*', async ({ w }) => {
  const s = await fullShare(w)
  const r = await http(w.base, `${pathOf(s.url)}/f/1`)
  assert.is(r.status, 200)
  assertHeaders(r, 'download')
  assert.ok(r.body.equals(w.files['raw/IMG_0001.CR3']!), 'bytes equal the source')
  assert.is(r.headers['content-length'], String(250_000))
  assert.is(r.headers['accept-ranges'], 'bytes')
  const r2 = await http(w.base, `${pathOf(s.url)}/f/2`)
  assert.ok(r2.body.equals(w.files['previews/IMG 0002 été.jpg']!))
  assert.is(
    r2.headers['content-disposition'],
    `attachment; filename="IMG 0002 _t_.jpg"; filename*=UTF-8''IMG%200002%20%C3%A9t%C3%A9.jpg`,
  )
  // by exact recorded path, percent-encoded once
  const r3 = await http(w.base, `${pathOf(s.url)}/p/${encodeURIComponent('previews/IMG 0002 été.jpg')}`)
  assert.is(r3.status, 200)
  assert.ok(r3.body.equals(w.files['previews/IMG 0002 été.jpg']!))
  // The bytes are charged once the stream ended on the server, which can be just after the client read the last byte.
  for (let i = 0; i < 200 && w.registry.getShare(s.id)!.downloads < 3; i++)
    await new Promise((r) => setTimeout(r, 25))
  assert.is(w.registry.getShare(s.id)!.downloads, 3)
})

test('Range: exactly the requested bytes (206), suffix and open ranges, 416 when unsatisfiable', async ({
  w,
}) => {
  const s = await fullShare(w)
  const src = w.files['raw/IMG_0001.CR3']!
  const path = `${pathOf(s.url)}/f/1`
  const a = await http(w.base, path, { headers: { Range: 'bytes=1000-1999' } })
  assert.is(a.status, 206)
  assert.is(a.headers['content-range'], 'bytes 1000-1999/250000')
  assert.ok(a.body.equals(src.subarray(1000, 2000)))
  const b = await http(w.base, path, { headers: { Range: 'bytes=-500' } })
  assert.is(b.status, 206)
  assert.ok(b.body.equals(src.subarray(250_000 - 500)))
  const c = await http(w.base, path, { headers: { Range: 'bytes=249990-' } })
  assert.ok(c.body.equals(src.subarray(249_990)))
  const d = await http(w.base, path, { headers: { Range: 'bytes=250000-' } })
  assert.is(d.status, 416)
  assert.is(d.headers['content-range'], 'bytes */250000')
  assertHeaders(d, '416')
  const e = await http(w.base, path, { headers: { Range: 'bytes=0-10,20-30' } })
  assert.is(e.status, 200, 'several ranges: the whole file')
  assert.ok(e.body.equals(src))
})

test('download all: a streamed tar that extracts to exactly the items', async ({ w }) => {
  const s = await fullShare(w)
  const r = await http(w.base, `${pathOf(s.url)}/all.tar`)
  assert.is(r.status, 200)
  assertHeaders(r, 'tar')
  assert.is(r.headers['content-type'], 'application/x-tar')
  assert.match(
    String(r.headers['content-disposition']),
    'attachment; filename="2026-04-26_Smith_Wedding.tar"',
  )
  const got = new Map<string, Buffer>()
  const ex = extract()
  ex.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = []
    stream.on('data', (c: unknown) => chunks.push(c as Buffer))
    stream.on('end', () => {
      got.set(header.name, Buffer.concat(chunks))
      next()
    })
  })
  await new Promise<void>((resolve, reject) => {
    ex.on('finish', resolve)
    ex.on('error', reject)
    ex.end(r.body)
  })
  assert.equal([...got.keys()], ['previews/IMG_0001.jpg', 'raw/IMG_0001.CR3', 'previews/IMG 0002 été.jpg'])
  for (const [name, bytes] of got) assert.ok(bytes.equals(w.files[name]!), `${name} equals the source`)
  assert.is(w.registry.getShare(s.id)!.downloads, 3, 'one full delivery of each of the 3 files')
})

test('wrong secret and unknown id: the same 404 body, naming no share', async ({ w }) => {
  const s = await fullShare(w)
  const other = await w.registry.createShare({
    session: w.session,
    scope: 'preview',
    items: ['previews/IMG_0001.jpg'],
    label: 'Jones family secret label',
  })
  const path = pathOf(s.url)
  const wrongSecret = path.slice(0, -1) + (path.endsWith('a') ? 'b' : 'a')
  const unknownId = '/s/' + 'a'.repeat(16) + s.token.slice(16)
  const r1 = await http(w.base, wrongSecret)
  const r2 = await http(w.base, unknownId)
  const r3 = await http(w.base, '/s/short')
  const r4 = await http(w.base, wrongSecret + '/f/0')
  for (const r of [r1, r2, r3, r4]) {
    assert.is(r.status, 404)
    assertHeaders(r, '404')
    assert.is(r.text, r1.text, 'one generic body')
    for (const secret of [s.id, other.id, 'Jones', 'Smith', s.token.slice(16)])
      assert.not.match(r.text, secret)
  }
  assert.is(w.registry.getShare(s.id)!.downloads, 0)
})

test('expired (clock moved) and revoked → 410; over the download limit → 429; bodies name no other share', async ({
  w,
}) => {
  const s = await fullShare(w, { ttl: '2d' })
  const other = await fullShare(w, { label: 'Jones family', maxDownloads: 1 })
  const revoked = await fullShare(w, { label: 'Revoked one' })

  const d1 = await http(w.base, `${pathOf(other.url)}/f/0`)
  assert.is(d1.status, 200)
  const d2 = await http(w.base, `${pathOf(other.url)}/f/0`)
  assert.is(d2.status, 429)
  assertHeaders(d2, '429')
  assert.not.match(d2.text, other.id)
  assert.is((await http(w.base, `${pathOf(other.url)}/all.tar`)).status, 429)
  assert.is(w.registry.getShare(other.id)!.downloads, 1)

  w.registry.revokeShare(revoked.id, 'wrong client')
  const r = await http(w.base, pathOf(revoked.url))
  assert.is(r.status, 410)
  assertHeaders(r, '410')

  assert.is((await http(w.base, pathOf(s.url))).status, 200)
  w.clock.advance(2 * 24 * 3600_000)
  const e = await http(w.base, `${pathOf(s.url)}/f/0`)
  assert.is(e.status, 410)
  for (const x of [r, e, d2]) {
    for (const secret of [s.id, other.id, revoked.id, 'Jones', 'Smith', 'Revoked', 'wrong client'])
      assert.not.match(x.text, secret)
  }
  assert.is(e.text, r.text, 'expired and revoked look alike')
})

test('password: form, wrong password refused, correct one sets a per-share HttpOnly SameSite=Strict cookie that other shares refuse', async ({
  w,
}) => {
  const a = await fullShare(w, { password: 'correct horse battery staple' })
  const b = await fullShare(w, { password: 'another long password' })
  const pa = pathOf(a.url)
  const pb = pathOf(b.url)

  const form = await http(w.base, pa)
  assert.is(form.status, 401)
  assert.match(form.text, '<form method="post"')
  assert.not.match(form.text, 'IMG_0001', 'no item names before the password')
  assert.is((await http(w.base, `${pa}/f/0`)).status, 401)

  const post = (path: string, password: string) =>
    http(w.base, path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ password }).toString(),
    })
  const bad = await post(pa, 'not the password')
  assert.is(bad.status, 401)
  assert.match(bad.text, 'not right')
  assert.is(bad.headers['set-cookie'], undefined)

  const ok = await post(pa, 'correct horse battery staple')
  assert.is(ok.status, 303)
  assertHeaders(ok, 'password POST')
  const setCookie = String(ok.headers['set-cookie'])
  assert.match(setCookie, /^sp_grant=[0-9a-z]+\.[A-Za-z0-9_-]{43}; /)
  assert.match(setCookie, `Path=${pa};`)
  assert.match(setCookie, 'HttpOnly')
  assert.match(setCookie, 'SameSite=Strict')
  assert.not.match(setCookie, 'Secure', 'plain HTTP: not Secure')
  assert.not.match(setCookie, 'correct')
  const cookie = setCookie.split(';')[0]!

  const page = await http(w.base, pa, { headers: { Cookie: cookie } })
  assert.is(page.status, 200)
  assert.match(page.text, 'data-name="IMG_0001"')
  const file = await http(w.base, `${pa}/f/1`, { headers: { Cookie: cookie } })
  assert.ok(file.body.equals(w.files['raw/IMG_0001.CR3']!))

  const replay = await http(w.base, pb, { headers: { Cookie: cookie } })
  assert.is(replay.status, 401, "a's cookie does not open b")
  assert.is((await http(w.base, `${pb}/f/1`, { headers: { Cookie: cookie } })).status, 401)

  w.clock.advance(61 * 60_000)
  assert.is((await http(w.base, pa, { headers: { Cookie: cookie } })).status, 401, 'the grant is short-lived')
})

test('after 5 wrong tries an address waits (even with the right password), the wait doubles, and lifts after it', async ({
  w,
}) => {
  const a = await fullShare(w, { password: 'correct horse battery staple' })
  const pa = pathOf(a.url)
  const post = (password: string) =>
    http(w.base, pa, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ password }).toString(),
    })
  for (let i = 0; i < 5; i++) assert.is((await post(`wrong guess number ${i}`)).status, 401)
  const locked = await post('correct horse battery staple')
  assert.is(locked.status, 429)
  assertHeaders(locked, 'locked')
  assert.is(locked.headers['retry-after'], '1', 'after the 5th failure: 1 s')
  w.clock.advance(1000)
  assert.is((await post('a sixth wrong guess')).status, 401)
  assert.is((await post('correct horse battery staple')).headers['retry-after'], '2', 'then 2 s')
  w.clock.advance(2000)
  assert.is((await post('correct horse battery staple')).status, 303)
  const log = w.registry.accessLog(a.id)
  assert.equal(
    log.filter((e) => e.outcome !== 'locked').map((e) => e.outcome),
    [
      'bad_password',
      'bad_password',
      'bad_password',
      'bad_password',
      'bad_password',
      'bad_password',
      'password_ok',
    ],
  )
  // Refusals that cost no work are counted per minute in one line, not one line each.
  assert.equal(
    log.filter((e) => e.outcome === 'locked').map((e) => e.count),
    [2],
  )
})

test('per-address password limit: wrong passwords across several shares → 429 with Retry-After before any share locks; lifts after the window', async () => {
  const w = await shareWorld({}, { passwordRateLimit: { attempts: 3, window: '10m' } })
  try {
    const shares = await Promise.all(
      [0, 1, 2, 3].map(() => fullShare(w, { password: 'correct horse battery staple' })),
    )
    const post = (url: string, password: string) =>
      http(w.base, pathOf(url), {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ password }).toString(),
      })
    for (let i = 0; i < 3; i++)
      assert.is((await post(shares[i]!.url, 'not the password at all')).status, 401, `guess ${i}`)
    const limited = await post(shares[3]!.url, 'correct horse battery staple')
    assert.is(limited.status, 429, 'even the right password of a fourth share waits')
    assertHeaders(limited, 'rate limited')
    assert.match(limited.text, 'from your network')
    const retry = Number(limited.headers['retry-after'])
    assert.ok(retry > 0 && retry <= 600, String(retry))
    assert.equal(
      w.registry.accessLog(shares[3]!.id).map((e) => e.outcome),
      ['rate_limited'],
    )
    // No share is locked on its own (1 wrong password each, lockout is 5): the limit did it.
    assert.is(
      (await w.registry.verifyAccess(shares[0]!.token, { password: 'correct horse battery staple' })).status,
      'ok',
    )
    // Viewing without a password is not limited.
    assert.is((await http(w.base, pathOf(shares[3]!.url))).status, 401)
    w.clock.advance(10 * 60_000 + 1)
    assert.is((await post(shares[3]!.url, 'correct horse battery staple')).status, 303)
  } finally {
    await w.close()
  }
})

test('per-address password limit: parallel guesses cannot overrun it; X-Forwarded-For counts only with trustProxy; the address map is bounded', async () => {
  const w = await shareWorld(
    {},
    { passwordRateLimit: { attempts: 3, window: '10m', maxClients: 2 }, trustProxy: true },
  )
  try {
    const shares = await Promise.all(
      Array.from({ length: 6 }, () => fullShare(w, { password: 'correct horse battery staple' })),
    )
    const post = (url: string, password: string, from: string) =>
      http(w.base, pathOf(url), {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          'X-Forwarded-For': `203.0.113.99, ${from}`,
        },
        body: new URLSearchParams({ password }).toString(),
      })
    const statuses = await Promise.all(
      shares.map((s, i) => post(s.url, `parallel wrong guess ${i}`, '198.51.100.1').then((r) => r.status)),
    )
    assert.equal([...statuses].sort(), [401, 401, 401, 429, 429, 429])
    // Another client (the proxy's last hop says so) is not held back by the first one.
    assert.is((await post(shares[0]!.url, 'correct horse battery staple', '198.51.100.2')).status, 303)
    assert.is((await post(shares[0]!.url, 'wrong again and again', '198.51.100.1')).status, 429)
    // Two more failing addresses push the first out of a 2-client map: it is forgotten, not kept forever.
    await post(shares[1]!.url, 'wrong from client three', '198.51.100.3')
    await post(shares[1]!.url, 'wrong from client four', '198.51.100.4')
    assert.is((await post(shares[2]!.url, 'correct horse battery staple', '198.51.100.1')).status, 303)
  } finally {
    await w.close()
  }
  // Without trustProxy the header is ignored: every request is the socket's address.
  const d = await shareWorld({}, { passwordRateLimit: { attempts: 2, window: '10m' } })
  try {
    const s = await fullShare(d, { password: 'correct horse battery staple' })
    const post = (from: string) =>
      http(d.base, pathOf(s.url), {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Forwarded-For': from },
        body: new URLSearchParams({ password: 'a wrong password here' }).toString(),
      })
    assert.equal(
      [(await post('192.0.2.1')).status, (await post('192.0.2.2')).status, (await post('192.0.2.3')).status],
      [401, 401, 429],
    )
  } finally {
    await d.close()
  }
})

test('a preview share never serves a full-resolution item, even if the database is tampered with', async ({
  w,
}) => {
  const p = await w.registry.createShare({
    session: w.session,
    scope: 'preview',
    items: ['previews/IMG_0001.jpg'],
  })
  const pp = pathOf(p.url)
  assert.is((await http(w.base, `${pp}/f/0`)).status, 200)
  assert.is((await http(w.base, `${pp}/p/raw%2FIMG_0001.CR3`)).status, 404)
  assert.is((await http(w.base, `${pp}/f/1`)).status, 404)
  // tamper: add a full item to the preview share behind the registry's back
  const db = openDatabase(w.dbPath)
  db.prepare(
    "INSERT INTO share_items (share_id, idx, path, kind) VALUES (?, 1, 'raw/IMG_0001.CR3', 'full')",
  ).run(p.id)
  db.close()
  assert.is((await http(w.base, `${pp}/f/1`)).status, 404)
  const tar = await http(w.base, `${pp}/all.tar`)
  assert.is(tar.status, 404)
})

test('traversal, encoded traversal, absolute paths, NUL bytes and symlinks out of the session → 404', async ({
  w,
}) => {
  writeFileSync(join(w.root, 'outside.txt'), 'SECRET OUTSIDE')
  writeFileSync(join(w.session, 'previews', 'link.jpg'), w.files['previews/IMG_0001.jpg']!) // a real preview when the link is made
  const s = await w.registry.createShare({
    session: w.session,
    scope: 'preview',
    items: ['previews/IMG_0001.jpg', 'previews/link.jpg'],
  })
  // Replaced by a symbolic link out of the session after the share was made.
  unlinkSync(join(w.session, 'previews', 'link.jpg'))
  symlinkSync(join(w.root, 'outside.txt'), join(w.session, 'previews', 'link.jpg'))
  const refused = await w.registry
    .createShare({ session: w.session, scope: 'preview', items: ['previews/link.jpg'] })
    .catch((e: { code?: string }) => e)
  assert.is(
    (refused as { code?: string }).code,
    'E_INVALID_ARGUMENT',
    'a preview item leading out of the session is refused when the share is made',
  )
  const p = pathOf(s.url)
  const attempts = [
    `${p}/p/../outside.txt`,
    `${p}/p/..%2Foutside.txt`,
    `${p}/p/%2e%2e%2foutside.txt`,
    `${p}/p/%252e%252e%252foutside.txt`,
    `${p}/p/previews%2F..%2F..%2Foutside.txt`,
    `${p}/p/%2Fetc%2Fpasswd`,
    `${p}/p//etc/passwd`,
    `${p}/p/previews%2FIMG_0001.jpg%00`,
    `${p}/p/previews/IMG_0001.jpg%00.txt`,
    `${p}/p/%E0%A4%A`,
    `${p}/f/1`,
    `${p}/f/-1`,
    `${p}/f/01`,
    `${p}/../../outside.txt`,
    `/s/../outside.txt`,
  ]
  for (const path of attempts) {
    const r = await http(w.base, path)
    assert.is(r.status, 404, path)
    assertHeaders(r, path)
    assert.not.match(r.text, 'SECRET OUTSIDE', path)
  }
  assert.is(
    (await http(w.base, `${p}/p/previews%2FIMG_0001.jpg`)).status,
    200,
    'the real item by its encoded path',
  )
  assert.is((await http(w.base, `${p}/all.tar`)).status, 404, 'the tar refuses when an item escapes')
})

test('HEAD and other methods', async ({ w }) => {
  const s = await fullShare(w)
  const h = await http(w.base, `${pathOf(s.url)}/f/0`, { method: 'HEAD' })
  assert.is(h.status, 200)
  assert.is(h.body.length, 0)
  assert.is(h.headers['content-length'], String(w.files['previews/IMG_0001.jpg']!.length))
  assert.is(w.registry.getShare(s.id)!.downloads, 0, 'HEAD is not a download')
  const d = await http(w.base, pathOf(s.url), { method: 'DELETE' })
  assert.is(d.status, 404)
  assertHeaders(d, 'DELETE')
})

test('the access log is append-only', async ({ w }) => {
  const s = await fullShare(w)
  await http(w.base, pathOf(s.url))
  const db = openDatabase(w.dbPath)
  assert.throws(() => db.prepare('DELETE FROM share_access_log').run(), /append-only/)
  assert.throws(() => db.prepare("UPDATE share_access_log SET outcome = 'x'").run(), /append-only/)
  db.close()
})

test.run()
