/**
 * "Send me a code" must not tell, by its timing, whether an address is one of the link's
 * recipients. Requests for a recipient and for a stranger (addresses of the same length)
 * go in a random interleaved order on kept-alive connections; the two samples of answer
 * times are compared with a Mann–Whitney U test (rank-based, so a few slow outliers from
 * a busy machine do not count), and their medians are reported. The test fails on a clear
 * signal (|z| > 4.5). To show the measurement can see one, the same harness first runs
 * against a deliberately leaky copy of the handler that pauses 2 ms for recipients.
 */
import { createServer, Agent, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomInt } from 'node:crypto'

import { suite } from 'uvu'
import * as assert from 'uvu/assert'

import { createShareHandler, type ShareHandlerOptions } from '../lib/share/handler'
import { createShareMailer, type ShareMailer } from '../lib/share/mail/mailer'
import { http, pathOf, shareWorld, type ShareWorld } from './support/share-server'
import { smtpSinkMissing, startSmtpSink, type SmtpSink } from './support/smtp-sink'

const missing = smtpSinkMissing()
if (missing)
  console.warn(
    `\n!!! SKIPPED: ${missing}: the sign-in timing test needs a real SMTP server (a code must really be sent)\n`,
  )

const RECIPIENT = 'client@example.com'
const STRANGER = 'cliemt@example.com' // the same length: the page differs only in one letter
const TRIES = 300
const CLEAR_SIGNAL = 4.5

interface Ctx {
  sink: SmtpSink
  mailer: ShareMailer
  w: ShareWorld
  extra?: Server
}
const test = suite<Ctx>('share sign-in timing')
const it = missing ? test.skip : test

test.after.each(async (ctx) => {
  ctx.extra?.close()
  await ctx.w?.close()
  ctx.mailer?.close()
  await ctx.sink?.close()
})

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

/** Mann–Whitney U as a z-score (normal approximation with the tie correction): > 0 when `a` tends to be slower. */
function mannWhitneyZ(a: readonly number[], b: readonly number[]): number {
  const all = [...a.map((v) => ({ v, a: true })), ...b.map((v) => ({ v, a: false }))].sort(
    (x, y) => x.v - y.v,
  )
  const ranks = new Array<number>(all.length)
  let ties = 0
  for (let i = 0; i < all.length;) {
    let j = i
    while (j + 1 < all.length && all[j + 1]!.v === all[i]!.v) j++
    for (let k = i; k <= j; k++) ranks[k] = (i + j) / 2 + 1
    const t = j - i + 1
    ties += t ** 3 - t
    i = j + 1
  }
  const rankA = all.reduce((sum, x, i) => sum + (x.a ? ranks[i]! : 0), 0)
  const n1 = a.length
  const n2 = b.length
  const n = n1 + n2
  const u = rankA - (n1 * (n1 + 1)) / 2
  const sd = Math.sqrt(((n1 * n2) / 12) * (n + 1 - ties / (n * (n - 1))))
  return (u - (n1 * n2) / 2) / sd
}

/** Times `TRIES` "send me a code" answers per address, interleaved in a random order. */
async function measure(base: string, path: string): Promise<{ recipient: number[]; stranger: number[] }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  const ask = async (email: string) => {
    const body = new URLSearchParams({ email }).toString()
    const start = process.hrtime.bigint()
    const r = await http(base, `${path}/signin`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body,
      agent,
    })
    const ms = Number(process.hrtime.bigint() - start) / 1e6
    assert.is(r.status, 200, r.text)
    return ms
  }
  for (let i = 0; i < 20; i++) await ask(i % 2 ? RECIPIENT : STRANGER) // warm up
  const order = [...Array<boolean>(TRIES).fill(true), ...Array<boolean>(TRIES).fill(false)]
  for (let i = order.length - 1; i > 0; i--) {
    const j = randomInt(0, i + 1)
    ;[order[i], order[j]] = [order[j]!, order[i]!]
  }
  const out = { recipient: [] as number[], stranger: [] as number[] }
  for (const isRecipient of order) {
    if (isRecipient) out.recipient.push(await ask(RECIPIENT))
    else out.stranger.push(await ask(STRANGER))
  }
  agent.destroy()
  return out
}

async function world(
  ctx: Ctx,
  leak?: (
    handler: ReturnType<typeof createShareHandler>,
  ) => (req: IncomingMessage, res: ServerResponse) => void,
) {
  ctx.sink = await startSmtpSink()
  ctx.mailer = createShareMailer({
    url: `smtp://127.0.0.1:${ctx.sink.port}`,
    from: 'Jane Doe Photography <studio@example.com>',
  })
  const options: Partial<ShareHandlerOptions> = {
    mailer: ctx.mailer,
    signIn: { codesPerAddress: 1e6, requestsPerClient: 1e6 },
    log: () => {},
  }
  ctx.w = await shareWorld({}, options)
  const s = await ctx.w.registry.createShare({
    session: ctx.w.session,
    scope: 'full',
    items: ['previews/IMG_0001.jpg'],
    recipients: [RECIPIENT],
  })
  let base = ctx.w.base
  if (leak) {
    const handler = createShareHandler({
      registry: ctx.w.registry,
      serverKey: ctx.w.serverKey,
      root: ctx.w.root,
      clock: ctx.w.clock,
      ...options,
    })
    ctx.extra = createServer(leak(handler))
    await new Promise<void>((r) => ctx.extra!.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(ctx.extra.address() as AddressInfo).port}`
  }
  return { base, path: pathOf(s.url) }
}

function report(what: string, m: { recipient: number[]; stranger: number[] }): number {
  const z = mannWhitneyZ(m.recipient, m.stranger)
  console.log(
    `  ${what}: median ${median(m.recipient).toFixed(3)} ms (recipient) vs ${median(m.stranger).toFixed(3)} ms (stranger), ` +
      `difference ${(median(m.recipient) - median(m.stranger)).toFixed(3)} ms, Mann–Whitney z = ${z.toFixed(2)} over ${TRIES} + ${TRIES} tries`,
  )
  return z
}

it('the measurement sees a leak: a handler that pauses 2 ms for recipients is caught', async (ctx) => {
  const { base, path } = await world(ctx, (handler) => (req, res) => {
    // A leaky copy: the real handler answers, but a page for the recipient leaves 2 ms late.
    const end = res.end.bind(res) as (chunk?: unknown) => ServerResponse
    res.end = ((chunk?: unknown) => {
      if (String(chunk ?? '').includes(RECIPIENT)) setTimeout(() => end(chunk), 2)
      else end(chunk)
      return res
    }) as typeof res.end
    handler(req, res)
  })
  const z = report('leaky handler', await measure(base, path))
  assert.ok(z > CLEAR_SIGNAL, `a 2 ms leak must be a clear signal (z = ${z.toFixed(2)})`)
})

it('the real handler: recipient and stranger answers are indistinguishable in time', async (ctx) => {
  const { base, path } = await world(ctx)
  const z = report('share handler', await measure(base, path))
  assert.ok(Math.abs(z) <= CLEAR_SIGNAL, `the answer time tells recipients apart (z = ${z.toFixed(2)})`)
  // The codes were really issued and mailed, off the response path.
  await ctx.sink.waitFor((m) => m.rcptTos.includes(RECIPIENT))
  assert.ok(
    ctx.sink.messages().every((m) => m.rcptTos.join() === RECIPIENT),
    'mail only ever went to the recipient',
  )
})

test.run()
