/**
 * Recipient-bound links from the command line, as a photographer runs them: `share create
 * --to`, `share serve` mailing codes through the SMTP server named in share.json or
 * SHUTTERPROOF_SMTP_URL (a real aiosmtpd server here), `share audit` grouped by recipient,
 * and `share revoke ID --to` leaving the other recipients working.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { suite } from 'uvu'
import * as assert from 'uvu/assert'

import { cli, cliArgv, tempDir } from './support/fixtures'
import { Client, codeIn } from './support/signin'
import { pathOf } from './support/share-server'
import { smtpSinkMissing, startSmtpSink, type SmtpSink } from './support/smtp-sink'

const missing = smtpSinkMissing()
if (missing) console.warn(`\n!!! SKIPPED: ${missing}: the sign-in CLI tests need a real SMTP server\n`)

const FROM = 'Jane Doe Photography <studio@example.com>'
const ANN = 'ann@example.com'
const BOB = 'bob@example.com'

interface Served {
  child: ChildProcessWithoutNullStreams
  line: { url: string; publicUrl: string; mail: string | null }
  stderr: () => string
  stop(): Promise<number | null>
}

/** Starts `share serve --json` and resolves once it printed its line. */
async function serve(home: string, root: string, env: NodeJS.ProcessEnv = {}): Promise<Served> {
  const child = spawn(
    process.execPath,
    cliArgv('share', 'serve', '--port', '0', '--root', root, '--home', home, '--json'),
    {
      env: { ...process.env, NO_COLOR: '1', SHUTTERPROOF_SMTP_URL: '', SHUTTERPROOF_SMTP_FROM: '', ...env },
    },
  )
  let out = ''
  let err = ''
  child.stderr.on('data', (d: Buffer) => (err += d.toString()))
  const line = await new Promise<Served['line']>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      if (out.includes('\n')) resolve(JSON.parse(out.slice(0, out.indexOf('\n'))))
    })
    child.once('exit', (code) => reject(new Error(`share serve exited (${code}) before listening: ${err}`)))
  })
  return {
    child,
    line,
    stderr: () => err,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', (code) => resolve(code))
        child.kill('SIGINT')
      }),
  }
}

