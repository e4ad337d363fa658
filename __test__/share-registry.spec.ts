/** The share registry: creation rules, secrets at rest, verification, audit, purge, schema. */
import { randomBytes } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import sharp from 'sharp'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'

import { ShutterproofError } from '../lib/errors'
import { manualClock } from '../lib/share/clock'
import { openShareRegistry, type ShareRegistry } from '../lib/share/registry'
import { SCHEMA_VERSION } from '../lib/share/schema'
import { openDatabase } from '../lib/sqlite'
import { tempDir } from './support/fixtures'
import { generatedPreview } from './support/pictures'

const DAY = 86_400_000
const test = suite('share registry')

async function open(extra: { maxTtl?: string } = {}) {
  const dir = tempDir('sp-reg-')
  const path = join(dir, 'shares.db')
  const clock = manualClock(new Date('2026-05-01T09:00:00Z'))
  const serverKey = randomBytes(32)
  const registry = await openShareRegistry({
    path,
    serverKey,
    clock,
    baseUrl: 'https://share.example.com/',
    ...extra,
  })
  return { dir, path, clock, serverKey, registry }
}

/** Real preview bytes (made by makePreviews), once test.before has made them. */
let previewBytes: Buffer | undefined
const sessions: string[] = []

/**
 * A session folder with the files the shares name (createShare refuses missing files): a
 * real preview at previews/a.jpg (written by test.before for folders made before it ran)
 * and a RAW file; the first also holds an original JPEG.
 */
function sessionDir(name: string): string {
  const dir = join(tempDir('sp-reg-photos-'), name)
  mkdirSync(join(dir, 'previews'), { recursive: true })
  mkdirSync(join(dir, 'raw'))
  writeFileSync(join(dir, 'previews', 'a.jpg'), previewBytes ?? 'replaced by a real preview in test.before')
  writeFileSync(join(dir, 'raw', 'a.CR3'), 'raw a')
  sessions.push(dir)
  return dir
}

const base = { session: sessionDir('2026-04-26_Smith'), scope: 'preview' as const, items: ['previews/a.jpg'] }
const photos = join(base.session, '..')

test.before(async () => {
  previewBytes = await generatedPreview()
  for (const s of sessions) writeFileSync(join(s, 'previews', 'a.jpg'), previewBytes)
  await sharp({ create: { width: 320, height: 200, channels: 3, background: '#3a6' } })
    .jpeg()
    .toFile(join(base.session, 'original.jpg'))
})

async function code(fn: () => unknown): Promise<string | undefined> {
  try {
    await fn()
  } catch (err) {
    assert.instance(err, ShutterproofError)
    return (err as ShutterproofError).code
  }
  return undefined
}

test('createShare: fresh id and secret every time, URL-safe token, URL from baseUrl, default 7 days', async () => {
  const { registry, clock } = await open()
  const a = await registry.createShare(base)
  const b = await registry.createShare(base)
  assert.is.not(a.id, b.id)
  assert.is.not(a.token.slice(16), b.token.slice(16))
  assert.match(a.token, /^[a-z2-7]{68}$/)
  assert.is(a.token.slice(0, 16), a.id)
  assert.is(a.url, `https://share.example.com/s/${a.token}`)
  assert.is(Date.parse(a.expiresAt), clock.now().getTime() + 7 * DAY)
  assert.is(a.password, undefined)
  registry.close()
})

test('ttl: over the cap (default 14 days) is refused with E_TTL_TOO_LONG; the cap is configurable', async () => {
  const { registry } = await open()
  assert.is(await code(() => registry.createShare({ ...base, ttl: '15d' })), 'E_TTL_TOO_LONG')
  assert.is(await code(() => registry.createShare({ ...base, ttl: 14 * DAY + 1 })), 'E_TTL_TOO_LONG')
  assert.ok((await registry.createShare({ ...base, ttl: '14d' })).id)
  assert.is(await code(() => registry.createShare({ ...base, ttl: 'forever' })), 'E_INVALID_ARGUMENT')
  registry.close()
  const small = await open({ maxTtl: '3d' })
  assert.is(await code(() => small.registry.createShare({ ...base, ttl: '4d' })), 'E_TTL_TOO_LONG')
  small.registry.close()
})

