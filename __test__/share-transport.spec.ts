/** The share server's transport: Node's own error answers, mounting under a prefix, the request log, direct TLS, proxy trust, the public URL. */
import { createServer, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { AddressInfo } from 'node:net'

import { suite } from 'uvu'
import * as assert from 'uvu/assert'

import { ShutterproofError } from '../lib/errors'
import { createShareHandler } from '../lib/share/handler'
import { proxyTrust } from '../lib/share/proxy'
import { loopbackWarning, publicUrlOf } from '../lib/share/public-url'
import { redactPath } from '../lib/share/request-log'
import {
  http,
  pathOf,
  postPassword,
  rawExchange,
  rawHeaders,
  shareWorld,
  throwawayCertificate,
  type ShareWorld,
} from './support/share-server'
import { tempDir } from './support/fixtures'

const test = suite('share transport')
const PASSWORD = 'correct horse battery staple'
const PRIVACY = [
  'x-robots-tag',
  'referrer-policy',
  'cache-control',
  'x-content-type-options',
  'content-security-policy',
]

async function passwordShare(w: ShareWorld) {
  return w.registry.createShare({
    session: w.session,
    scope: 'full',
    items: ['raw/IMG_0001.CR3'],
    password: PASSWORD,
  })
}

test("Node's own answers carry the privacy headers: 400 for a malformed request, 431 for headers too large", async () => {
  const w = await shareWorld()
  try {
    const bad = rawHeaders(await rawExchange(w.base, 'GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n'))
    assert.is(bad.status, 400)
    for (const h of PRIVACY) assert.ok(bad.headers[h], `400 has ${h}`)
    const big = rawHeaders(
      await rawExchange(
        w.base,
        `GET /robots.txt HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      ),
    )
    assert.is(big.status, 431)
    for (const h of PRIVACY) assert.ok(big.headers[h], `431 has ${h}`)
    assert.is(big.headers['x-robots-tag'], 'noindex, nofollow, noarchive')
  } finally {
    await w.close()
  }
})

test('headers that never finish arriving: the connection is answered 408 (with the headers) and closed', async () => {
  const w = await shareWorld({}, { timeouts: { headers: 300, request: 600 } })
  try {
    const reply = await rawExchange(w.base, 'GET /robots.txt HTTP/1.1\r\nHost: x\r\n', 30_000)
    const { status, headers } = rawHeaders(reply)
    assert.is(status, 408)
    assert.is(headers['x-robots-tag'], 'noindex, nofollow, noarchive')
  } finally {
    await w.close()
  }
})

/** Every link of a page (`href` and `src`), resolved against the page's own path. */
function linksOf(html: string, pagePath: string): string[] {
  return [...html.matchAll(/(?:href|src)="([^"]+)"/g)].map(
    (m) => new URL(m[1]!.replaceAll('&amp;', '&'), `http://host${pagePath}`).pathname,
  )
}

test('basePath: mounted under /share in plain node:http, every link, form action, redirect and cookie path carries it', async () => {
  const w = await shareWorld({}, { basePath: '/share/' })
  try {
    const s = await passwordShare(w)
    const p = `/share${pathOf(s.url)}`
    assert.is((await http(w.base, pathOf(s.url))).status, 404, 'outside the prefix: nothing')
    const form = await http(w.base, p)
    assert.is(form.status, 401)
    assert.match(form.text, `action="${p}"`)
    const ok = await postPassword(w.base, p, PASSWORD)
    assert.is(ok.status, 303)
    assert.is(ok.headers.location, p)
    assert.match(String(ok.headers['set-cookie']), `Path=${p};`)
    const page = await http(w.base, p, {
      headers: { Cookie: String(ok.headers['set-cookie']).split(';')[0]! },
    })
    assert.is(page.status, 200)
    // The gallery's links are relative to the link's own URL, so they carry the prefix.
    assert.ok(linksOf(page.text, p).includes(`${p}/f/0`), `${p}/f/0 among ${linksOf(page.text, p)}`)
    assert.ok(linksOf(page.text, p).includes(`${p}/all.tar`))
    assert.is((await http(w.base, '/share/robots.txt')).status, 200)
  } finally {
    await w.close()
  }
})

test('basePath defaults to the public URL path; under Express-style mounting req.baseUrl is used', async () => {
  const w = await shareWorld({ publicUrl: 'https://example.com/photos/' })
  try {
    const s = await w.registry.createShare({
      session: w.session,
      scope: 'preview',
      items: ['previews/IMG_0001.jpg'],
    })
    assert.match(s.url, /^https:\/\/example\.com\/photos\/s\/[a-z2-7]{68}$/)
    const page = await http(w.base, pathOf(s.url))
    assert.is(page.status, 200)
    assert.ok(linksOf(page.text, pathOf(s.url)).includes(`${pathOf(s.url)}/f/0`))
    // Express strips its mount path from req.url and keeps it in req.baseUrl.
    const handler = createShareHandler({
      registry: w.registry,
      serverKey: w.serverKey,
      root: w.root,
      clock: w.clock,
    })
    const app = createServer((req: IncomingMessage & { baseUrl?: string }, res) => {
      if (!req.url!.startsWith('/mnt/')) return res.end('not mounted')
      req.baseUrl = '/mnt'
      req.url = req.url!.slice('/mnt'.length)
      handler(req, res)
    })
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve))
    try {
      const base = `http://127.0.0.1:${(app.address() as AddressInfo).port}`
      const token = s.token
      const mounted = await http(base, `/mnt/s/${token}`)
      assert.is(mounted.status, 200)
      assert.ok(linksOf(mounted.text, `/mnt/s/${token}`).includes(`/mnt/s/${token}/f/0`))
    } finally {
      app.closeAllConnections()
      await new Promise((r) => app.close(r))
    }
  } finally {
    await w.close()
  }
})

test('one log line per request: client, method, path without the secret, status, bytes, ms', async () => {
  const lines: string[] = []
  const w = await shareWorld({}, { requestLog: (l) => lines.push(l) })
  try {
    const s = await w.registry.createShare({
      session: w.session,
      scope: 'preview',
      items: ['previews/IMG_0001.jpg'],
    })
    await http(w.base, pathOf(s.url))
    await http(w.base, `${pathOf(s.url)}/f/0`)
    while (lines.length < 2) await new Promise((r) => setTimeout(r, 10))
    assert.match(
      lines[0]!,
      new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z 127\\.0\\.0\\.1 GET /s/${s.id}… 200 \\d+ \\d+ms$`),
    )
    assert.match(lines[1]!, new RegExp(`GET /s/${s.id}…/f/0 200 (\\d+) \\d+ms$`))
    assert.ok(
      Number(/ 200 (\d+) /.exec(lines[1]!)![1]) > w.files['previews/IMG_0001.jpg']!.length,
      'bytes sent, headers included',
    )
    assert.ok(
      lines.every((l) => !l.includes(s.token.slice(16))),
      'the secret is never logged',
    )
    assert.is(redactPath('/s/a\nb?secret=1'), '/s/a%0Ab')
  } finally {
    await w.close()
  }
})

test('direct HTTPS (--tls-cert/--tls-key): pages and downloads over TLS, grant cookie Secure', async () => {
  const tls = throwawayCertificate(tempDir('sp-tls-'))
  const w = await shareWorld({}, { tls: { cert: tls.cert, key: tls.key } })
  try {
    const s = await passwordShare(w)
    const port = Number(new URL(w.base).port)
    const post = await new Promise<{ status: number; cookie: string }>((resolve, reject) => {
      const body = new URLSearchParams({ password: PASSWORD }).toString()
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port,
          path: pathOf(s.url),
          method: 'POST',
          ca: tls.cert,
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        },
        (res) => {
          res.resume()
          resolve({ status: res.statusCode!, cookie: String(res.headers['set-cookie']) })
        },
      )
      req.on('error', reject)
      req.end(body)
    })
    assert.is(post.status, 303)
    assert.match(post.cookie, '; Secure')
    assert.match(post.cookie, 'HttpOnly')
  } finally {
    await w.close()
  }
})

test('an https public URL makes the grant cookie Secure even where the proxy hop is plain HTTP', async () => {
  const w = await shareWorld({ publicUrl: 'https://photos.example.com' })
  try {
    const s = await passwordShare(w)
    const ok = await postPassword(w.base, pathOf(s.url), PASSWORD)
    assert.is(ok.status, 303)
    assert.match(String(ok.headers['set-cookie']), '; Secure')
  } finally {
    await w.close()
  }
})

test('proxy trust: X-Forwarded-For/Proto only from listed proxies, read from the right; bad entries refused', () => {
  const req = (peer: string, xff?: string, proto?: string) =>
    ({
      socket: { remoteAddress: peer },
      headers: {
        ...(xff ? { 'x-forwarded-for': xff } : {}),
        ...(proto ? { 'x-forwarded-proto': proto } : {}),
      },
    }) as never
  const list = proxyTrust(['127.0.0.1', '10.0.0.0/8'])
  assert.equal(list.view(req('127.0.0.1', '198.51.100.7, 203.0.113.5', 'https')), {
    address: '203.0.113.5',
    https: true,
  })
  assert.equal(
    list.view(req('::ffff:127.0.0.1', '203.0.113.5, 10.1.2.3')),
    { address: '203.0.113.5', https: false },
    'listed proxies in the chain are skipped',
  )
  assert.equal(
    list.view(req('203.0.113.9', '127.0.0.1', 'https')),
    { address: '203.0.113.9', https: false },
    'a peer not listed cannot speak for anyone',
  )
  assert.equal(proxyTrust(false).view(req('127.0.0.1', '203.0.113.5', 'https')), {
    address: '127.0.0.1',
    https: false,
  })
  assert.equal(proxyTrust(['loopback']).view(req('::1', '2001:db8::1')), {
    address: '2001:db8::1',
    https: false,
  })
  for (const bad of ['banana', '10.0.0.0/33', '1.2.3.4/8/9', '']) {
    try {
      proxyTrust([bad])
      assert.unreachable(bad)
    } catch (err) {
      assert.instance(err, ShutterproofError, bad)
      assert.is((err as ShutterproofError).code, 'E_INVALID_ARGUMENT')
    }
  }
})

test('public URL: checked, trailing slash dropped; loopback links warned about', () => {
  assert.is(publicUrlOf('https://photos.example.com/'), 'https://photos.example.com')
  assert.is(publicUrlOf('https://example.com/photos/'), 'https://example.com/photos')
  for (const bad of ['photos.example.com', 'ftp://x', 'https://x/?a=1', 'https://u:p@x']) {
    try {
      publicUrlOf(bad)
      assert.unreachable(bad)
    } catch (err) {
      assert.is((err as ShutterproofError).code, 'E_INVALID_ARGUMENT', bad)
    }
  }
  for (const local of [
    'http://127.0.0.1:8765',
    'http://localhost:8765',
    'http://[::1]:8765',
    'http://0.0.0.0',
  ])
    assert.ok(loopbackWarning(local), local)
  assert.is(loopbackWarning('https://photos.example.com'), undefined)
})

test.run()