async function until(check: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 20_000
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** `share create SESSION SESSION/previews/a.jpg --scope full --to TO EXTRA… --home HOME`. */
function createFullLinkArgs(session: string, home: string, to: string, ...extra: string[]): string[] {
  return [
    'share',
    'create',
    session,
    join(session, 'previews/a.jpg'),
    '--scope',
    'full',
    '--to',
    to,
    ...extra,
    '--home',
    home,
  ]
}

function world() {
  const root = tempDir('sp-signin-cli-')
  const session = join(root, '2026-04-26_Smith')
  mkdirSync(join(session, 'previews'), { recursive: true })
  writeFileSync(join(session, 'previews', 'a.jpg'), 'preview a')
  writeFileSync(join(session, 'previews', 'b.jpg'), 'preview bb')
  return { root, session, home: join(root, 'home') }
}

/** Asks for a code as `who`, reads it from the mail, and types it. */
async function signIn(sink: SmtpSink, client: Client, path: string, who: string): Promise<void> {
  const before = sink.messages().length
  assert.is((await client.askCode(path, who)).status, 200)
  const mail = await sink.waitFor((m, i) => i >= before && m.rcptTos.includes(who), 20_000)
  assert.is((await client.typeCode(path, who, codeIn(mail))).status, 303)
}

interface Ctx {
  sink?: SmtpSink
  served: Served[]
}
const test = suite<Ctx>('share sign-in CLI')
const it = missing ? test.skip : test
test.before.each((ctx) => {
  ctx.served = []
  delete ctx.sink
})
test.after.each(async (ctx) => {
  for (const s of ctx.served) if (s.child.exitCode === null) await s.stop()
  await ctx.sink?.close()
})

it('create --to → serve mails codes via share.json smtp → audit by recipient → revoke --to: the other recipient goes on', async (ctx) => {
  const { root, session, home } = world()
  ctx.sink = await startSmtpSink()
  mkdirSync(home, { recursive: true, mode: 0o700 })
  writeFileSync(
    join(home, 'share.json'),
    JSON.stringify({ smtp: { url: `smtp://127.0.0.1:${ctx.sink.port}`, from: FROM, timeout: '10s' } }),
  )

  const made = cli([
    'share',
    'create',
    session,
    join(session, 'previews/a.jpg'),
    '--scope',
    'full',
    join(session, 'previews/b.jpg'),
    '--to',
    'Ann@Example.COM',
    '--to',
    BOB,
    '--label',
    'Smith selects',
    '--home',
    home,
  ])
  assert.is(made.status, 0, made.stderr)
  assert.match(made.stderr, `only for: ${ANN}, ${BOB} (each signs in with a code e-mailed to them`)
  assert.not.match(made.stderr, 'no SMTP server is configured')
  const url = made.stdout.trim()
  const id = /share ([a-z2-7]+):/.exec(made.stderr)![1]!
  const listed = JSON.parse(cli(['share', 'list', '--json', '--home', home]).stdout).shares[0]
  assert.equal(
    listed.recipients.map((r: { address: string; status: string }) => [r.address, r.status]),
    [
      [ANN, 'active'],
      [BOB, 'active'],
    ],
  )

  const first = await serve(home, root)
  ctx.served.push(first)
  assert.is(first.line.mail, `127.0.0.1:${ctx.sink.port} (STARTTLS if offered)`)
  await until(() => first.stderr().includes('sign-in mail goes through'), 'the SMTP check at start')
  const path = pathOf(url)
  const ann = new Client(first.line.url)
  const bob = new Client(first.line.url)
  assert.is((await ann.get(path)).status, 401)
  await signIn(ctx.sink, ann, path, ANN)
  await signIn(ctx.sink, bob, path, BOB)
  const mail = ctx.sink.messages()[0]!
  assert.match(mail.subject, 'Smith selects')
  assert.match(mail.from, 'Jane Doe Photography')
  const file = await ann.get(`${path}/f/0`)
  assert.is(file.status, 200)
  assert.is(file.text, 'preview a')
  assert.is(await first.stop(), 0)

  const audit = JSON.parse(cli(['share', 'audit', '--json', '--home', home]).stdout)
  const mine = (who: string) => audit.byRecipient.find((r: { address: string }) => r.address === who)
  assert.equal(
    [mine(ANN).shareId, mine(ANN).codesSent, mine(ANN).signIns, mine(ANN).downloads, mine(ANN).bytes],
    [id, 1, 1, [{ item: 'previews/a.jpg', bytes: 9, requests: 1 }], 9],
  )
  assert.equal([mine(BOB).signIns, mine(BOB).downloads], [1, []])
  const human = cli(['share', 'audit', '--home', home]).stdout
  assert.match(human, 'by recipient: 2\n')
  assert.match(human, `  ${id}  ${ANN}  active  codes 1  sign-ins 1  downloaded: previews/a.jpg (9 B)\n`)
  assert.match(human, `  ${id}  ${BOB}  active  codes 1  sign-ins 1  downloaded: nothing\n`)

  const revoked = cli(['share', 'revoke', id, '--to', ANN, '--reason', 'left the agency', '--home', home])
  assert.is(revoked.status, 0, revoked.stderr)
  assert.match(revoked.stdout, `revoked ${ANN} on ${id} at `)
  assert.match(revoked.stdout, "the link's other recipients go on")
  const after = JSON.parse(cli(['share', 'audit', '--json', '--home', home]).stdout)
  assert.equal(
    after.byRecipient.map((r: { address: string; status: string }) => [r.address, r.status]),
    [
      [ANN, 'revoked'],
      [BOB, 'active'],
    ],
  )
  assert.match(cli(['share', 'audit', '--home', home]).stdout, new RegExp(`  ${id}  ${ANN}  revoked \\d{4}-`))

  // The server again (the same server key, so the sign-ins still verify): Ann's opens nothing, Bob's still works.
  const second = await serve(home, root)
  ctx.served.push(second)
  const annAgain = new Client(second.line.url)
  const bobAgain = new Client(second.line.url)
  annAgain.cookies.set('sp_signin', ann.cookies.get('sp_signin')!)
  bobAgain.cookies.set('sp_signin', bob.cookies.get('sp_signin')!)
  assert.is((await annAgain.get(`${path}/f/0`)).status, 401)
  assert.is((await bobAgain.get(`${path}/f/1`)).status, 200)
  const unknown = cli(['share', 'revoke', id, '--to', 'carol@example.com', '--home', home])
  assert.is(unknown.status, 2)
  assert.match(
    unknown.stderr,
    `"carol@example.com" is not a recipient of share ${id}; its recipients are ${ANN}, ${BOB}`,
  )
})

it('SHUTTERPROOF_SMTP_URL wins over share.json; a server that cannot be reached is a warning at start and a 503 page, not a hang', async (ctx) => {
  const { root, session, home } = world()
  ctx.sink = await startSmtpSink()
  mkdirSync(home, { recursive: true, mode: 0o700 })
  writeFileSync(
    join(home, 'share.json'),
    JSON.stringify({ smtp: { url: 'smtp://127.0.0.1:1', from: FROM, timeout: '5s' } }),
  )
  const url = cli(createFullLinkArgs(session, home, ANN)).stdout.trim()
  const viaEnv = await serve(home, root, { SHUTTERPROOF_SMTP_URL: `smtp://127.0.0.1:${ctx.sink.port}` })
  ctx.served.push(viaEnv)
  assert.is(viaEnv.line.mail, `127.0.0.1:${ctx.sink.port} (STARTTLS if offered)`)
  await signIn(ctx.sink, new Client(viaEnv.line.url), pathOf(url), ANN)
  await viaEnv.stop()

  const down = await serve(home, root)
  ctx.served.push(down)
  assert.is(down.line.mail, '127.0.0.1:1 (STARTTLS if offered)')
  await until(() => down.stderr().includes('warning: cannot send sign-in mail'), 'the warning at start')
  assert.match(down.stderr(), 'the server cannot be reached (127.0.0.1:1')
  const page = await new Client(down.line.url).askCode(pathOf(url), ANN)
  assert.is(page.status, 503)
  assert.match(page.text, 'E-mail cannot be sent right now')
})

test('no SMTP configured: create --to warns, serve warns and the sign-in page says e-mail is not set up; bad smtp settings are exit 2 without the password', async () => {
  const { root, session, home } = world()
  const made = cli(createFullLinkArgs(session, home, ANN, '--json'), { env: { SHUTTERPROOF_SMTP_URL: '' } })
  assert.is(made.status, 0, made.stderr)
  assert.match(
    made.stderr,
    'warning: no SMTP server is configured, so share serve cannot mail sign-in codes: set SHUTTERPROOF_SMTP_URL',
  )
  const served = await serve(home, root)
  try {
    assert.is(served.line.mail, null)
    await until(() => served.stderr().includes('bound to recipients'), 'the warning at start')
    assert.match(
      served.stderr(),
      'warning: 1 active link(s) are bound to recipients, but no SMTP server is configured',
    )
    const page = await new Client(served.line.url).askCode(pathOf(JSON.parse(made.stdout).url), ANN)
    assert.is(page.status, 503)
    assert.match(page.text, 'not set up to send e-mail')
  } finally {
    await served.stop()
  }

  const badUrl = cli(['share', 'serve', '--port', '0', '--root', root, '--home', home], {
    env: { SHUTTERPROOF_SMTP_URL: 'http://studio:hunter2@smtp.example.com' },
  })
  assert.is(badUrl.status, 2)
  assert.match(
    badUrl.stderr,
    'SHUTTERPROOF_SMTP_URL: the SMTP URL must start with smtp:// (STARTTLS) or smtps://',
  )
  assert.not.match(badUrl.stderr, 'hunter2')
  const notAddress = cli(createFullLinkArgs(session, home, 'not-an-address'))
  assert.is(notAddress.status, 2)
  assert.match(notAddress.stderr, '"not-an-address" is not an e-mail address a sign-in code can be sent to')
  writeFileSync(
    join(home, 'share.json'),
    JSON.stringify({ smtp: { url: 'smtp://a@b.example', password: 'x' } }),
  )
  const badField = cli(['share', 'list', '--home', home])
  assert.is(badField.status, 2)
  assert.match(
    badField.stderr,
    'share.json: unknown field "smtp.password" (known: url, from, caFile, timeout)',
  )
})

test.run()
