/**
 * The sign-in mailer against a real SMTP server (aiosmtpd): STARTTLS with a login, TLS
 * from the first byte, a certificate it must not trust, and every way a send fails —
 * each a clear page for the client (the same whoever asked) and a line in the log, never
 * a hang.
 */
import { createServer, type Server } from 'node:net'
import type { AddressInfo } from 'node:net'

import { suite } from 'uvu'
import * as assert from 'uvu/assert'

import { createShareMailer, type ShareMailer } from '../lib/share/mail/mailer'
import { redactSmtpUrl, resolveSmtp, smtpSettingsFrom } from '../lib/share/mail/smtp-settings'
import { tempDir } from './support/fixtures'
import { Client, codeIn, eventually } from './support/signin'
import { pathOf, shareWorld, throwawayCertificate, type ShareWorld } from './support/share-server'
import { smtpSinkMissing, startSmtpSink, type SmtpSink } from './support/smtp-sink'

const missing = smtpSinkMissing()
if (missing) console.warn(`\n!!! SKIPPED: ${missing}: the SMTP tests need a real SMTP server\n`)

const CLIENT = 'client@example.com'
const FROM = 'Jane Doe Photography <studio@example.com>'

interface Ctx {
  sink?: SmtpSink
  mailer?: ShareMailer
  w?: ShareWorld
  hung?: Server
  log: string[]
}

const test = suite<Ctx>('share sign-in mail')
const it = missing ? test.skip : test

test.before.each((ctx) => {
  ctx.log = []
  delete ctx.sink
  delete ctx.mailer
  delete ctx.w
  delete ctx.hung
})
test.after.each(async (ctx) => {
  await ctx.w?.close()
  ctx.mailer?.close()
  await ctx.sink?.close()
  ctx.hung?.close()
})

async function bound(ctx: Ctx, mailer: ShareMailer | undefined) {
  ctx.w = await shareWorld({}, { ...(mailer ? { mailer } : {}), log: (l) => ctx.log.push(l) })
  const s = await ctx.w.registry.createShare({
    session: ctx.w.session,
    scope: 'full',
    items: ['previews/IMG_0001.jpg'],
    recipients: [CLIENT],
    label: 'Smith selects',
  })
  return { s, path: pathOf(s.url), client: new Client(ctx.w.base) }
}

it('STARTTLS with a login: the password and the message only cross TLS; the code signs in', async (ctx) => {
  const certs = throwawayCertificate(tempDir('sp-smtp-cert-'))
  ctx.sink = await startSmtpSink({ starttls: certs, auth: { user: 'studio@example.com', pass: 'p@ss:w/rd' } })
  ctx.mailer = createShareMailer({
    url: `smtp://studio%40example.com:p%40ss%3Aw%2Frd@localhost:${ctx.sink.port}`,
    from: FROM,
    caFile: certs.certPath,
  })
  assert.is(ctx.mailer.describe, `localhost:${ctx.sink.port} (STARTTLS if offered)`)
  await ctx.mailer.verify()
  const { path, client } = await bound(ctx, ctx.mailer)
  await client.askCode(path, CLIENT)
  const mail = await ctx.sink.waitFor()
  assert.match(String(mail.tls), /^TLSv1\.[23]$/)
  assert.is(mail.login, 'studio@example.com')
  assert.is((await client.typeCode(path, CLIENT, codeIn(mail))).status, 303)
  assert.is((await client.get(path)).status, 200)
})

it('TLS from the first byte (smtps://)', async (ctx) => {
  const certs = throwawayCertificate(tempDir('sp-smtp-cert-'))
  ctx.sink = await startSmtpSink({ tls: certs, auth: { user: 'studio', pass: 'secret' } })
  ctx.mailer = createShareMailer({
    url: `smtps://studio:secret@localhost:${ctx.sink.port}`,
    from: FROM,
    caFile: certs.certPath,
  })
  assert.is(ctx.mailer.describe, `localhost:${ctx.sink.port} (TLS)`)
  const { path, client } = await bound(ctx, ctx.mailer)
  await client.askCode(path, CLIENT)
  const mail = await ctx.sink.waitFor()
  assert.match(String(mail.tls), /^TLSv1\.[23]$/)
  assert.is(mail.login, 'studio')
})