test('items: traversal, absolute, NUL, duplicates and full items in a preview share are refused', async () => {
  const { registry } = await open()
  for (const bad of ['../x.jpg', 'a/../../x.jpg', '/etc/passwd', 'a\0b', 'a\\..\\b', 'a//b', './a', '']) {
    assert.is(
      await code(() => registry.createShare({ ...base, items: [bad] })),
      'E_INVALID_ARGUMENT',
      JSON.stringify(bad),
    )
  }
  assert.is(
    await code(() => registry.createShare({ ...base, items: ['a.jpg', 'a.jpg'] })),
    'E_INVALID_ARGUMENT',
  )
  assert.is(
    await code(() => registry.createShare({ ...base, items: [{ path: 'raw/a.CR3', kind: 'full' }] })),
    'E_INVALID_ARGUMENT',
  )
  registry.close()
})

test('createShare refuses a missing session folder, missing files, folders, FIFOs and weak passwords; nothing is created', async () => {
  const { registry } = await open()
  assert.is(
    await code(() => registry.createShare({ ...base, session: join(base.session, 'nope') })),
    'ENOENT',
  )
  assert.is(await code(() => registry.createShare({ ...base, items: ['previews/missing.jpg'] })), 'ENOENT')
  assert.is(await code(() => registry.createShare({ ...base, items: ['previews'] })), 'E_INVALID_ARGUMENT')
  execFileSync('mkfifo', [join(base.session, 'pipe.jpg')])
  assert.is(await code(() => registry.createShare({ ...base, items: ['pipe.jpg'] })), 'E_INVALID_ARGUMENT')
  for (const weak of ['short', 'aaaaaaaaaa', 'Password123!', 'hunter2hunter2']) {
    assert.is(await code(() => registry.createShare({ ...base, password: weak })), 'E_WEAK_PASSPHRASE', weak)
  }
  // The label and recipient count as known to an attacker.
  assert.is(
    await code(() =>
      registry.createShare({ ...base, label: 'Smith wedding 2026', password: 'Smith wedding 2026' }),
    ),
    'E_WEAK_PASSPHRASE',
  )
  try {
    await registry.createShare({ ...base, password: 'aaaaaaaaaa' })
  } catch (err) {
    assert.match((err as Error).message, 'Repeated characters')
    assert.match((err as Error).message, "password: 'generate'")
  }
  assert.is(registry.listShares().length, 0)
  registry.close()
})

test('preview items must be previews Shutterproof made: a RAW, another format or an original JPEG → E_NOT_A_PREVIEW, a missing one ENOENT; nothing recorded', async () => {
  const { registry } = await open()
  for (const items of [
    ['raw/a.CR3'],
    ['original.jpg'],
    ['previews/a.jpg', 'original.jpg'],
    [{ path: 'raw/a.CR3', kind: 'preview' as const }],
  ]) {
    assert.is(
      await code(() => registry.createShare({ ...base, items })),
      'E_NOT_A_PREVIEW',
      JSON.stringify(items),
    )
    assert.is(
      await code(() =>
        registry.createShare({
          ...base,
          scope: 'full',
          items: items.map((i) => (typeof i === 'string' ? { path: i, kind: 'preview' as const } : i)),
        }),
      ),
      'E_NOT_A_PREVIEW',
      `full share, ${JSON.stringify(items)} as previews`,
    )
  }
  const err = (await registry.createShare({ ...base, items: ['raw/a.CR3'] }).catch((e: Error) => e)) as Error
  assert.match(
    err.message,
    /raw\/a\.CR3 is a RAW original, not a preview; .*makePreviews\(session\).*sharePhotos/,
  )
  const original = (await registry
    .createShare({ ...base, items: ['original.jpg'] })
    .catch((e: Error) => e)) as Error
  assert.match(original.message, /original\.jpg is an original \(it carries no Shutterproof preview mark\)/)
  assert.is(await code(() => registry.createShare({ ...base, items: ['previews/missing.jpg'] })), 'ENOENT')
  assert.is(
    await code(() => registry.createShare({ ...base, session: join(photos, 'no-such-session') })),
    'ENOENT',
  )
  assert.is(registry.listShares().length, 0, 'nothing recorded')
  // The same files as full-resolution items are fine: scope full may serve originals.
  assert.ok((await registry.createShare({ ...base, scope: 'full', items: ['raw/a.CR3', 'original.jpg'] })).id)
  registry.close()
})

