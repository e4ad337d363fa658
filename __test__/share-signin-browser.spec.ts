/**
 * The sign-in flow in a real browser (Debian's Chromium driven by playwright-core), at a
 * desktop and a phone width: the e-mail form, the code from a mail a real SMTP server
 * (aiosmtpd) received, the files, and a download — with no script, no request to another
 * origin, no console error, nothing wider than the screen, and a cookie page scripts
 * cannot read.
 */
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

import { suite } from 'uvu'
import * as assert from 'uvu/assert'

import { createShareMailer, type ShareMailer } from '../lib/share/mail/mailer'
import { chromiumMissing, launchChromium } from './support/chromium'
import { tempDir } from './support/fixtures'
import { codeIn } from './support/signin'
import { shareWorld, type ShareWorld } from './support/share-server'
import { smtpSinkMissing, startSmtpSink, type SmtpSink } from './support/smtp-sink'

const missing = chromiumMissing() ?? smtpSinkMissing()
if (missing) console.warn(`\n!!! SKIPPED: ${missing}: the sign-in flow is not checked in a browser\n`)

const CLIENT = 'client@example.com'

const SIZES = [
  { name: 'desktop', viewport: { width: 1280, height: 800 }, isMobile: false, hasTouch: false },
  { name: 'phone', viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true },
] as const

interface Ctx {
  sink: SmtpSink
  mailer: ShareMailer
  w: ShareWorld
}
const test = suite<Ctx>('share sign-in in a browser')
const it = missing ? test.skip : test

test.before(async (ctx) => {
  if (missing) return
  ctx.sink = await startSmtpSink()
  ctx.mailer = createShareMailer({
    url: `smtp://127.0.0.1:${ctx.sink.port}`,
    from: 'Jane Doe Photography <studio@example.com>',
  })
  ctx.w = await shareWorld({}, { mailer: ctx.mailer, log: () => {} })
})
test.after(async (ctx) => {
  await ctx.w?.close()
  ctx.mailer?.close()
  await ctx.sink?.close()
})

for (const size of SIZES) {
  it(`${size.name} (${size.viewport.width} px): e-mail → code from the mail → files → download`, async (ctx) => {
    const { w, sink } = ctx
    const share = await w.registry.createShare({
      session: w.session,
      scope: 'full',
      items: ['previews/IMG_0001.jpg', 'previews/IMG 0002 été.jpg'],
      recipients: [CLIENT],
      label: 'Smith wedding — selects',
    })
    const link = w.base + new URL(share.url).pathname
    const browser = await launchChromium()
    try {
      const context = await browser.newContext({
        viewport: size.viewport,
        isMobile: size.isMobile,
        hasTouch: size.hasTouch,
        acceptDownloads: true,
      })
      const page = await context.newPage()
      const problems: string[] = []
      page.on('console', (m) => {
        // The sign-in page itself answers 401 (it is what a client without sign-in gets): Chromium notes that status.
        if (/status of 401 \(Unauthorized\)$/.test(m.text()) && m.location().url.startsWith(link)) return
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`)
      })
      page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`))
      page.on('request', (req) => {
        if (!req.url().startsWith(w.base)) problems.push(`request to another origin: ${req.url()}`)
      })
      const fits = async (what: string) => {
        const [scroll, inner] = (await page.evaluate(
          '[document.documentElement.scrollWidth, window.innerWidth]',
        )) as [number, number]
        assert.ok(scroll <= inner, `${what}: ${scroll} px wide in a ${inner} px window`)
        for (const box of await page
          .locator('input:visible, button:visible')
          .evaluateAll((els) => els.map((e) => e.getBoundingClientRect().right))) {
          assert.ok(box <= inner, `${what}: a field or button ends at ${box} px, past the ${inner} px window`)
        }
      }
      // SHUTTERPROOF_KEEP_SCREENSHOTS=DIR keeps the screenshots for a look.
      const shots = process.env.SHUTTERPROOF_KEEP_SCREENSHOTS
        ? join(process.env.SHUTTERPROOF_KEEP_SCREENSHOTS, size.name)
        : tempDir('sp-signin-shots-')
      mkdirSync(shots, { recursive: true })

      await page.goto(link)
      assert.is(await page.locator('h1').textContent(), 'Sign in to see the files')
      assert.not.ok((await page.content()).includes('Smith wedding'), 'the label waits for sign-in')
      const email = page.getByLabel('E-mail address')
      assert.is(await email.getAttribute('type'), 'email')
      assert.is(await email.getAttribute('autocomplete'), 'email')
      await fits('the e-mail form')
      await page.screenshot({ path: join(shots, 'email.png'), fullPage: true })
      assert.is(await page.locator('script').count(), 0)

      const before = sink.messages().length
      await email.fill(CLIENT)
      await page.getByRole('button', { name: 'E-mail me a code' }).click()
      await page.waitForURL(`${link}/signin`)
      assert.is(await page.locator('h1').textContent(), 'Check your e-mail')
      assert.match(
        (await page.locator('p.meta').first().textContent()) ?? '',
        `If ${CLIENT} may open these files`,
      )
      const codeBox = page.getByLabel('Code')
      assert.is(await codeBox.getAttribute('autocomplete'), 'one-time-code')
      assert.is(await codeBox.getAttribute('inputmode'), 'numeric')
      await fits('the code form')
      await page.screenshot({ path: join(shots, 'code.png'), fullPage: true })

      const mail = await sink.waitFor((m, i) => i >= before && m.rcptTos.includes(CLIENT))
      const code = codeIn(mail)
      await codeBox.fill(`${code.slice(0, 4)} ${code.slice(4)}`) // as the mail shows it, with the space
      await page.getByRole('button', { name: 'Open the files' }).click()
      await page.waitForURL(link)
      assert.is(await page.locator('h1').textContent(), 'Smith wedding — selects')
      await fits('the file list')
      await page.screenshot({ path: join(shots, 'files.png'), fullPage: true })

      const cookies = await context.cookies()
      const signin = cookies.find((c) => c.name === 'sp_signin')
      assert.ok(signin?.httpOnly, 'the sign-in cookie is HttpOnly')
      assert.is(signin!.sameSite, 'Lax')
      assert.is(await page.evaluate('document.cookie'), '', 'page scripts cannot read the sign-in')

      const [download] = await Promise.all([
        page.waitForEvent('download'),
        // The landing page is the gallery (#13): each photo has its own Download link.
        page.locator('a.g-download').first().click(),
      ])
      const saved = join(shots, 'IMG_0001.jpg')
      await download.saveAs(saved)
      assert.ok(
        readFileSync(saved).equals(w.files['previews/IMG_0001.jpg']!),
        'the downloaded file is the file',
      )
      assert.equal(problems, [])

      const log = w.registry
        .accessLog(share.id)
        .filter((e) => e.recipient === CLIENT)
        .map((e) => `${e.event}:${e.outcome}`)
      assert.ok(log.includes('signin:code_ok') && log.includes('download:ok'), log.join(', '))
    } finally {
      await browser.close()
    }
  })
}

test.run()