it('a certificate the mailer does not trust: nothing is sent, the log says TLS, every page says mail cannot be sent', async (ctx) => {
  const certs = throwawayCertificate(tempDir('sp-smtp-cert-'))
  ctx.sink = await startSmtpSink({ starttls: certs, auth: { user: 'studio', pass: 'secret' } })
  ctx.mailer = createShareMailer({
    url: `smtp://studio:secret@localhost:${ctx.sink.port}`,
    from: FROM,
    timeout: '5s',
  })
  const { path, client } = await bound(ctx, ctx.mailer)
  assert.is((await client.askCode(path, CLIENT)).status, 200)
  await eventually(() => ctx.log.length > 0, 'the failure logged')
  assert.match(ctx.log[0]!, `mail: could not send the sign-in code for share`)
  assert.match(ctx.log[0]!, CLIENT)
  assert.match(ctx.log[0]!, 'TLS could not be set up')
  assert.not.match(ctx.log.join('\n'), 'secret', 'never the password')
  const next = await client.askCode(path, 'anyone@example.com')
  assert.is(next.status, 503)
  assert.match(next.text, 'E-mail cannot be sent right now')
  assert.is(ctx.sink.messages().length, 0)
})

it('the server is down: the page answers at once, the log says why, the next page says mail cannot be sent; the access log names the recipient', async (ctx) => {
  const free = createServer()
  await new Promise<void>((r) => free.listen(0, '127.0.0.1', r))
  const port = (free.address() as AddressInfo).port
  free.close()
  ctx.mailer = createShareMailer({ url: `smtp://127.0.0.1:${port}`, from: FROM })
  const { s, path, client } = await bound(ctx, ctx.mailer)
  assert.is((await client.askCode(path, CLIENT)).status, 200)
  await eventually(() => ctx.log.length > 0, 'the failure logged')
  assert.match(ctx.log[0]!, 'the server cannot be reached')
  assert.match(ctx.log[0]!, `127.0.0.1:${port}`)
  assert.ok(
    ctx.w!.registry.accessLog(s.id).some((e) => e.outcome === 'send_failed' && e.recipient === CLIENT),
  )
  const down = await client.askCode(path, 'someone@example.com')
  assert.is(down.status, 503)
  assert.is(down.headers['retry-after'], '60')
  assert.match(down.text, 'could not send e-mail a moment ago')
  const audit = ctx.w!.registry.auditShares().byRecipient
  assert.is(audit[0]!.sendFailures, 1)
})

it('a server that accepts and never answers: the send fails after the timeout (no hang) and says so', async (ctx) => {
  const sockets: import('node:net').Socket[] = []
  ctx.hung = createServer((socket) => sockets.push(socket)) // never greets
  ctx.hung.on('close', () => sockets.forEach((s) => s.destroy()))
  await new Promise<void>((r) => ctx.hung!.listen(0, '127.0.0.1', r))
  ctx.mailer = createShareMailer({
    url: `smtp://127.0.0.1:${(ctx.hung.address() as AddressInfo).port}`,
    from: FROM,
    timeout: '1s',
  })
  const { path, client } = await bound(ctx, ctx.mailer)
  const started = Date.now()
  assert.is((await client.askCode(path, CLIENT)).status, 200)
  assert.ok(Date.now() - started < 900, 'the answer does not wait for the server')
  await eventually(() => ctx.log.length > 0, 'the failure logged', 10_000)
  assert.match(ctx.log[0]!, 'the server did not answer in time')
  sockets.forEach((s) => s.destroy())
})

