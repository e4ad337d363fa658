/**
 * The share server against the attacks a security test found: download limits bypassed
 * with Range, stalled password POSTs, per-link lockouts as a denial of service, log
 * floods, FIFOs blocking the libuv pool, revocation of downloads in flight.
 */
import { execFileSync } from 'node:child_process'
import { unlinkSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'

import { openDatabase } from '../lib/sqlite'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'

import { http, pathOf, postPassword, rawShare, shareWorld, withShareWorld } from './support/share-server'
import { writeRandomFile } from './support/fixtures'

const test = suite('share limits')
const PASSWORD = 'correct horse battery staple'

test('--max-downloads holds against ranges: bytes=1- five times rebuilds nothing past the limit; HEAD serves and counts nothing', async () => {
  await withShareWorld(async (w) => {
    const s = await w.registry.createShare({
      session: w.session,
      scope: 'preview',
      items: ['previews/IMG_0001.jpg'],
      maxDownloads: 1,
    })
    const path = `${pathOf(s.url)}/f/0`
    const src = w.files['previews/IMG_0001.jpg']!
    for (let i = 0; i < 3; i++) {
      const h = await http(w.base, path, { method: 'HEAD' })
      assert.is(h.status, 200)
      assert.is(h.body.length, 0)
    }
    assert.is(w.registry.getShare(s.id)!.downloads, 0, 'HEAD counts nothing')
    const statuses: number[] = []
    let rebuilt = Buffer.alloc(0)
    for (let i = 0; i < 5; i++) {
      const r = await http(w.base, path, { headers: { Range: 'bytes=1-' } })
      statuses.push(r.status)
      if (r.status === 206) rebuilt = Buffer.concat([rebuilt, r.body])
    }
    assert.equal(statuses, [206, 429, 429, 429, 429], 'the second range would pass one full delivery')
    assert.is(rebuilt.length, src.length - 1)
    // The one byte left in the budget completes exactly one delivery; then nothing more.
    assert.is((await http(w.base, path, { headers: { Range: 'bytes=0-0' } })).status, 206)
    const info = w.registry.getShare(s.id)!
    assert.is(info.downloads, 1)
    assert.is(info.status, 'limit')
    assert.is((await http(w.base, path)).status, 429)
    assert.is((await http(w.base, path, { headers: { Range: 'bytes=5-9' } })).status, 429)
  })
})

test('parallel full downloads cannot overrun the limit: of 5 at once with maxDownloads 2, exactly 2 get bytes', async () => {
  await withShareWorld(async (w) => {
    const s = await rawShare(w, { maxDownloads: 2 })
    const replies = await Promise.all(Array.from({ length: 5 }, () => http(w.base, `${pathOf(s.url)}/f/0`)))
    assert.equal(replies.map((r) => r.status).sort(), [200, 200, 429, 429, 429])
    for (const r of replies.filter((x) => x.status === 200))
      assert.ok(r.body.equals(w.files['raw/IMG_0001.CR3']!))
    assert.is(w.registry.getShare(s.id)!.downloads, 2)
  })
})

test('a download cut off half-way gives back what was not sent: the client can resume without losing its allowance', async () => {
  await withShareWorld(async (w) => {
    const big = 'raw/big.CR3'
    const size = 48 << 20
    writeRandomFile(join(w.session, big), size)
    const s = await w.registry.createShare({
      session: w.session,
      scope: 'full',
      items: [big],
      maxDownloads: 1,
    })
    const url = new URL(`${pathOf(s.url)}/f/0`, w.base)
    // Read a little, then drop the connection.
    await new Promise<void>((resolve, reject) => {
      const req = request(url, (res) => {
        let got = 0
        res.on('data', (c: Buffer) => {
          got += c.length
          if (got > 1 << 20) req.destroy()
        })
      })
      req.on('error', () => resolve())
      req.on('close', () => resolve())
      req.on('timeout', reject)
      req.end()
    })
    // The server notices the broken pipe and refunds; wait for that (not for a time).
    while (w.registry.getShare(s.id)!.status === 'limit') await new Promise((r) => setTimeout(r, 20))
    const rest = await http(w.base, url.pathname, { headers: { Range: `bytes=${4 << 20}-` } })
    assert.is(rest.status, 206, 'the unsent part can still be fetched')
  })
})

test('stalled password POSTs (no body) to made-up and real links use up nothing: the correct password from that address then works', async () => {
  const w = await shareWorld({}, { passwordRateLimit: { attempts: 3, window: '15m' } })
  const sockets: Socket[] = []
  try {
    const s = await rawShare(w, { password: PASSWORD })
    const port = Number(new URL(w.base).port)
    const madeUp = 'a'.repeat(68)
    for (let i = 0; i < 20; i++) {
      const sock = connect(port, '127.0.0.1')
      sockets.push(sock)
      const target = i % 2 === 0 ? `/s/${madeUp}` : pathOf(s.url)
      sock.write(
        `POST ${target} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n`,
      )
    }
    await new Promise((r) => setTimeout(r, 200)) // let the server read all 20 headers (no assertion on time)
    const ok = await postPassword(w.base, pathOf(s.url), PASSWORD)
    assert.is(ok.status, 303)
  } finally {
    for (const sock of sockets) sock.destroy()
    await w.close()
  }
})

test('a password body that never arrives gets 408 after the body deadline, with the headers', async () => {
  await withShareWorld(
    async (w) => {
      const s = await rawShare(w, { password: PASSWORD })
      const reply = await new Promise<string>((resolve, reject) => {
        const sock = connect(Number(new URL(w.base).port), '127.0.0.1')
        let text = ''
        sock.on('data', (c) => (text += c.toString('latin1')))
        sock.on('close', () => resolve(text))
        sock.on('error', reject)
        sock.write(
          `POST ${pathOf(s.url)} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\npass`,
        )
      })
      assert.match(reply, /^HTTP\/1\.1 408 /)
      assert.match(reply, /X-Robots-Tag: noindex, nofollow, noarchive/i)
    },
    {},
    { bodyTimeout: 300 },
  )
})

test('a link cannot be locked for everyone: wrong passwords from one client (behind a trusted proxy) slow that client only', async () => {
  await withShareWorld(
    async (w) => {
      const s = await rawShare(w, { password: PASSWORD })
      const from = (client: string) => ({ 'X-Forwarded-For': client })
      for (let i = 0; i < 5; i++)
        assert.is(
          (await postPassword(w.base, pathOf(s.url), `attacker guess ${i} xyz`, from('203.0.113.66'))).status,
          401,
        )
      for (let i = 0; i < 10; i++)
        assert.is(
          (await postPassword(w.base, pathOf(s.url), `attacker guess ${i} xyz`, from('203.0.113.66'))).status,
          429,
        )
      const client = await postPassword(w.base, pathOf(s.url), PASSWORD, from('198.51.100.20'))
      assert.is(client.status, 303, 'the real client gets in at once')
    },
    {},
    { trustProxy: ['127.0.0.1'], passwordRateLimit: false },
  )
})

test('the per-link ceiling paces Argon2 work from many addresses, without locking: after the minute the right password works', async () => {
  await withShareWorld(
    async (w) => {
      const s = await rawShare(w, { password: PASSWORD })
      const statuses = []
      for (let i = 0; i < 8; i++)
        statuses.push(
          (
            await postPassword(w.base, pathOf(s.url), `guess ${i} from afar`, {
              'X-Forwarded-For': `192.0.2.${i + 1}`,
            })
          ).status,
        )
      assert.equal(statuses, [401, 401, 401, 401, 429, 429, 429, 429])
      w.clock.advance(60_000)
      assert.is(
        (await postPassword(w.base, pathOf(s.url), PASSWORD, { 'X-Forwarded-For': '198.51.100.1' })).status,
        303,
      )
    },
    { lockout: { checksPerMinute: 4 } },
    { trustProxy: true, passwordRateLimit: false },
  )
})

test('floods of refused requests write no row each: 500 POSTs to made-up tokens and 200 rate-limited ones leave a few counted lines', async () => {
  await withShareWorld(
    async (w) => {
      const s = await rawShare(w, { password: PASSWORD })
      const rows = () => {
        const db = openDatabase(w.dbPath, { readonly: true })
        const n = (db.prepare('SELECT count(*) AS n FROM share_access_log').get() as { n: number }).n
        db.close()
        return n
      }
      const before = rows()
      for (let i = 0; i < 500; i++) {
        const token = (i.toString(32).padStart(16, 'q') + 'z'.repeat(52)).replace(/[01890]/g, 'b')
        assert.is((await postPassword(w.base, `/s/${token}`, 'whatever it is here')).status, 404)
      }
      assert.is((await postPassword(w.base, pathOf(s.url), 'one wrong password')).status, 401)
      for (let i = 0; i < 200; i++)
        assert.is((await postPassword(w.base, pathOf(s.url), 'more wrong passwords')).status, 429)
      assert.is(rows() - before, 1, 'only the one real password check is a row while the minute lasts')
      const log = w.registry.accessLog()
      assert.equal(
        log.filter((e) => e.count !== undefined).map((e) => [e.shareId, e.outcome, e.count]),
        [
          ['-', 'not_found', 500],
          [s.id, 'rate_limited', 200],
        ],
      )
      // (Not "no id starting with q": the real share's random id may start with one.)
      assert.equal(
        [...new Set(log.map((e) => e.shareId))].filter((id) => id !== s.id && id !== '-'),
        [],
        'no share id chosen by the attacker',
      )
    },
    {},
    { passwordRateLimit: { attempts: 1, window: '15m' } },
  )
})

test('a FIFO at a shared path is a 404 and a log row, never a hang: other downloads keep working', async () => {
  await withShareWorld(async (w) => {
    const s = await w.registry.createShare({
      session: w.session,
      scope: 'full',
      items: ['raw/IMG_0002.CR3', 'raw/IMG_0001.CR3'],
    })
    unlinkSync(join(w.session, 'raw/IMG_0002.CR3'))
    execFileSync('mkfifo', [join(w.session, 'raw/IMG_0002.CR3')])
    // More requests than the libuv pool has threads (4).
    const fifo = await Promise.all(Array.from({ length: 8 }, () => http(w.base, `${pathOf(s.url)}/f/0`)))
    assert.equal(
      fifo.map((r) => r.status),
      Array(8).fill(404),
    )
    const page = await http(w.base, pathOf(s.url))
    assert.is(page.status, 200)
    assert.match(page.text, 'unavailable')
    const ok = await http(w.base, `${pathOf(s.url)}/f/1`)
    assert.ok(ok.body.equals(w.files['raw/IMG_0001.CR3']!))
    assert.is((await http(w.base, `${pathOf(s.url)}/all.tar`)).status, 404)
    const unavailable = w.registry.accessLog(s.id).filter((e) => e.outcome === 'unavailable')
    assert.is(unavailable.length, 9)
    assert.is(unavailable[0]!.item, 'raw/IMG_0002.CR3')
  })
})

test('revocation ends a download in flight (the client stopped reading; the server cuts it)', async () => {
  await withShareWorld(async (w) => {
    const big = 'raw/huge.CR3'
    const size = 64 << 20
    writeRandomFile(join(w.session, big), size)
    const s = await w.registry.createShare({ session: w.session, scope: 'full', items: [big] })
    let got = 0
    const ended = new Promise<string>((resolve) => {
      const req = request(new URL(`${pathOf(s.url)}/f/0`, w.base), (res) => {
        let revoked = false
        // A slow client: it reads a chunk, then pauses a moment (the whole file would take seconds).
        res.on('data', (c: Buffer) => {
          got += c.length
          if (!revoked) {
            revoked = true
            w.registry.revokeShare(s.id, 'sent to the wrong client')
          }
          res.pause()
          setTimeout(() => res.resume(), 5)
        })
        res.on('aborted', () => resolve('aborted'))
        res.on('error', () => resolve('error'))
        res.on('end', () => resolve(res.complete ? 'complete' : 'cut'))
      })
      req.on('error', () => resolve('error'))
      req.end()
    })
    const how = await ended
    assert.is.not(how, 'complete')
    assert.ok(got < size, `${got} of ${size} bytes`)
    assert.is((await http(w.base, pathOf(s.url))).status, 410)
  })
})

test('a session outside the root is never served nor named', async () => {
  await withShareWorld(async (w) => {
    const s = await rawShare(w, { label: 'Outside label' })
    const db = openDatabase(w.dbPath)
    db.prepare('UPDATE shares SET session = ? WHERE id = ?').run('/etc', s.id)
    db.prepare("UPDATE share_items SET path = 'hostname' WHERE share_id = ?").run(s.id)
    db.close()
    writeFileSync(join(w.root, 'marker'), '')
    const page = await http(w.base, pathOf(s.url))
    assert.is(page.status, 404)
    assert.not.match(page.text, 'Outside label')
    assert.is((await http(w.base, `${pathOf(s.url)}/f/0`)).status, 404)
  })
})

test.run()
