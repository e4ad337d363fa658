/**
 * Recipient-bound links against a real SMTP server (aiosmtpd, started by the tests on
 * 127.0.0.1): the code arrives, works once, expires, wrong codes are limited, a
 * non-recipient gets the same page and no mail, a forwarded link without the mailbox gets
 * nothing, one recipient can be revoked, and sign-in combines with the other gates.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'

import { createShareMailer, type ShareMailer } from '../lib/share/mail/mailer'
import type { ShareServerOptions } from '../lib/share/server'
import { Client, codeIn, eventually, otherCode } from './support/signin'
import { pathOf, shareWorld, type ShareWorld } from './support/share-server'
import { smtpSinkMissing, startSmtpSink, type SmtpSink } from './support/smtp-sink'

const missing = smtpSinkMissing()
if (missing) console.warn(`\n!!! SKIPPED: ${missing}: the sign-in tests need a real SMTP server\n`)

interface Ctx {
  sink: SmtpSink
  mailer: ShareMailer
  w: ShareWorld
  log: string[]
}

const CLIENT = 'client@example.com'
const SECOND = 'second@example.com'
const FROM = 'Jane Doe Photography <studio@example.com>'

async function world(ctx: Ctx, handler: Partial<ShareServerOptions> = {}, registry = {}) {
  ctx.sink = await startSmtpSink()
  ctx.mailer = createShareMailer({ url: `smtp://127.0.0.1:${ctx.sink.port}`, from: FROM })
  ctx.log = []
  ctx.w = await shareWorld(registry, { mailer: ctx.mailer, log: (l) => ctx.log.push(l), ...handler })
}

function boundShare(w: ShareWorld, extra: Record<string, unknown> = {}) {
  return w.registry.createShare({
    session: w.session,
    scope: 'full',
    items: [
      { path: 'previews/IMG_0001.jpg', kind: 'preview' },
      { path: 'raw/IMG_0001.CR3', kind: 'full' },
    ],
    label: 'Smith wedding — selects',
    recipients: [CLIENT, SECOND],
    ...extra,
  })
}

/** Asks for a code as `who` and returns it from the mail that arrives. */
async function signIn(ctx: Ctx, client: Client, path: string, who: string): Promise<void> {
  const before = ctx.sink.messages().length
  assert.is((await client.askCode(path, who)).status, 200)
  const mail = await ctx.sink.waitFor((m, i) => m.rcptTos.includes(who) && i >= before)
  const r = await client.typeCode(path, who, codeIn(mail))
  assert.is(r.status, 303, r.text)
}

const test = suite<Ctx>('share sign-in')
const it = missing ? test.skip : test

test.after.each(async (ctx) => {
  await ctx.w?.close()
  ctx.mailer?.close()
  await ctx.sink?.close()
})