it('the server refuses the message (451) or the mailbox (550): logged; a refused mailbox does not mark mail as down', async (ctx) => {
  ctx.sink = await startSmtpSink({ rejectRcpt: [CLIENT] })
  ctx.mailer = createShareMailer({ url: `smtp://127.0.0.1:${ctx.sink.port}`, from: FROM })
  const { path, client } = await bound(ctx, ctx.mailer)
  await client.askCode(path, CLIENT)
  await eventually(() => ctx.log.length > 0, 'the refusal logged')
  assert.match(ctx.log[0]!, '550')
  assert.ok(ctx.mailer.health().ok, 'one refused mailbox says nothing about the server')
  assert.is((await client.askCode(path, 'other@example.com')).status, 200)

  await ctx.sink.close()
  ctx.mailer.close()
  await ctx.w!.close()
  ctx.sink = await startSmtpSink({ failData: true })
  ctx.mailer = createShareMailer({ url: `smtp://127.0.0.1:${ctx.sink.port}`, from: FROM })
  const again = await bound(ctx, ctx.mailer)
  ctx.log.length = 0
  await again.client.askCode(again.path, CLIENT)
  await eventually(() => ctx.log.length > 0, 'the refusal logged')
  assert.match(ctx.log[0]!, '451')
  assert.not.ok(ctx.mailer.health().ok)
})

test('no SMTP server configured: the page says e-mail is not set up (503) and the log says what to set', async (ctx) => {
  const { path, client } = await bound(ctx, undefined)
  const r = await client.askCode(path, CLIENT)
  assert.is(r.status, 503)
  assert.match(r.text, 'not set up to send e-mail')
  assert.match(ctx.log[0]!, 'no SMTP server is configured (set SHUTTERPROOF_SMTP_URL, or smtp in share.json')
})

test('SMTP settings: environment wins over share.json; bad URLs are typed errors that never echo the password', () => {
  assert.equal(smtpSettingsFrom({}, undefined), undefined)
  assert.equal(
    smtpSettingsFrom(
      { SHUTTERPROOF_SMTP_URL: 'smtp://a@b.example' },
      { url: 'smtp://c@d.example', from: 'x@y.example' },
    ),
    { url: 'smtp://a@b.example', from: 'x@y.example' },
  )
  assert.equal(
    smtpSettingsFrom(
      { SHUTTERPROOF_SMTP_FROM: 'f@g.example' },
      { url: 'smtps://c@d.example', caFile: '/ca.pem' },
    ),
    { url: 'smtps://c@d.example', from: 'f@g.example', caFile: '/ca.pem' },
  )

  const ok = resolveSmtp({ url: 'smtp://studio%40example.com:pw@smtp.example.com', from: FROM }, 'share.json')
  assert.equal(
    [ok.host, ok.port, ok.secure, ok.requireTLS, ok.photographer],
    ['smtp.example.com', 587, false, true, 'Jane Doe Photography'],
    'STARTTLS required off this machine',
  )
  assert.equal(ok.auth, { user: 'studio@example.com', pass: 'pw' })
  const tls = resolveSmtp({ url: 'smtps://studio%40example.com:pw@smtp.example.com' }, 'share.json')
  assert.equal(
    [tls.port, tls.secure, tls.from, tls.photographer],
    [465, true, 'studio@example.com', 'studio@example.com'],
    'the sender defaults to the login when it is an address',
  )
  assert.is(
    resolveSmtp({ url: 'smtp://localhost:25', from: FROM }, 'x').requireTLS,
    false,
    'a local relay may be plain',
  )

  const bad = (url: string, match: RegExp, from: string | null = FROM) =>
    assert.throws(
      () => resolveSmtp({ url, ...(from ? { from } : {}) }, '/home/me/.shutterproof/share.json'),
      (e: Error & { code?: string }) =>
        e.code === 'E_INVALID_ARGUMENT' &&
        match.test(e.message) &&
        e.message.includes('share.json') &&
        !e.message.includes('hunter2'),
    )
  bad('http://u:hunter2@smtp.example.com', /must start with smtp:\/\/ \(STARTTLS\) or smtps:\/\//)
  bad('smtp://u:hunter2@smtp.example.com/x', /has a path/)
  bad('smtp://u:hunter2@smtp.example.com?tls=off', /takes no \?options/)
  bad('smtp://u:hunter2@smtp.example.com', /no sender address/, null)
  bad('not a url hunter2', /is not a URL/)
  assert.throws(
    () => resolveSmtp({ url: 'smtp://a@b.example', from: FROM, caFile: '/nonexistent/ca.pem' }, 'share.json'),
    /cannot read smtp\.caFile \/nonexistent\/ca\.pem \(ENOENT\)/,
  )
  assert.is(redactSmtpUrl('smtp://u:hunter2@h.example:587'), 'smtp://u:***@h.example:587')
})

test.run()
