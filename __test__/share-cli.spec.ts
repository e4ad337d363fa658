/** `shutterproof share …` end to end, as a user runs it. */
import { spawn } from 'node:child_process'
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { suite } from 'uvu'
import * as assert from 'uvu/assert'

import { manualClock } from '../lib/share/clock'
import { openShareRegistry } from '../lib/share/registry'
import { cli, cliArgv, tempDir } from './support/fixtures'
import { generatedPreview } from './support/pictures'

const DAY = 86_400_000

/** The registry of a CLI state folder, opened directly (with its server key), optionally on a clock of our choosing. */
async function registryOf(home: string, clock = manualClock(new Date())) {
  return openShareRegistry({
    path: join(home, 'shares.db'),
    serverKey: readFileSync(join(home, 'server.key')),
    clock,
  })
}

const test = suite('share CLI')

/** Two real previews (made by makePreviews), written where the tests share them from. */
let previewA: Buffer
let previewB: Buffer
test.before(async () => {
  previewA = await generatedPreview('#4a7bb7')
  previewB = await generatedPreview('#b7774a')
})

function session() {
  const dir = tempDir('sp-cli-share-')
  const s = join(dir, '2026-04-26_Smith')
  mkdirSync(join(s, 'previews'), { recursive: true })
  writeFileSync(join(s, 'previews', 'a.jpg'), previewA)
  writeFileSync(join(s, 'previews', 'b.jpg'), previewB)
  writeFileSync(join(dir, 'outside.jpg'), 'outside')
  return { dir, session: s, home: join(dir, 'home') }
}

test('create → list → audit → revoke with --json shapes; state folder 0700, key 0600', () => {
  const { session: s, home, dir } = session()
  const r = cli([
    'share',
    'create',
    s,
    join(s, 'previews/a.jpg'),
    join(s, 'previews/b.jpg'),
    '--expires',
    '3d',
    '--password',
    'generate',
    '--label',
    'Smith selects',
    '--max-downloads',
    '4',
    '--json',
    '--home',
    home,
  ])
  assert.is(r.status, 0, r.stderr)
  const created = JSON.parse(r.stdout)
  assert.equal(Object.keys(created).sort(), [
    'expiresAt',
    'id',
    'items',
    'password',
    'previews',
    'token',
    'url',
  ])
  assert.equal(created.previews, { made: 0, reused: 0 }, 'previews given are shared as they are')
  assert.match(created.url, new RegExp(`/s/${created.token}$`))
  assert.match(created.password, /^[a-z]+(-[a-z]+){4}$/)
  assert.is(statSync(home).mode & 0o777, 0o700)
  assert.is(statSync(join(home, 'server.key')).mode & 0o777, 0o600)
  assert.is(statSync(join(home, 'server.key')).size, 32)

  const viaEnv = cli(['share', 'create', s, join(s, 'previews/a.jpg'), '--scope', 'full', '--json'], {
    env: { SHUTTERPROOF_HOME: home },
  })
  assert.is(viaEnv.status, 0, viaEnv.stderr)
  assert.not.ok('password' in JSON.parse(viaEnv.stdout))

  const list = cli(['share', 'list', '--json', '--home', home])
  assert.is(list.status, 0)
  const shares = JSON.parse(list.stdout).shares
  assert.is(shares.length, 2)
  const mine = shares.find((x: { id: string }) => x.id === created.id)
  assert.equal(mine.items, [
    { path: 'previews/a.jpg', kind: 'preview' },
    { path: 'previews/b.jpg', kind: 'preview' },
  ])
  assert.is(mine.label, 'Smith selects')
  assert.is(mine.maxDownloads, 4)
  assert.is(mine.hasPassword, true)
  assert.is(mine.status, 'active')
  assert.not.match(list.stdout, created.token.slice(16))
  assert.not.match(list.stdout, created.password)

  const audit = cli(['share', 'audit', '--json', '--home', home])
  assert.is(audit.status, 0)
  const a = JSON.parse(audit.stdout)
  for (const k of [
    'active',
    'expiringSoon',
    'fullWithoutPassword',
    'neverOpened',
    'limitReached',
    'expiredNotPurged',
  ])
    assert.ok(Array.isArray(a[k]), k)
  assert.is(a.active.length, 2)
  assert.is(a.fullWithoutPassword.length, 1)

  const rv = cli(['share', 'revoke', created.id, '--reason', 'wrong client', '--json', '--home', home])
  assert.is(rv.status, 0, rv.stderr)
  const revoked = JSON.parse(rv.stdout)
  assert.is(revoked.id, created.id)
  assert.is(revoked.reason, 'wrong client')
  assert.ok(Date.parse(revoked.revokedAt))
  const after = JSON.parse(cli(['share', 'list', '--json', '--home', home]).stdout).shares
  assert.is(after.find((x: { id: string }) => x.id === created.id).status, 'revoked')
  void dir
})