it('the code arrives by real SMTP (text + HTML naming the photographer and label, nothing remote), works once, and opens the files', async (ctx) => {
  await world(ctx)
  const { w } = ctx
  const s = await boundShare(w)
  assert.equal(s.recipients, [CLIENT, SECOND])
  const path = pathOf(s.url)
  const ann = new Client(w.base)

  const page = await ann.get(path)
  assert.is(page.status, 401)
  assert.match(page.text, 'Sign in to see the files')
  assert.match(page.text, `action="${path}/signin"`)
  assert.not.match(page.text, 'Smith wedding', 'the label is not shown before sign-in')
  assert.is((await ann.get(`${path}/f/0`)).status, 401, 'no file before sign-in')

  const asked = await ann.askCode(path, ' Client@Example.COM ')
  assert.is(asked.status, 200)
  assert.match(asked.text, 'If <strong>client@example.com</strong> may open these files')
  const mail = await ctx.sink.waitFor((m) => m.rcptTos.includes(CLIENT))
  assert.equal(mail.rcptTos, [CLIENT], 'the mail goes to the recipient as recorded')
  assert.is(mail.mailFrom, 'studio@example.com')
  assert.match(mail.from, 'Jane Doe Photography')
  assert.match(mail.subject, 'Smith wedding — selects')
  assert.match(mail.subject, 'Jane Doe Photography')
  assert.equal(mail.parts, ['multipart/alternative', 'text/plain', 'text/html'])
  for (const body of [mail.text!, mail.html!]) {
    assert.match(body, 'Jane Doe Photography')
    assert.match(body, 'Smith wedding — selects')
    assert.match(body, /\d{4} \d{4}/)
    assert.match(body, '10 minutes')
  }
  assert.not.match(
    mail.html!,
    /<img|src=|url\(|https?:\/\//i,
    'no images, remote resources or links (no tracking)',
  )
  assert.not.match(mail.text!, /https?:\/\//, 'no link in the text either')
  assert.is(mail.headers['auto-submitted'], 'auto-generated')
  const code = codeIn(mail)

  const wrong = await ann.typeCode(path, CLIENT, otherCode(code))
  assert.is(wrong.status, 401)
  assert.match(wrong.text, 'That code does not work')
  // A wrong code is logged after the answer (routes/signin.ts): on a loaded machine the
  // next request could otherwise be logged first, and the order below would not hold.
  await eventually(
    () => w.registry.accessLog(s.id).filter((e) => e.outcome === 'bad_code').length === 1,
    'the first wrong code logged',
  )
  const ok = await ann.typeCode(path, CLIENT, `${code.slice(0, 4)} ${code.slice(4)}`)
  assert.is(ok.status, 303)
  assert.is(ok.headers.location, path)
  const cookie = String(ok.headers['set-cookie'])
  assert.match(cookie, /^sp_signin=/)
  assert.match(cookie, `Path=${path};`)
  assert.match(cookie, 'HttpOnly')
  assert.match(cookie, 'SameSite=Lax')

  const landing = await ann.get(path)
  assert.is(landing.status, 200)
  assert.match(landing.text, 'Smith wedding — selects')
  const file = await ann.get(`${path}/f/1`)
  assert.is(file.status, 200)
  assert.ok(file.body.equals(w.files['raw/IMG_0001.CR3']!))

  const again = await new Client(w.base).typeCode(path, CLIENT, code)
  assert.is(again.status, 401, 'a code works once')
  assert.match(again.text, 'That code does not work')

  // The used code typed again counts as a wrong code at Ann's address (after the answer).
  await eventually(
    () => w.registry.accessLog(s.id).filter((e) => e.outcome === 'bad_code').length === 2,
    'the second wrong code logged',
  )
  const log = w.registry.accessLog(s.id)
  const mine = log.filter((e) => e.recipient === CLIENT).map((e) => `${e.event}:${e.outcome}`)
  assert.equal(mine, [
    'signin:code_sent',
    'signin:bad_code',
    'signin:code_ok',
    'view:ok',
    'download:ok',
    'signin:bad_code',
  ])
  assert.ok(
    log.filter((e) => e.event === 'download').every((e) => e.recipient === CLIENT),
    'each download names who',
  )
})

it('a code expires after 10 minutes; a new one can be asked for', async (ctx) => {
  await world(ctx)
  const { w } = ctx
  const path = pathOf((await boundShare(w)).url)
  const ann = new Client(w.base)
  await ann.askCode(path, CLIENT)
  const code = codeIn(await ctx.sink.waitFor())
  w.clock.advance(10 * 60_000)
  const late = await ann.typeCode(path, CLIENT, code)
  assert.is(late.status, 401)
  assert.match(late.text, 'older than 10 minutes')
  await signIn(ctx, ann, path, CLIENT)
  assert.is((await ann.get(path)).status, 200)
})

it('wrong codes are limited: 5 per address and link (in memory and in the database), and per client address across links', async (ctx) => {
  await world(ctx, { passwordRateLimit: { attempts: 8 } })
  const { w } = ctx
  const s = await boundShare(w)
  const path = pathOf(s.url)
  const ann = new Client(w.base)
  await ann.askCode(path, CLIENT)
  const code = codeIn(await ctx.sink.waitFor())
  for (let i = 0; i < 5; i++)
    assert.is((await ann.typeCode(path, CLIENT, otherCode(String(Number(code) + i)))).status, 401)
  const right = await ann.typeCode(path, CLIENT, code)
  assert.is(right.status, 401, 'after 5 wrong codes the right one no longer works')
  assert.match(right.text, 'stops after 5 wrong tries')

  // The database burnt the code too, so a restarted server (fresh memory) would refuse it.
  await eventually(
    () => w.registry.accessLog(s.id).filter((e) => e.outcome === 'bad_code').length === 6,
    'the wrong codes counted in the database',
  )
  assert.is(
    w.registry.checkSigninCode(s.id, CLIENT, code),
    undefined,
    'the database refuses a code past 5 wrong tries',
  )

  // Per client address, across links: wrong codes count with wrong passwords (8 here).
  const other = pathOf((await boundShare(w)).url)
  await ann.askCode(other, SECOND)
  await ctx.sink.waitFor((m) => m.rcptTos.includes(SECOND))
  assert.is((await ann.typeCode(other, SECOND, '00000000')).status, 401)
  assert.is((await ann.typeCode(other, SECOND, '00000001')).status, 401)
  const limited = await ann.typeCode(other, SECOND, '00000002')
  assert.is(limited.status, 429, 'the 9th wrong attempt from this address is refused')
  assert.ok(Number(limited.headers['retry-after']) > 0)
})

it('asking for codes is limited per address and link (3 an hour), the same for recipients and strangers', async (ctx) => {
  await world(ctx)
  const { w } = ctx
  const path = pathOf((await boundShare(w)).url)
  const ann = new Client(w.base)
  for (const who of [CLIENT, 'stranger@example.com']) {
    for (let i = 0; i < 3; i++) assert.is((await ann.askCode(path, who)).status, 200)
    const fourth = await ann.askCode(path, who)
    assert.is(fourth.status, 429, who)
    assert.match(fourth.text, 'Too many codes were asked for this address')
  }
  await eventually(() => ctx.sink.messages().length === 3, '3 mails')
  w.clock.advance(3_600_000)
  assert.is((await ann.askCode(path, CLIENT)).status, 200, 'an hour later it may ask again')
})

it('a non-recipient gets the same page and no mail, and no code of theirs ever works', async (ctx) => {
  await world(ctx)
  const { w } = ctx
  const s = await boundShare(w)
  const path = pathOf(s.url)
  const eve = new Client(w.base)
  const stranger = await eve.askCode(path, 'stranger@example.com')
  const recipient = await new Client(w.base).askCode(path, CLIENT)
  assert.is(stranger.status, recipient.status)
  assert.is(
    stranger.text.replaceAll('stranger@example.com', 'X'),
    recipient.text.replaceAll(CLIENT, 'X'),
    'the same page, word for word',
  )
  assert.equal(
    Object.keys(stranger.headers).sort(),
    Object.keys(recipient.headers).sort(),
    'the same headers',
  )
  await ctx.sink.waitFor((m) => m.rcptTos.includes(CLIENT))
  await eventually(
    () => w.registry.accessLog(s.id).some((e) => e.outcome === 'not_recipient'),
    'the stranger counted in the log',
  )
  assert.equal(
    ctx.sink.messages().map((m) => m.rcptTos),
    [[CLIENT]],
    'one mail, to the recipient only',
  )
  assert.not.ok(
    w.registry.accessLog(s.id).some((e) => e.recipient === 'stranger@example.com'),
    'a stranger is counted, never named',
  )
  const guess = await eve.typeCode(path, 'stranger@example.com', '12345678')
  assert.is(guess.status, 401)
  assert.match(guess.text, 'That code does not work')
})

it("a forwarded link without the mailbox gets nothing: no page, no file, no archive, and no other link's sign-in opens it", async (ctx) => {
  await world(ctx)
  const { w } = ctx
  const a = await boundShare(w)
  const b = await boundShare(w)
  const ann = new Client(w.base)
  await signIn(ctx, ann, pathOf(a.url), CLIENT)
  assert.is((await ann.get(pathOf(a.url))).status, 200)

  const mallory = new Client(w.base) // holds the forwarded link, not the mailbox
  for (const suffix of ['', '/f/0', '/f/1', '/all.tar', '/p/raw/IMG_0001.CR3']) {
    const r = await mallory.get(pathOf(a.url) + suffix)
    assert.is(r.status, 401, suffix)
    assert.match(r.text, 'Sign in to see the files')
    assert.ok(!r.body.includes(w.files['raw/IMG_0001.CR3']!.subarray(0, 64)))
  }
  // Asking for the recipient's code only mails the recipient.
  assert.is((await mallory.askCode(pathOf(a.url), CLIENT)).status, 200)
  const mail = await ctx.sink.waitFor((_, i) => i === 1)
  assert.equal(mail.rcptTos, [CLIENT])
  // Ann's sign-in is for link a only: copied to link b (or with another recipient's id) it opens nothing.
  const stolen = ann.cookies.get('sp_signin')!
  mallory.cookies.set('sp_signin', stolen)
  assert.is((await mallory.get(pathOf(b.url))).status, 401, 'a sign-in of another link')
  const [until, , mac] = stolen.split('.')
  const secondId = w.registry.getShare(a.id)!.recipients.find((r) => r.address === SECOND)!.id
  mallory.cookies.set('sp_signin', `${until}.${secondId}.${mac}`)
  assert.is((await mallory.get(pathOf(a.url))).status, 401, 'a sign-in edited to name another recipient')
})

it('revoking one recipient: their sign-in stops at once and they get no more codes; the other goes on', async (ctx) => {
  await world(ctx)
  const { w } = ctx
  const s = await boundShare(w)
  const path = pathOf(s.url)
  const ann = new Client(w.base)
  const bob = new Client(w.base)
  await signIn(ctx, ann, path, CLIENT)
  await signIn(ctx, bob, path, SECOND)
  const revoked = w.registry.revokeRecipient(s.id, 'CLIENT@example.com', 'left the agency')
  assert.is(revoked.status, 'revoked')
  assert.is(revoked.revokeReason, 'left the agency')

  const after = await ann.get(`${path}/f/0`)
  assert.is(after.status, 401)
  assert.match(after.text, 'Sign in to see the files')
  assert.is((await bob.get(`${path}/f/0`)).status, 200, 'the other recipient goes on')

  const count = ctx.sink.messages().length
  assert.is((await ann.askCode(path, CLIENT)).status, 200, 'the same answer as for anyone')
  await eventually(
    () => w.registry.accessLog(s.id).some((e) => e.outcome === 'not_recipient'),
    'the request handled',
  )
  assert.is(ctx.sink.messages().length, count, 'no code for a revoked recipient')
  assert.is(w.registry.getShare(s.id)!.status, 'active')
  assert.throws(
    () => w.registry.revokeRecipient(s.id, 'nobody@example.com'),
    (e: Error & { code?: string }) => e.code === 'E_SHARE_NOT_FOUND' && /second@example\.com/.test(e.message),
  )
})

it('combines with a password, download limits, scopes and expiry', async (ctx) => {
  await world(ctx)
  const { w } = ctx
  const s = await w.registry.createShare({
    session: w.session,
    scope: 'preview',
    items: ['previews/IMG_0001.jpg'],
    recipients: [CLIENT],
    password: 'velvet-quarry-lantern-osprey',
    maxDownloads: 1,
    label: 'Smith previews',
  })
  const path = pathOf(s.url)
  const ann = new Client(w.base)
  // The password alone does not open it: sign-in comes first.
  const pwFirst = await ann.post(path, { password: 'velvet-quarry-lantern-osprey' })
  assert.is(pwFirst.status, 401)
  assert.match(pwFirst.text, 'Sign in to see the files')
  await signIn(ctx, ann, path, CLIENT)
  const gate = await ann.get(path)
  assert.is(gate.status, 401)
  assert.match(gate.text, 'Password needed')
  assert.is((await ann.post(path, { password: 'wrong-wrong-wrong-wrong' })).status, 401)
  assert.is((await ann.post(path, { password: 'velvet-quarry-lantern-osprey' })).status, 303)
  assert.is((await ann.get(path)).status, 200)
  assert.is(
    (await ann.get(`${path}/p/raw/IMG_0001.CR3`)).status,
    404,
    'a preview link never serves a full-resolution file',
  )
  assert.is((await ann.get(`${path}/f/0`)).status, 200)
  assert.is((await ann.get(`${path}/f/0`)).status, 429, 'download limit')
  const pw = w.registry.accessLog(s.id).find((e) => e.event === 'password' && e.outcome === 'password_ok')
  assert.is(pw?.recipient, CLIENT, 'the password check names the recipient')

  w.clock.advance(8 * 86_400_000)
  assert.is((await ann.get(path)).status, 410, 'expired')
  const before = ctx.sink.messages().length
  assert.is((await ann.askCode(path, CLIENT)).status, 410, 'no code for an expired link')
  await new Promise((r) => setTimeout(r, 400))
  assert.is(ctx.sink.messages().length, before)
})

test.run()
