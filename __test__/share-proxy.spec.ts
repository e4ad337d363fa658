/**
 * The share server behind a real nginx terminating TLS, configured by docs/deploy/nginx.conf
 * itself (ports, certificate and upstream replaced), on free ports, started and stopped
 * here. Skipped loudly (and counted skipped) where nginx or openssl is missing.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { createServer as createNetServer, connect as netConnect, type AddressInfo } from 'node:net'
import { request as httpsRequest } from 'node:https'
import { request as httpRequest } from 'node:http'
import { join } from 'node:path'

import { suite } from 'uvu'
import * as assert from 'uvu/assert'

import { hasTool, REPO, tempDir } from './support/fixtures'
import {
  rawShare,
  shareWorld,
  throwawayCertificate,
  type Reply,
  type ShareWorld,
} from './support/share-server'

const test = suite<{
  nginx?: ChildProcess
  w?: ShareWorld
  https: number
  http: number
  ca: Buffer
  dir: string
  lines: string[]
}>('share behind nginx', {
  https: 0,
  http: 0,
  ca: Buffer.alloc(0),
  dir: '',
  lines: [],
})
const PASSWORD = 'correct horse battery staple'
const PRIVACY: Record<string, string> = {
  'x-robots-tag': 'noindex, nofollow, noarchive',
  'referrer-policy': 'no-referrer',
  'cache-control': 'private, no-store',
  'x-content-type-options': 'nosniff',
}

const available = hasTool('nginx') && hasTool('openssl')
if (!available)
  console.warn(
    '\n  !!! SKIPPED: share server behind nginx — nginx or openssl is missing (scripts/install-test-tools.sh installs them as root)\n',
  )

async function freePort(): Promise<number> {
  const s = createNetServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as AddressInfo).port
  await new Promise((r) => s.close(r))
  return port
}

/** docs/deploy/nginx.conf with this test's ports, certificate and upstream. */
function siteConfig(ctx: { https: number; http: number; dir: string }, upstream: number): string {
  const doc = readFileSync(join(REPO, 'docs/deploy/nginx.conf'), 'utf8')
  const replaced = doc
    .replace('listen 80;', `listen 127.0.0.1:${ctx.http};`)
    .replace('listen 443 ssl http2;', `listen 127.0.0.1:${ctx.https} ssl http2;`)
    .replace('/etc/letsencrypt/live/photos.example.com/fullchain.pem', join(ctx.dir, 'cert.pem'))
    .replace('/etc/letsencrypt/live/photos.example.com/privkey.pem', join(ctx.dir, 'key.pem'))
    .replace('proxy_pass http://127.0.0.1:8765;', `proxy_pass http://127.0.0.1:${upstream};`)
  for (const must of [`:${ctx.http};`, `:${ctx.https} ssl`, 'cert.pem', 'key.pem', `:${upstream};`])
    assert.ok(replaced.includes(must), `docs/deploy/nginx.conf changed shape: ${must}`)
  return replaced
}

/** An HTTPS request through nginx to a URL as printed, from a chosen loopback address (a "client"). */
function viaNginx(
  ctx: { ca: Buffer },
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string; from?: string } = {},
): Promise<Reply> {
  const u = new URL(url)
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        servername: u.hostname,
        port: u.port,
        path: u.pathname,
        method: init.method ?? 'GET',
        ca: ctx.ca,
        localAddress: init.from ?? '127.0.0.1',
        headers: { Host: u.host, ...init.headers },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const body = Buffer.concat(chunks)
          resolve({ status: res.statusCode!, headers: res.headers, body, text: body.toString('utf8') })
        })
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(init.body)
  })
}

function form(password: string): { method: string; headers: Record<string, string>; body: string } {
  return {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ password }).toString(),
  }
}

function assertPrivacy(r: Reply, what: string): void {
  for (const [h, v] of Object.entries(PRIVACY)) assert.is(r.headers[h], v, `${what}: ${h}`)
  assert.is(r.headers['strict-transport-security'], 'max-age=31536000', `${what}: HSTS from nginx`)
}

