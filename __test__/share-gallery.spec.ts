/**
 * The gallery in headless Chromium (Debian's, driven by playwright-core): desktop and
 * phone screenshots, no console errors, every thumbnail loads, photo names, local expiry,
 * lightbox with keyboard and swipe, "download all" only for full scope, and a
 * password-protected share shows its form first. Screenshots go to
 * $SHUTTERPROOF_SCREENSHOTS when set (kept), else to a temporary folder.
 */
import { mkdirSync, readFileSync, statSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'

import type { Browser, BrowserContext, Page } from 'playwright-core'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'

import { randomBytes } from 'node:crypto'
import { createShareHandler } from '../lib/share/handler'
import { openShareRegistry, type ShareRegistry } from '../lib/share/registry'
import { sharePhotos } from '../lib/share/share-photos'
import { chromiumMissing, launchChromium } from './support/chromium'
import { tempDir } from './support/fixtures'
import { cameraDng, cameraJpeg, endFixtureExifTool, sessionIn } from './support/pictures'

const chromiumWhyNot = chromiumMissing()
const chromiumOk = !chromiumWhyNot
if (chromiumWhyNot)
  console.warn(`\n!!! SKIPPED: ${chromiumWhyNot}: the share gallery is not checked in a browser\n`)

const test = suite('share gallery')
const ctest = chromiumOk ? test : test.skip

const root = tempDir('sp-gallery-')
const session = sessionIn(root, '2026-04-26_Ada_Wedding')
const shots = process.env.SHUTTERPROOF_SCREENSHOTS ?? join(root, 'screenshots')
const PASSWORD = 'correct horse battery staple'
const PHOTOGRAPHER = 'Ada Lovelace Studio'
const PHOTOS = ['IMG_0001', 'IMG_0002', 'IMG_0003', 'IMG_0004', 'IMG_0005', 'IMG_0006']
let registry: ShareRegistry
let server: Server
let base = ''
let browser: Browser
const urls: Record<'preview' | 'full' | 'password', string> = { preview: '', full: '', password: '' }
let expiresAt: Date

test.before(async () => {
  mkdirSync(shots, { recursive: true })
  const files: string[] = []
  for (const [i, name] of PHOTOS.entries()) {
    const file = `DCIM/100CANON/${name}.${i === 1 ? 'DNG' : 'JPG'}`
    if (i === 1)
      await cameraDng(join(session, file), { index: i + 1, orientation: 6, width: 1500, height: 1000 })
    else
      await cameraJpeg(join(session, file), {
        index: i + 1,
        orientation: i % 2 ? 6 : 1,
        width: 1500,
        height: 1000,
      })
    files.push(file)
  }
  const serverKey = randomBytes(32)
  registry = await openShareRegistry({ path: join(root, 'shares.db'), serverKey })
  server = createServer(
    createShareHandler({ registry, serverKey, root, gallery: { photographer: PHOTOGRAPHER } }),
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const preview = await sharePhotos(registry, {
    session,
    scope: 'preview',
    files,
    label: 'Wedding — selects',
    ttl: '7d',
  })
  expiresAt = new Date(preview.expiresAt)
  urls.preview = new URL(preview.url).pathname
  urls.full = new URL(
    (
      await sharePhotos(registry, {
        session,
        scope: 'full',
        files: files.slice(0, 3),
        label: 'Wedding — full resolution',
      })
    ).url,
  ).pathname
  urls.password = new URL(
    (
      await sharePhotos(registry, {
        session,
        scope: 'preview',
        files: files.slice(0, 2),
        label: 'Private proofs',
        password: PASSWORD,
      })
    ).url,
  ).pathname
  if (chromiumOk) browser = await launchChromium()
})

test.after(async () => {
  await browser?.close()
  server.closeAllConnections()
  await new Promise((r) => server.close(r))
  registry.close()
  await endFixtureExifTool()
})

/** A page that records console errors, page errors and failed requests. */
async function openPage(context: BrowserContext, path: string): Promise<{ page: Page; problems: string[] }> {
  const page = await context.newPage()
  const problems: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning')
      problems.push(`console ${m.type()}: ${m.text()} ${m.location().url}`)
  })
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`))
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`)
  })
  await page.goto(base + path)
  return { page, problems }
}