test('refusals: password on argv, file outside the session, ttl over the cap, unknown id → exit 2; nothing created', () => {
  const { session: s, home, dir } = session()
  const pw = cli([
    'share',
    'create',
    s,
    join(s, 'previews/a.jpg'),
    '--password',
    'hunter2hunter2',
    '--home',
    home,
  ])
  assert.is(pw.status, 2)
  assert.match(pw.stderr, 'never taken from the command line')
  const out = cli(['share', 'create', s, join(dir, 'outside.jpg'), '--home', home])
  assert.is(out.status, 2)
  assert.match(out.stderr, 'not inside the session folder')
  const ttl = cli(['share', 'create', s, join(s, 'previews/a.jpg'), '--expires', '30d', '--home', home])
  assert.is(ttl.status, 2)
  assert.match(ttl.stderr, 'E_TTL_TOO_LONG')
  const rv = cli(['share', 'revoke', 'aaaaaaaaaaaaaaaa', '--home', home])
  assert.is(rv.status, 2)
  assert.match(rv.stderr, 'E_SHARE_NOT_FOUND')
  assert.is(JSON.parse(cli(['share', 'list', '--json', '--home', home]).stdout).shares.length, 0)
})

test('password from --password-file, and from SHUTTERPROOF_SHARE_PASSWORD only when --password asks for one; weak ones refused', () => {
  const { session: s, home, dir } = session()
  writeFileSync(join(dir, 'pw.txt'), 'a password from a file\n')
  const f = cli([
    'share',
    'create',
    s,
    join(s, 'previews/a.jpg'),
    '--password-file',
    join(dir, 'pw.txt'),
    '--json',
    '--home',
    home,
  ])
  assert.is(f.status, 0, f.stderr)
  assert.not.ok('password' in JSON.parse(f.stdout), 'a chosen password is not echoed')
  const env = { SHUTTERPROOF_SHARE_PASSWORD: 'a password from the env' }
  const silent = cli(['share', 'create', s, join(s, 'previews/a.jpg'), '--json', '--home', home], { env })
  assert.is(silent.status, 0, silent.stderr)
  const asked = cli(
    ['share', 'create', s, join(s, 'previews/a.jpg'), '--password', '--json', '--home', home],
    { env },
  )
  assert.is(asked.status, 0, asked.stderr)
  const shares = JSON.parse(cli(['share', 'list', '--json', '--home', home]).stdout).shares
  const byId = (id: string) => shares.find((x: { id: string }) => x.id === id).hasPassword
  assert.is(byId(JSON.parse(silent.stdout).id), false, 'the variable alone protects nothing')
  assert.is(byId(JSON.parse(asked.stdout).id), true)
  writeFileSync(join(dir, 'weak.txt'), 'aaaaaaaaaa\n')
  const weak = cli([
    'share',
    'create',
    s,
    join(s, 'previews/a.jpg'),
    '--password-file',
    join(dir, 'weak.txt'),
    '--home',
    home,
  ])
  assert.is(weak.status, 2)
  assert.match(weak.stderr, '[E_WEAK_PASSPHRASE]')
  assert.match(weak.stderr, '--password generate')
  assert.is(
    JSON.parse(cli(['share', 'list', '--json', '--home', home]).stdout).shares.length,
    3,
    'nothing created',
  )
})