test.before(async (ctx) => {
  if (!available) return
  ctx.dir = tempDir('sp-nginx-')
  const cert = throwawayCertificate(ctx.dir)
  ctx.ca = cert.cert
  ctx.https = await freePort()
  ctx.http = await freePort()
  ctx.lines = []
  ctx.w = await shareWorld(
    { publicUrl: `https://localhost:${ctx.https}` },
    { trustProxy: ['127.0.0.1'], passwordRateLimit: false, requestLog: (l) => ctx.lines.push(l) },
  )
  writeFileSync(join(ctx.dir, 'site.conf'), siteConfig(ctx, Number(new URL(ctx.w.base).port)))
  const temp = (name: string) => `${name}_temp_path ${join(ctx.dir, name)};`
  writeFileSync(
    join(ctx.dir, 'nginx.conf'),
    [
      process.getuid?.() === 0 ? 'user root;' : '',
      'worker_processes 1;',
      'daemon off;',
      `pid ${join(ctx.dir, 'nginx.pid')};`,
      `error_log ${join(ctx.dir, 'error.log')} warn;`,
      'events { worker_connections 128; }',
      'http {',
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp),
      `  include ${join(ctx.dir, 'site.conf')};`,
      '}',
    ].join('\n'),
  )
  ctx.nginx = spawn(
    'nginx',
    ['-p', ctx.dir, '-c', join(ctx.dir, 'nginx.conf'), '-e', join(ctx.dir, 'error.log')],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  let stderr = ''
  ctx.nginx.stderr!.on('data', (c: Buffer) => (stderr += c))
  // Ready when its TLS port accepts connections (bounded: 200 tries).
  for (let i = 0; ; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = netConnect(ctx.https, '127.0.0.1', () => {
        s.destroy()
        resolve(true)
      })
      s.on('error', () => resolve(false))
    })
    if (up) break
    if (i > 200 || ctx.nginx.exitCode !== null)
      throw new Error(`nginx did not start: ${stderr} ${readFileSync(join(ctx.dir, 'error.log'), 'utf8')}`)
    await new Promise((r) => setTimeout(r, 50))
  }
})

test.after(async (ctx) => {
  if (ctx.nginx && ctx.nginx.exitCode === null) {
    const exited = new Promise((r) => ctx.nginx!.once('exit', r))
    ctx.nginx.kill('SIGQUIT')
    await exited
  }
  await ctx.w?.close()
})

const run = available ? test : test.skip

run(
  'the printed link opens through nginx over TLS; the page, its links and every answer carry the headers',
  async (ctx) => {
    const w = ctx.w!
    const s = await w.registry.createShare({
      session: w.session,
      scope: 'preview',
      items: ['previews/IMG_0001.jpg', 'previews/IMG 0002 été.jpg'],
      label: 'Smith selects',
    })
    assert.match(s.url, new RegExp(`^https://localhost:${ctx.https}/s/[a-z2-7]{68}$`))
    const page = await viaNginx(ctx, s.url)
    assert.is(page.status, 200)
    assertPrivacy(page, 'landing page')
    assert.match(page.text, 'Smith selects')
    const href = /href="([^"]+\/f\/1)"/.exec(page.text)![1]!
    const file = await viaNginx(ctx, new URL(href, s.url).href)
    assert.is(file.status, 200)
    assert.ok(file.body.equals(w.files['previews/IMG 0002 été.jpg']!))
    assertPrivacy(file, 'download')
    const missing = await viaNginx(ctx, `https://localhost:${ctx.https}/s/${'a'.repeat(68)}`)
    assert.is(missing.status, 404)
    assertPrivacy(missing, '404')
    const robots = await viaNginx(ctx, `https://localhost:${ctx.https}/robots.txt`)
    assert.is(robots.text, 'User-agent: *\nDisallow: /\n')
    // Plain HTTP only redirects.
    const redirect = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port: ctx.http, path: '/s/x', headers: { Host: 'photos.example.com' } },
        (res) => {
          res.resume()
          resolve(res.statusCode!)
        },
      )
      req.on('error', reject)
      req.end()
    })
    assert.is(redirect, 301)
    // Shutterproof logged the real client, and no secret.
    assert.ok(
      ctx.lines.some((l) => / 127\.0\.0\.1 GET \/s\/[a-z2-7]{16}… 200 /.test(l)),
      ctx.lines.join('\n'),
    )
    assert.ok(ctx.lines.every((l) => !l.includes(s.token.slice(16))))
  },
)