/**
 * Waits until a browser expression is true, polling with evaluate (waitForFunction compiles
 * its predicate inside the page, which the gallery's CSP may refuse as eval).
 */
async function until(page: Page, expression: string, timeout = 30_000): Promise<void> {
  for (let waited = 0; !(await page.evaluate<boolean>(expression)); waited += 50) {
    if (waited > timeout) throw new Error(`timed out waiting for ${expression}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** Scrolls through the page (thumbnails are lazy) and waits until every thumbnail has loaded. */
async function allThumbnailsLoaded(page: Page): Promise<number> {
  // (Browser code as strings: the test's TypeScript knows Node, not the DOM.)
  await page.evaluate(`(async () => {
    for (let y = 0; y <= document.body.scrollHeight; y += 300) {
      window.scrollTo(0, y)
      await new Promise((r) => setTimeout(r, 30))
    }
  })()`)
  await until(
    page,
    `[...document.querySelectorAll('.g-grid img')].every((img) => img.complete && img.naturalWidth > 0)`,
  )
  return page.evaluate<number>(`document.querySelectorAll('.g-grid img').length`)
}

async function lightboxIndex(page: Page): Promise<number | 'closed'> {
  return page.evaluate<number | 'closed'>(`(() => {
    const box = document.getElementById('lightbox')
    return box.hidden ? 'closed' : Number(box.dataset.index)
  })()`)
}

async function lightboxImageLoaded(page: Page, index: number) {
  await until(
    page,
    `(() => {
    const img = document.querySelector('.g-lb-img')
    return img.src.endsWith('/v/${index}') && img.complete && img.naturalWidth > 0
  })()`,
  )
}

ctest(
  'desktop: the gallery with photographer, label, photo names, local expiry, every thumbnail loaded, no console error, no "download all" for previews',
  async () => {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      timezoneId: 'Asia/Tokyo',
      locale: 'en-US',
    })
    try {
      const { page, problems } = await openPage(context, urls.preview)
      assert.is(await page.textContent('.g-by'), PHOTOGRAPHER)
      assert.is(await page.textContent('h1'), 'Wedding — selects')
      assert.equal(
        await page.$$eval('.g-grid img', (els) => els.map((e) => e.getAttribute('loading'))),
        PHOTOS.map(() => 'lazy'),
        'thumbnails are lazy-loaded',
      )
      assert.is(await allThumbnailsLoaded(page), PHOTOS.length)
      assert.equal(
        await page.$$eval('.g-name', (els) => els.map((e) => e.textContent)),
        PHOTOS,
        'photo names, not camera paths',
      )
      assert.not.match(await page.content(), 'DCIM/100CANON', 'no camera path anywhere on the page')
      const local = expiresAt.toLocaleString('en-US', {
        timeZone: 'Asia/Tokyo',
        dateStyle: 'long',
        timeStyle: 'short',
      })
      assert.is(await page.textContent('time[data-local]'), local, 'expiry in the viewer\u2019s time zone')
      assert.is(await page.$('.g-all'), null, 'no download-all for a preview share')
      const file = join(shots, 'gallery-desktop.png')
      await page.screenshot({ path: file, fullPage: true })
      assert.ok(statSync(file).size > 10_000)
      assert.equal(problems, [])
    } finally {
      await context.close()
    }
  },
)

ctest(
  'lightbox: click opens, → and ← move (wrapping), Esc closes; a swipe moves too; each picture loads',
  async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    try {
      const { page, problems } = await openPage(context, urls.preview)
      await page.click('.g-item[data-index="0"] .g-open')
      assert.is(await lightboxIndex(page), 0)
      await lightboxImageLoaded(page, 0)
      await page.keyboard.press('ArrowRight')
      assert.is(await lightboxIndex(page), 1)
      await lightboxImageLoaded(page, 1)
      assert.match(String(await page.textContent('.g-lb-name')), 'IMG_0002 (2 of 6)')
      await page.keyboard.press('ArrowLeft')
      await page.keyboard.press('ArrowLeft')
      assert.is(await lightboxIndex(page), PHOTOS.length - 1, 'wraps to the last')
      await page.screenshot({ path: join(shots, 'gallery-lightbox.png') })
      await page.keyboard.press('Escape')
      assert.is(await lightboxIndex(page), 'closed')
      // Swipe left with the pointer: next photo.
      await page.click('.g-item[data-index="2"] .g-open')
      await page.mouse.move(800, 400)
      await page.mouse.down()
      await page.mouse.move(650, 410, { steps: 5 })
      await page.mouse.move(500, 410, { steps: 5 })
      await page.mouse.up()
      assert.is(await lightboxIndex(page), 3, 'a left swipe shows the next photo')
      await lightboxImageLoaded(page, 3)
      assert.equal(problems, [])
    } finally {
      await context.close()
    }
  },
)

ctest(
  'phone: two columns, every thumbnail loaded, a touch swipe in the lightbox, no console error',
  async () => {
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    })
    try {
      const { page, problems } = await openPage(context, urls.preview)
      assert.is(await allThumbnailsLoaded(page), PHOTOS.length)
      const columns = await page.evaluate<number>(
        `getComputedStyle(document.querySelector('.g-grid')).gridTemplateColumns.split(' ').length`,
      )
      assert.is(columns, 2)
      await page.screenshot({ path: join(shots, 'gallery-phone.png'), fullPage: true })
      await page.tap('.g-item[data-index="0"] .g-open')
      assert.is(await lightboxIndex(page), 0)
      const client = await context.newCDPSession(page)
      const touch = (type: 'touchStart' | 'touchMove' | 'touchEnd', x: number) =>
        client.send('Input.dispatchTouchEvent', {
          type,
          touchPoints: type === 'touchEnd' ? [] : [{ x, y: 300 }],
        })
      await touch('touchStart', 320)
      await touch('touchMove', 240)
      await touch('touchMove', 120)
      await touch('touchEnd', 120)
      assert.is(await lightboxIndex(page), 1, 'a finger swipe to the left shows the next photo')
      await page.screenshot({ path: join(shots, 'gallery-phone-lightbox.png') })
      assert.equal(problems, [])
    } finally {
      await context.close()
    }
  },
)

ctest('a full-resolution share: "download all", and RAW originals shown through their previews', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  try {
    const { page, problems } = await openPage(context, urls.full)
    assert.is(await allThumbnailsLoaded(page), 3)
    assert.match(String(await page.textContent('.g-all')), /Download all \(\.tar, /)
    assert.match(String(await page.textContent('.g-item[data-index="1"] .g-size')), /^RAW DNG · /)
    await page.screenshot({ path: join(shots, 'gallery-full.png'), fullPage: true })
    assert.equal(problems, [])
  } finally {
    await context.close()
  }
})

ctest(
  'a password-protected share shows its form first, and the gallery after the right password',
  async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    try {
      const page = await context.newPage()
      const errors: string[] = []
      page.on('pageerror', (e) => errors.push(e.message))
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text())
      })
      const first = await page.goto(base + urls.password)
      assert.is(first!.status(), 401)
      assert.ok(await page.$('input[type=password]'), 'the password form')
      assert.is(await page.$('.g-grid'), null, 'no photos before the password')
      assert.not.match(await page.content(), 'IMG_0001')
      await page.screenshot({ path: join(shots, 'gallery-password.png') })
      errors.length = 0 // the 401 itself is reported as a console error by Chromium
      await page.fill('input[type=password]', PASSWORD)
      await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')])
      assert.is(await page.textContent('h1'), 'Private proofs')
      assert.is(await allThumbnailsLoaded(page), 2)
      assert.equal(errors, [])
    } finally {
      await context.close()
    }
  },
)

test('the screenshots were written', () => {
  if (!chromiumOk) return
  for (const f of [
    'gallery-desktop.png',
    'gallery-phone.png',
    'gallery-lightbox.png',
    'gallery-password.png',
  ])
    assert.ok(readFileSync(join(shots, f)).length > 1000, f)
})

test.run()