test('the secret, token and password are never stored (the database files do not contain them)', async () => {
  const { registry, path } = await open()
  const s = await registry.createShare({ ...base, password: 'generate', label: 'L' })
  const chosen = await registry.createShare({ ...base, password: 'my chosen passphrase 42' })
  const files = [path, path + '-wal', path + '-shm'].filter(existsSync)
  const check = () => {
    for (const f of files.filter(existsSync)) {
      const bytes = readFileSync(f)
      for (const secret of [
        s.token,
        s.token.slice(16),
        chosen.token.slice(16),
        s.password!,
        'my chosen passphrase 42',
      ]) {
        assert.is(bytes.indexOf(Buffer.from(secret)), -1, `${f} holds ${secret}`)
      }
    }
  }
  check()
  assert.ok(
    readFileSync(path + '-wal').indexOf(Buffer.from(s.id)) >= 0 ||
      readFileSync(path).indexOf(Buffer.from(s.id)) >= 0,
    'the id is there (the grep can find things)',
  )
  registry.close()
  check()
  assert.is(statSync(path).mode & 0o777, 0o600)
  const db = openDatabase(path, { readonly: true })
  const row = db.prepare('SELECT verifier, password_hash FROM shares WHERE id = ?').get(s.id) as {
    verifier: Buffer
    password_hash: string
  }
  assert.is(row.verifier.length, 32)
  assert.match(row.password_hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
  db.close()
})

test('verifyAccess: ok, not_found for a wrong secret / unknown id / garbage, expired, revoked, limit, password states', async () => {
  const { registry, clock } = await open()
  const s = await registry.createShare({ ...base, ttl: '1d', maxDownloads: 2 })
  assert.is((await registry.verifyAccess(s.token)).status, 'ok')
  const flip = s.token.slice(0, -1) + (s.token.endsWith('a') ? 'b' : 'a')
  assert.is((await registry.verifyAccess(flip)).status, 'not_found')
  assert.is((await registry.verifyAccess(flip)).share, undefined)
  assert.is((await registry.verifyAccess('b'.repeat(16) + s.token.slice(16))).status, 'not_found')
  assert.is((await registry.verifyAccess('../../etc/passwd')).status, 'not_found')
  assert.ok(registry.recordDownload(s.id))
  assert.ok(registry.recordDownload(s.id))
  assert.not.ok(registry.recordDownload(s.id), 'the third download is refused')
  assert.is((await registry.verifyAccess(s.token)).status, 'limit')

  const p = await registry.createShare({ ...base, password: 'generate' })
  assert.match(p.password!, /^[a-z]+(-[a-z]+){4}$/)
  assert.is((await registry.verifyAccess(p.token)).status, 'password_required')
  assert.is((await registry.verifyAccess(p.token, { password: 'wrong wrong wrong' })).status, 'bad_password')
  assert.is((await registry.verifyAccess(p.token, { password: p.password! })).status, 'ok')

  const r = await registry.createShare(base)
  const revoked = registry.revokeShare(r.id, 'sent to the wrong person')
  assert.is(revoked.status, 'revoked')
  assert.is(revoked.revokeReason, 'sent to the wrong person')
  assert.is((await registry.verifyAccess(r.token)).status, 'revoked')
  assert.is(await code(() => registry.revokeShare('nosuchshareid234', 'x')), 'E_SHARE_NOT_FOUND')

  clock.advance(DAY)
  assert.is((await registry.verifyAccess(p.token, { password: p.password! })).status, 'ok', 'p lasts 7 days')
  const e = await registry.verifyAccess(s.token)
  assert.is(e.status, 'expired')
  registry.close()
})

test('wrong passwords slow down their own address only, parallel guesses cannot overrun the back-off, and a link costs at most checksPerMinute Argon2 runs', async () => {
  const dir = tempDir('sp-reg-')
  const clock = manualClock()
  const registry = await openShareRegistry({
    path: join(dir, 's.db'),
    serverKey: randomBytes(32),
    clock,
    lockout: { attempts: 3, checksPerMinute: 7 },
  })
  const s = await registry.createShare({ ...base, password: 'a long enough password' })
  const guess = (remote: string, password = 'guess guess guess') =>
    registry.verifyAccess(s.token, { password, remote })
  const results = await Promise.all(
    Array.from({ length: 6 }, (_, i) => guess('192.0.2.1', `guess ${i} guess guess`)),
  )
  assert.equal(
    results.map((r) => r.status),
    ['bad_password', 'bad_password', 'bad_password', 'locked', 'locked', 'locked'],
  )
  assert.is(results[3]!.retryAfter, 1)
  assert.is(
    (await guess('192.0.2.1', 'a long enough password')).status,
    'locked',
    'the right password waits too',
  )
  // Another address is not held back at all: no lock for everyone.
  assert.is((await guess('192.0.2.2', 'a long enough password')).status, 'ok')
  // The same /64 is the same client.
  for (let i = 0; i < 3; i++) await guess(`2001:db8:1:2::${i + 1}`)
  assert.is((await guess('2001:db8:1:2:ffff::9')).status, 'locked')
  // 7 checks ran this minute (3 + the ok + 3): the ceiling paces everyone, briefly.
  const busy = await guess('198.51.100.7', 'a long enough password')
  assert.is(busy.status, 'locked')
  assert.ok(busy.retryAfter! >= 1 && busy.retryAfter! <= 60, String(busy.retryAfter))
  clock.advance(60_000)
  assert.is((await guess('198.51.100.7', 'a long enough password')).status, 'ok')
  registry.close()
})

test('chargeBytes: each file may be sent maxDownloads × its size in bytes, whatever the ranges; all or nothing; refunds give bytes back', async () => {
  const { registry } = await open()
  const s = await registry.createShare({
    ...base,
    scope: 'full',
    items: ['previews/a.jpg', 'raw/a.CR3'],
    maxDownloads: 2,
  })
  const size = 1000
  assert.ok(registry.chargeBytes(s.id, [{ index: 0, bytes: 999, size }]), 'bytes 1- of the file')
  assert.is(registry.getShare(s.id)!.downloads, 0)
  assert.ok(registry.chargeBytes(s.id, [{ index: 0, bytes: 999, size }]), 'again: 1998 of 2000')
  assert.is(registry.getShare(s.id)!.downloads, 1)
  assert.not.ok(registry.chargeBytes(s.id, [{ index: 0, bytes: 999, size }]), 'a third time would pass 2000')
  assert.ok(registry.chargeBytes(s.id, [{ index: 0, bytes: 2, size }]), 'exactly up to the budget')
  assert.is(registry.getShare(s.id)!.downloads, 2)
  assert.not.ok(registry.chargeBytes(s.id, [{ index: 0, bytes: 1, size }]))
  // all or nothing: item 0 is spent, so a charge for both fails and item 1 keeps its budget
  assert.not.ok(
    registry.chargeBytes(s.id, [
      { index: 0, bytes: size, size },
      { index: 1, bytes: 10, size: 10 },
    ]),
  )
  assert.is(registry.getShare(s.id)!.status, 'active', 'item 1 can still be downloaded')
  assert.ok(registry.chargeBytes(s.id, [{ index: 1, bytes: 20, size: 10 }]))
  assert.is(registry.getShare(s.id)!.status, 'limit')
  registry.refundBytes(s.id, [{ index: 1, bytes: 15, size: 10 }])
  assert.is(
    registry.getShare(s.id)!.status,
    'active',
    'a download that broke off gives its unsent bytes back',
  )
  assert.is(registry.getShare(s.id)!.downloads, 2 + 0)
  registry.close()
})

test('revokeSession, listShares filters', async () => {
  const { registry } = await open()
  const a = await registry.createShare(base)
  await registry.createShare(base)
  const c = await registry.createShare({ ...base, session: sessionDir('other') })
  assert.is(registry.revokeSession(base.session), 2)
  assert.is(registry.revokeSession(base.session), 0)
  assert.is(registry.getShare(a.id)!.status, 'revoked')
  assert.equal(
    registry.listShares({ status: 'active' }).map((s) => s.id),
    [c.id],
  )
  assert.is(registry.listShares({ session: base.session }).length, 2)
  assert.is(registry.listShares().length, 3)
  registry.close()
})

test('pruneAccessLog: removes only entries older than the age or date, returns how many; the cutoff only moves forward', async () => {
  const { registry, clock, path } = await open()
  const s = await registry.createShare(base)
  const at = (daysAgo: number, event: string) => {
    clock.set(new Date(Date.parse('2026-05-01T09:00:00Z') - daysAgo * DAY))
    registry.logAccess({ shareId: s.id, event, outcome: 'ok', remote: '192.0.2.7' })
  }
  at(120, 'a-120d')
  at(91, 'b-91d')
  at(89, 'c-89d')
  at(10, 'd-10d')
  at(0, 'e-now')
  const events = () => registry.accessLog().map((e) => e.event)
  assert.is(registry.pruneAccessLog({ olderThan: '90d' }), 2)
  assert.equal(events(), ['c-89d', 'd-10d', 'e-now'])
  assert.is(registry.pruneAccessLog({ olderThan: '90d' }), 0, 'nothing left that old')
  assert.is(
    registry.pruneAccessLog({ olderThan: new Date(Date.parse('2026-05-01T09:00:00Z') - 11 * DAY) }),
    1,
  )
  assert.equal(events(), ['d-10d', 'e-now'])
  // A longer age later does not move the cutoff back, and deletes nothing newer.
  assert.is(registry.pruneAccessLog({ olderThan: '52w' }), 0)
  assert.equal(events(), ['d-10d', 'e-now'])
  assert.is(registry.pruneAccessLog({ olderThan: 5 * DAY }), 1, 'milliseconds work too')
  assert.equal(events(), ['e-now'])
  // The share itself is untouched.
  assert.ok(registry.getShare(s.id))
  for (const bad of ['banana', '0d', '-3d', '90', 0, -1]) {
    assert.is(
      await code(() => registry.pruneAccessLog({ olderThan: bad as string })),
      'E_INVALID_ARGUMENT',
      String(bad),
    )
  }
  assert.is(await code(() => registry.pruneAccessLog({ olderThan: new Date('nope') })), 'E_INVALID_ARGUMENT')
  assert.is(await code(() => registry.pruneAccessLog({} as never)), 'E_INVALID_ARGUMENT')
  registry.close()
  // The database itself refuses to delete a row newer than the recorded cutoff.
  const db = openDatabase(path)
  assert.throws(() => db.prepare('DELETE FROM share_access_log').run(), /append-only/)
  assert.throws(() => db.prepare('UPDATE share_access_log_pruned SET before = 0').run(), /only moves forward/)
  db.close()
})

test('pruneAccessLog keeps the last 15 minutes, and pruning lifts no back-off', async () => {
  const dir = tempDir('sp-reg-')
  const clock = manualClock(new Date('2026-05-01T09:00:00Z'))
  const registry = await openShareRegistry({
    path: join(dir, 's.db'),
    serverKey: randomBytes(32),
    clock,
    lockout: { attempts: 2 },
  })
  const s = await registry.createShare({ ...base, password: 'a long enough password' })
  for (let i = 0; i < 2; i++)
    assert.is(
      (await registry.verifyAccess(s.token, { password: `wrong guess ${i} here` })).status,
      'bad_password',
    )
  clock.advance(500)
  assert.is(registry.pruneAccessLog({ olderThan: '1s' }), 0)
  assert.is(
    registry.pruneAccessLog({ olderThan: new Date('2030-01-01T00:00:00Z') }),
    0,
    'a date in the future is held to 15 minutes too',
  )
  assert.is((await registry.verifyAccess(s.token, { password: 'a long enough password' })).status, 'locked')
  clock.advance(15 * 60_000 + 1)
  assert.is(
    registry.pruneAccessLog({ olderThan: '1s' }),
    3,
    'the two failures and the counted refusal, once 15 minutes old',
  )
  registry.close()
})

test('the access log has a row bound: past maxLogRows the oldest rows go, also through pruneAccessLog', async () => {
  const dir = tempDir('sp-reg-')
  const clock = manualClock(new Date('2026-05-01T09:00:00Z'))
  const registry = await openShareRegistry({
    path: join(dir, 's.db'),
    serverKey: randomBytes(32),
    clock,
    maxLogRows: 150,
  })
  const s = await registry.createShare(base)
  for (let i = 0; i < 1000; i++) {
    clock.advance(10)
    registry.logAccess({ shareId: s.id, event: `view-${i}`, outcome: 'ok' })
  }
  const log = registry.accessLog()
  assert.ok(log.length <= 150 && log.length >= 100, String(log.length))
  assert.is(log[log.length - 1]!.event, 'view-999', 'the newest rows stay')
  registry.close()
  // A smaller bound is applied by pruneAccessLog (share purge), and counted in its result.
  const smaller = await openShareRegistry({
    path: join(dir, 's.db'),
    serverKey: randomBytes(32),
    clock,
    maxLogRows: 20,
  })
  const before = smaller.accessLog().length
  assert.is(smaller.pruneAccessLog({ olderThan: '90d', dryRun: true }), before - 20)
  const removed = smaller.pruneAccessLog({ olderThan: '90d' })
  const after = smaller.accessLog()
  assert.ok(after.length <= 20, String(after.length))
  assert.is(removed, before - after.length)
  assert.is(after[after.length - 1]!.event, 'view-999')
  smaller.close()
})

test('unknown links cost no database write per request: one counted line per minute', async () => {
  const { registry, clock, path } = await open()
  const rows = () => {
    const db = openDatabase(path, { readonly: true })
    const n = (db.prepare('SELECT count(*) AS n FROM share_access_log').get() as { n: number }).n
    db.close()
    return n
  }
  for (let i = 0; i < 500; i++)
    await registry.verifyAccess(`${'a'.repeat(16)}${String(i).padStart(52, 'b').replace(/\d/g, 'c')}`)
  assert.is(rows(), 0, 'nothing written while the minute lasts')
  clock.advance(60_000)
  await registry.verifyAccess('garbage')
  registry.logAccess({ shareId: 'x', event: 'tick', outcome: 'ok' })
  const probes = registry.accessLog().filter((e) => e.event === 'probe')
  assert.equal(
    probes.map((e) => [e.shareId, e.outcome, e.count]),
    [
      ['-', 'not_found', 500],
      ['-', 'not_found', 1],
    ],
    'one line per minute',
  )
  registry.close()
})

async function preparedAudit(registry: ShareRegistry, clock: ReturnType<typeof manualClock>) {
  const expired = await registry.createShare({ ...base, ttl: '1d', label: 'expired' })
  clock.advance(DAY + 1)
  const soon = await registry.createShare({ ...base, ttl: '1d', label: 'soon' })
  const fullOpen = await registry.createShare({
    ...base,
    scope: 'full',
    items: ['raw/a.CR3'],
    label: 'full no password',
  })
  const fullLocked = await registry.createShare({
    ...base,
    scope: 'full',
    items: ['raw/a.CR3'],
    password: 'generate',
    label: 'full with password',
  })
  const limited = await registry.createShare({ ...base, maxDownloads: 1, label: 'limited' })
  registry.recordDownload(limited.id)
  registry.touch(soon.id)
  registry.touch(fullLocked.id)
  return { expired, soon, fullOpen, fullLocked, limited }
}

test('auditShares reports every category', async () => {
  const { registry, clock } = await open()
  const s = await preparedAudit(registry, clock)
  const audit = registry.auditShares()
  const labels = (list: { label: string }[]) => list.map((x) => x.label).sort()
  assert.equal(labels(audit.active), ['full no password', 'full with password', 'limited', 'soon'])
  assert.equal(labels(audit.expiringSoon), ['soon'])
  assert.equal(labels(audit.fullWithoutPassword), ['full no password'])
  assert.equal(labels(audit.neverOpened), ['full no password'])
  assert.equal(labels(audit.limitReached), ['limited'])
  assert.equal(labels(audit.expiredNotPurged), ['expired'])
  assert.is(registry.purgeExpired(), 1)
  assert.is(registry.auditShares().expiredNotPurged.length, 0)
  assert.is(registry.getShare(s.expired.id), undefined)
  registry.close()
})

test('schema: version recorded per component; a newer database is refused with E_SCHEMA_TOO_NEW; reopening keeps data', async () => {
  const { registry, path, serverKey } = await open()
  const s = await registry.createShare(base)
  registry.close()
  const again = await openShareRegistry({ path, serverKey })
  assert.ok(again.getShare(s.id))
  again.close()
  const db = openDatabase(path)
  assert.equal(db.prepare('SELECT component, version FROM schema_version').all(), [
    { component: 'share', version: SCHEMA_VERSION },
  ])
  assert.is(db.pragma('journal_mode', { simple: true }), 'wal')
  db.prepare("UPDATE schema_version SET version = 99 WHERE component = 'share'").run()
  db.close()
  assert.is(await code(() => openShareRegistry({ path, serverKey })), 'E_SCHEMA_TOO_NEW')
})

test('generated share passwords: 5 words of the BIP39 list, different every time', async () => {
  const { registry } = await open()
  const a = await registry.createShare({ ...base, password: 'generate' })
  const b = await registry.createShare({ ...base, password: 'generate' })
  assert.is(a.password!.split('-').length, 5)
  assert.is.not(a.password, b.password)
  registry.close()
})

test.run()