run(
  'password flow through nginx: form, wrong, right → 303 with a Secure cookie for the link path, then the files',
  async (ctx) => {
    const w = ctx.w!
    const s = await rawShare(w, { password: PASSWORD })
    const formPage = await viaNginx(ctx, s.url)
    assert.is(formPage.status, 401)
    assertPrivacy(formPage, 'password form')
    assert.match(formPage.text, `action="${new URL(s.url).pathname}"`)
    const wrong = await viaNginx(ctx, s.url, { ...form('not the password at all'), from: '127.0.0.5' })
    assert.is(wrong.status, 401)
    const ok = await viaNginx(ctx, s.url, { ...form(PASSWORD), from: '127.0.0.5' })
    assert.is(ok.status, 303)
    assertPrivacy(ok, '303')
    assert.is(ok.headers.location, new URL(s.url).pathname)
    const setCookie = String(ok.headers['set-cookie'])
    assert.match(setCookie, '; Secure')
    assert.match(setCookie, `Path=${new URL(s.url).pathname};`)
    const cookie = setCookie.split(';')[0]!
    const file = await viaNginx(ctx, `${s.url}/f/0`, { headers: { Cookie: cookie } })
    assert.ok(file.body.equals(w.files['raw/IMG_0001.CR3']!))
  },
)

run('Range through nginx: exact bytes, and the download limit holds against ranges', async (ctx) => {
  const w = ctx.w!
  const src = w.files['raw/IMG_0001.CR3']!
  const s = await rawShare(w, { maxDownloads: 2 })
  const part = await viaNginx(ctx, `${s.url}/f/0`, { headers: { Range: 'bytes=1000-1999' } })
  assert.is(part.status, 206)
  assert.is(part.headers['content-range'], 'bytes 1000-1999/250000')
  assert.ok(part.body.equals(src.subarray(1000, 2000)))
  // 1000 + 249,999 bytes fit in 2 × 250,000; another 249,999 would not.
  assert.is((await viaNginx(ctx, `${s.url}/f/0`, { headers: { Range: 'bytes=1-' } })).status, 206)
  const over = await viaNginx(ctx, `${s.url}/f/0`, { headers: { Range: 'bytes=1-' } })
  assert.is(over.status, 429)
  assertPrivacy(over, '429')
})

run(
  'wrong passwords are counted by the real client address (a forged X-Forwarded-For is not believed): one client waits, another gets in',
  async (ctx) => {
    const w = ctx.w!
    const s = await rawShare(w, { password: PASSWORD })
    const forged = { 'X-Forwarded-For': '198.51.100.77' }
    for (let i = 0; i < 5; i++) {
      const r = await viaNginx(ctx, s.url, {
        ...form(`attacker guess ${i} here`),
        from: '127.0.0.2',
        headers: { ...form('').headers, ...forged },
      })
      assert.is(r.status, 401)
    }
    const waits = await viaNginx(ctx, s.url, { ...form(PASSWORD), from: '127.0.0.2' })
    assert.is(waits.status, 429)
    assertPrivacy(waits, 'back-off')
    assert.ok(Number(waits.headers['retry-after']) >= 1)
    const other = await viaNginx(ctx, s.url, { ...form(PASSWORD), from: '127.0.0.3' })
    assert.is(other.status, 303, 'another client is not locked out')
    const remotes = new Set(
      w.registry
        .accessLog(s.id)
        .filter((e) => e.outcome === 'bad_password')
        .map((e) => e.remote),
    )
    assert.equal(
      [...remotes],
      ['127.0.0.2'],
      'the address nginx saw, neither nginx itself nor the forged one',
    )
  },
)

test.run()