test('links start with --public-url, $SHUTTERPROOF_SHARE_URL or publicUrl in share.json; loopback links are warned about; a 0755 home is made private', () => {
  const { session: s, home } = session()
  const loop = cli(['share', 'create', s, join(s, 'previews/a.jpg'), '--json', '--home', home])
  assert.is(loop.status, 0, loop.stderr)
  assert.match(JSON.parse(loop.stdout).url, /^http:\/\/127\.0\.0\.1:8765\/s\//)
  assert.match(loop.stderr, 'warning: links point to http://127.0.0.1:8765, which only this machine can open')
  const flag = cli([
    'share',
    'create',
    s,
    join(s, 'previews/a.jpg'),
    '--public-url',
    'https://photos.example.com/',
    '--json',
    '--home',
    home,
  ])
  assert.match(JSON.parse(flag.stdout).url, /^https:\/\/photos\.example\.com\/s\/[a-z2-7]{68}$/)
  assert.not.match(flag.stderr, 'warning', flag.stderr)
  writeFileSync(
    join(home, 'share.json'),
    JSON.stringify({ publicUrl: 'https://example.com/photos', root: join(s, '..') }),
  )
  const conf = cli(['share', 'create', s, join(s, 'previews/a.jpg'), '--json', '--home', home])
  assert.match(JSON.parse(conf.stdout).url, /^https:\/\/example\.com\/photos\/s\/[a-z2-7]{68}$/)
  assert.is(conf.stderr, '')
  const env = cli(['share', 'create', s, join(s, 'previews/a.jpg'), '--json', '--home', home], {
    env: { SHUTTERPROOF_SHARE_URL: 'https://env.example.com' },
  })
  assert.match(JSON.parse(env.stdout).url, /^https:\/\/env\.example\.com\/s\//)
  writeFileSync(join(home, 'share.json'), '{"publicURL": "typo"}')
  const bad = cli(['share', 'list', '--home', home])
  assert.is(bad.status, 2)
  assert.match(bad.stderr, 'share.json: unknown field "publicURL"')
  writeFileSync(join(home, 'share.json'), '{}')
  chmodSync(home, 0o755)
  const open = cli(['share', 'list', '--home', home])
  assert.is(open.status, 0, open.stderr)
  assert.match(open.stderr, 'made it private (700)')
  assert.is(statSync(home).mode & 0o777, 0o700)
})

test('purge: expired links and access-log entries older than --older-than (default 90d) go, the rest stays; --dry-run only counts; --json counts; exit 0', async () => {
  const { session: s, home } = session()
  const live = JSON.parse(
    cli(['share', 'create', s, join(s, 'previews/a.jpg'), '--json', '--home', home]).stdout,
  )
  // Written in the past through the API: a link that expired long ago, and log entries 120, 60 and 10 days old.
  const clock = manualClock(new Date(Date.now() - 120 * DAY))
  const reg = await registryOf(home, clock)
  const old = await reg.createShare({ session: s, scope: 'preview', items: ['previews/b.jpg'], ttl: '1d' })
  reg.logAccess({ shareId: old.id, event: 'view', outcome: 'ok', remote: '192.0.2.1' })
  clock.advance(60 * DAY)
  reg.logAccess({ shareId: old.id, event: 'view', outcome: 'ok', remote: '192.0.2.2' })
  clock.advance(50 * DAY)
  reg.logAccess({ shareId: live.id, event: 'view', outcome: 'ok', remote: '192.0.2.3' })
  reg.close()

  // A dry run counts the same and removes nothing.
  const dry = cli(['share', 'purge', '--dry-run', '--json', '--home', home])
  assert.is(dry.status, 0, dry.stderr)
  assert.equal(JSON.parse(dry.stdout), {
    purgedShares: 1,
    prunedLogEntries: 1,
    olderThan: '90d',
    dryRun: true,
  })
  const dryHuman = cli(['share', 'purge', '--dry-run', '--older-than', '30d', '--home', home])
  assert.is(
    dryHuman.stdout,
    'dry run, nothing removed: would purge 1 expired link(s) and remove 2 access-log entries older than 30d\n',
  )
  const untouched = await registryOf(home)
  assert.is(untouched.listShares().length, 2)
  assert.is(untouched.accessLog().length, 3)
  untouched.close()

  const r = cli(['share', 'purge', '--json', '--home', home])
  assert.is(r.status, 0, r.stderr)
  assert.equal(JSON.parse(r.stdout), {
    purgedShares: 1,
    prunedLogEntries: 1,
    olderThan: '90d',
    dryRun: false,
  })
  let check = await registryOf(home)
  assert.equal(
    check.listShares().map((x) => x.id),
    [live.id],
    'the live link stays',
  )
  assert.equal(
    check.accessLog().map((e) => e.remote),
    ['192.0.2.2', '192.0.2.3'],
  )
  check.close()

  const human = cli(['share', 'purge', '--older-than', '30d', '--home', home])
  assert.is(human.status, 0, human.stderr)
  assert.is(human.stdout, 'purged 0 expired link(s); removed 1 access-log entry older than 30d\n')
  check = await registryOf(home)
  assert.equal(
    check.accessLog().map((e) => e.remote),
    ['192.0.2.3'],
  )
  assert.is((await check.verifyAccess(live.token)).status, 'ok')
  check.close()
})

test('purge --older-than banana (and other bad ages): exit 2 naming the option and the fix, E_INVALID_ARGUMENT, nothing removed', async () => {
  const { session: s, home } = session()
  cli(['share', 'create', s, join(s, 'previews/a.jpg'), '--home', home])
  const clock = manualClock(new Date(Date.now() - 200 * DAY))
  const reg = await registryOf(home, clock)
  const expired = await reg.createShare({
    session: s,
    scope: 'preview',
    items: ['previews/b.jpg'],
    ttl: '1d',
  })
  reg.logAccess({ shareId: expired.id, event: 'view', outcome: 'ok' })
  reg.close()
  for (const bad of ['banana', '90', '0d', '1.5d']) {
    const r = cli(['share', 'purge', '--older-than', bad, '--json', '--home', home])
    assert.is(r.status, 2, `${bad}: ${r.stderr}`)
    assert.is(r.stdout, '')
    assert.match(r.stderr, `--older-than ${JSON.stringify(bad)} is not understood`)
    assert.match(r.stderr, 'e.g. 7d')
    assert.match(r.stderr, '[E_INVALID_ARGUMENT]')
  }
  const check = await registryOf(home)
  assert.is(check.listShares().length, 2, 'the expired link is still there')
  assert.is(check.accessLog().length, 1)
  check.close()
})

test('revoke --session: every link of the session answers revoked, other sessions untouched; by folder name; idempotent; refusals exit 2', async () => {
  const { session: s, home, dir } = session()
  const other = join(dir, '2026-05-02_Jones')
  mkdirSync(other)
  writeFileSync(join(other, 'c.jpg'), previewA)
  const make = (sess: string, file: string) =>
    JSON.parse(cli(['share', 'create', sess, join(sess, file), '--json', '--home', home]).stdout)
  const a = make(s, 'previews/a.jpg')
  const b = make(s, 'previews/b.jpg')
  const c = make(other, 'c.jpg')
  const r = cli(['share', 'revoke', '--session', s, '--reason', 'client asked', '--json', '--home', home])
  assert.is(r.status, 0, r.stderr)
  const out = JSON.parse(r.stdout)
  assert.is(out.revoked, 2)
  assert.equal([...out.ids].sort(), [a.id, b.id].sort())
  assert.is(out.reason, 'client asked')
  const reg = await registryOf(home)
  assert.is((await reg.verifyAccess(a.token)).status, 'revoked')
  assert.is((await reg.verifyAccess(b.token)).status, 'revoked')
  assert.is((await reg.verifyAccess(c.token)).status, 'ok')
  assert.is(reg.getShare(a.id)!.revokeReason, 'client asked')
  reg.close()

  const again = cli(['share', 'revoke', '--session', s, '--json', '--home', home])
  assert.is(again.status, 0, again.stderr)
  assert.is(JSON.parse(again.stdout).revoked, 0)
  const byName = cli(['share', 'revoke', '--session', '2026-05-02_Jones', '--home', home])
  assert.is(byName.status, 0, byName.stderr)
  assert.match(byName.stdout, `revoked 1 link(s)`)
  const reg2 = await registryOf(home)
  assert.is((await reg2.verifyAccess(c.token)).status, 'revoked')
  assert.is(reg2.getShare(c.id)!.revokeReason, 'session revoked')
  reg2.close()

  const unknown = cli(['share', 'revoke', '--session', join(dir, 'never-shared'), '--json', '--home', home])
  assert.is(unknown.status, 2)
  assert.is(unknown.stdout, '')
  assert.match(unknown.stderr, 'E_SHARE_NOT_FOUND')
  const both = cli(['share', 'revoke', a.id, '--session', s, '--home', home])
  assert.is(both.status, 2)
  assert.match(both.stderr, 'not both')
  const neither = cli(['share', 'revoke', '--home', home])
  assert.is(neither.status, 2)
  assert.match(neither.stderr, '--session')
})

test('serve without --root (or root in share.json) exits 2 naming it', () => {
  const { home } = session()
  const r = cli(['share', 'serve', '--port', '0', '--home', home])
  assert.is(r.status, 2)
  assert.match(r.stderr, 'share serve needs --root DIR')
  const tls = cli([
    'share',
    'serve',
    '--port',
    '0',
    '--root',
    home,
    '--tls-cert',
    join(home, 'nope.pem'),
    '--home',
    home,
  ])
  assert.is(tls.status, 2)
  assert.match(tls.stderr, 'give both --tls-cert and --tls-key')
})

test('serve: started as a child process on port 0, one real fetch, one log line per request without the secret, SIGINT closes cleanly with exit 0', async () => {
  const { session: s, home, dir } = session()
  const created = JSON.parse(
    cli(['share', 'create', s, join(s, 'previews/a.jpg'), '--json', '--home', home]).stdout,
  )
  const child = spawn(
    process.execPath,
    cliArgv('share', 'serve', '--port', '0', '--root', dir, '--home', home),
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let stdout = ''
  let stderr = ''
  child.stderr.on('data', (c: Buffer) => (stderr += c))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  try {
    const base = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        stdout += c
        const m = /serving share links at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stdout)
        if (m) resolve(m[1]!)
      })
      child.once('exit', () => reject(new Error(`serve exited early: ${stderr}`)))
    })
    const page = await fetch(new URL(`s/${created.token}`, base))
    assert.is(page.status, 200)
    assert.is(page.headers.get('x-robots-tag'), 'noindex, nofollow, noarchive')
    assert.match(await page.text(), 'data-name="a"')
    const file = await fetch(new URL(`s/${created.token}/f/0`, base))
    assert.ok(Buffer.from(await file.arrayBuffer()).equals(previewA))
    while (stdout.split('\n').filter((l) => / GET /.test(l)).length < 2)
      await new Promise((r) => setTimeout(r, 20))
    const lines = stdout.split('\n').filter((l) => / GET /.test(l))
    assert.match(
      lines[0]!,
      new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\S+Z 127\\.0\\.0\\.1 GET /s/${created.id}… 200 \\d+ \\d+ms$`),
    )
    assert.match(lines[1]!, new RegExp(`GET /s/${created.id}…/f/0 200 \\d+ \\d+ms$`))
    assert.not.match(stdout, created.token.slice(16), 'the secret is never logged')
    assert.match(stderr, 'warning: links point to http://127.0.0.1:8765')
    child.kill('SIGINT')
    assert.is(await exited, 0, stderr)
    assert.match(stderr, 'stopped')
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL')
  }
})

test.run()
